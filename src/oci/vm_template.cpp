#include "oci/vm_template.h"

#include "oci/stable_hash.h"
#include "vmm/vm_spec_builder.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace rvisor::oci {

namespace {

using nlohmann::json;

constexpr const char* kPendingPrefix = ".pending-";
// Bumped when what a template holds changes meaning, so that older templates go unused.
constexpr int kTemplateFormat = 1;

json file_identity(const std::filesystem::path& path)
{
    struct stat status { };
    if (::stat(path.c_str(), &status) != 0)
        return { { "path", path.string() }, { "missing", true } };
    return { { "path", path.string() }, { "size", status.st_size },
        { "mtime_ns", status.st_mtim.tv_sec * 1000000000ll + status.st_mtim.tv_nsec },
        { "inode", status.st_ino } };
}

std::string read_text(const std::filesystem::path& path)
{
    std::ifstream file(path);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

bool process_exists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

// Whether a template's files are still the ones on disk: once the kernel, the initramfs or rvisor
// is rebuilt, no identity can name the template again, and it only takes space (in /run, RAM).
bool files_unchanged(const std::filesystem::path& directory)
{
    const json identity = json::parse(read_text(directory / "identity.json"), nullptr, false);
    if (!identity.is_object() || !identity.contains("files") || !identity["files"].is_object())
        return false;
    std::vector<json> files;
    for (const auto& [role, entry] : identity["files"].items()) {
        if (entry.is_array())
            files.insert(files.end(), entry.begin(), entry.end());
        else
            files.push_back(entry);
    }
    return std::all_of(files.begin(), files.end(), [](const json& file) {
        return file.is_object() && file.contains("path") && file["path"].is_string()
            && file_identity(file["path"].get<std::string>()) == file;
    });
}

} // namespace

std::string template_identity(const machine::VmSpec& spec, const std::filesystem::path& rvisor)
{
    json machine = vmm::spec_to_json(spec);
    // The guest learns its shares' tags at boot; their directories are each container's own.
    json tags = json::array();
    for (const machine::FsShareConfig& share : spec.shares)
        tags.push_back(share.tag);
    machine["fs"] = tags;
    if (spec.vsock)
        machine["vsock"] = spec.vsock->cid;
    json files = { { "rvisor", file_identity(rvisor) }, { "kernel", file_identity(spec.kernel) } };
    for (const auto& initrd : spec.initrds)
        files["initrd"].push_back(file_identity(initrd));
    return json {
        { "format", kTemplateFormat }, { "machine", machine }, { "files", files }
    }.dump();
}

PendingTemplate::PendingTemplate(
    std::filesystem::path directory, std::filesystem::path destination, std::string identity)
    : m_directory(std::move(directory))
    , m_destination(std::move(destination))
    , m_identity(std::move(identity))
{
}

PendingTemplate::~PendingTemplate()
{
    if (m_directory.empty())
        return;
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
}

PendingTemplate::PendingTemplate(PendingTemplate&& other) noexcept
    : m_directory(std::exchange(other.m_directory, {}))
    , m_destination(std::move(other.m_destination))
    , m_identity(std::move(other.m_identity))
{
}

VmTemplate PendingTemplate::files() const
{
    return { m_directory / "vm.state", m_directory / "vm.mem" };
}

bool PendingTemplate::publish()
{
    {
        std::ofstream file(m_directory / "identity.json");
        file << m_identity << '\n';
        if (!file.flush())
            throw std::runtime_error(
                fmt::format("cannot write the template's identity in {}", m_directory.string()));
    }
    // rename(2) makes the whole template appear at once; a directory already there (another
    // container of this shape was quicker) makes it fail, and this copy is dropped.
    if (::rename(m_directory.c_str(), m_destination.c_str()) == 0) {
        m_directory.clear();
        return true;
    }
    if (errno != EEXIST && errno != ENOTEMPTY)
        throw std::runtime_error(fmt::format(
            "cannot publish the template {}: {}", m_destination.string(), std::strerror(errno)));
    return false;
}

TemplateCache::TemplateCache(const std::filesystem::path& root)
    : m_directory(root / "@templates")
{
}

std::filesystem::path TemplateCache::directory_of(const std::string& identity) const
{
    return m_directory / fmt::format("{:016x}", stable_hash(identity));
}

std::optional<VmTemplate> TemplateCache::find(const std::string& identity) const
{
    const std::filesystem::path directory = directory_of(identity);
    if (read_text(directory / "identity.json") != identity + "\n")
        return std::nullopt;
    VmTemplate found { directory / "vm.state", directory / "vm.mem" };
    std::error_code error;
    if (!std::filesystem::is_regular_file(found.state_file, error)
        || !std::filesystem::is_regular_file(found.memory_file, error))
        return std::nullopt;
    return found;
}

PendingTemplate TemplateCache::prepare(const std::string& identity) const
{
    std::error_code error;
    std::filesystem::create_directories(m_directory, error);
    if (error)
        throw std::runtime_error(fmt::format(
            "cannot make the template cache {}: {}", m_directory.string(), error.message()));
    std::vector<std::filesystem::path> leftovers;
    for (const auto& entry : std::filesystem::directory_iterator(m_directory, error)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(kPendingPrefix)) {
            if (!files_unchanged(entry.path()))
                leftovers.push_back(entry.path());
            continue;
        }
        const pid_t writer
            = static_cast<pid_t>(std::atol(name.substr(name.rfind('-') + 1).c_str()));
        if (writer > 0 && !process_exists(writer))
            leftovers.push_back(entry.path());
    }
    for (const auto& leftover : leftovers)
        std::filesystem::remove_all(leftover, error);
    const std::filesystem::path destination = directory_of(identity);
    const std::filesystem::path pending = m_directory
        / fmt::format("{}{}-{}", kPendingPrefix, destination.filename().string(), ::getpid());
    std::filesystem::remove_all(pending, error);
    if (::mkdir(pending.c_str(), 0700) != 0)
        throw std::runtime_error(fmt::format(
            "cannot make the template directory {}: {}", pending.string(), std::strerror(errno)));
    return PendingTemplate(pending, destination, identity);
}

} // namespace rvisor::oci
