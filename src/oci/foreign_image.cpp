#include "oci/foreign_image.h"

#include <elf.h>

#include <array>
#include <cstring>
#include <fstream>
#include <optional>

namespace rvisor::oci {

namespace {

// Symlink hops before giving up, as the kernel's limit.
constexpr int kMaxSymlinks = 40;

std::string path_variable(const std::vector<std::string>& env)
{
    for (const std::string& entry : env)
        if (entry.starts_with("PATH="))
            return entry.substr(5);
    return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

// `path` (absolute inside the container) as a host path beneath `root`, with every symlink
// followed inside the root, never out of it; nullopt when it does not exist.
std::optional<std::filesystem::path> resolve_in_root(
    const std::filesystem::path& root, std::filesystem::path path)
{
    for (int hop = 0; hop <= kMaxSymlinks; ++hop) {
        std::filesystem::path resolved = "/";
        bool followed = false;
        const auto relative = path.relative_path();
        for (auto part = relative.begin(); part != relative.end(); ++part) {
            if (*part == "." || part->empty())
                continue;
            if (*part == "..") {
                resolved = resolved.parent_path();
                continue;
            }
            resolved /= *part;
            std::error_code error;
            const auto host = root / resolved.relative_path();
            if (!std::filesystem::is_symlink(host, error))
                continue;
            auto target = std::filesystem::read_symlink(host, error);
            if (error)
                return std::nullopt;
            std::filesystem::path rest;
            for (auto tail = std::next(part); tail != relative.end(); ++tail)
                rest /= *tail;
            path = (target.is_absolute() ? target : resolved.parent_path() / target) / rest;
            followed = true;
            break;
        }
        if (!followed) {
            std::error_code error;
            const auto host = root / resolved.relative_path();
            if (!std::filesystem::exists(host, error))
                return std::nullopt;
            return host;
        }
    }
    return std::nullopt;
}

std::optional<std::filesystem::path> find_program(const ContainerSpec& spec)
{
    const std::string& program = spec.process->args.front();
    if (program.find('/') != std::string::npos)
        return resolve_in_root(spec.root,
            program.starts_with('/') ? std::filesystem::path(program)
                                     : std::filesystem::path(spec.process->cwd) / program);
    const std::string path = path_variable(spec.process->env);
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos)
            end = path.size();
        const std::string directory = path.substr(start, end - start);
        if (!directory.empty())
            if (auto found = resolve_in_root(spec.root, std::filesystem::path(directory) / program))
                return found;
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace

bool is_foreign_program(const ContainerSpec& spec)
{
    if (!spec.process || spec.process->args.empty())
        return false;
    const auto program = find_program(spec);
    if (!program)
        return false;
    std::ifstream file(*program, std::ios::binary);
    std::array<unsigned char, EI_NIDENT + 4> header {};
    if (!file.read(reinterpret_cast<char*>(header.data()), header.size()))
        return false;
    if (std::memcmp(header.data(), ELFMAG, SELFMAG) != 0)
        return false;
    // e_machine follows e_type, in the file's byte order.
    const bool little = header[EI_DATA] == ELFDATA2LSB;
    const unsigned machine = little ? header[EI_NIDENT + 2] | header[EI_NIDENT + 3] << 8
                                    : header[EI_NIDENT + 2] << 8 | header[EI_NIDENT + 3];
    return machine != EM_RISCV;
}

} // namespace rvisor::oci
