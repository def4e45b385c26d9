#include "oci/bundle.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

namespace rvisor::oci {

namespace {

using nlohmann::json;

// A JSON value with the path that reached it, so every error names its field.
class Field {
public:
    // `document` names the file in errors: config.json, or the process file.
    Field(const json& value, std::string path, const char* document)
        : m_value(value)
        , m_path(std::move(path))
        , m_document(document)
    {
    }

    const json& value() const { return m_value; }
    const std::string& path() const { return m_path; }

    // The member, or nullopt when it is absent or null (the spec's "optional").
    std::optional<Field> member(const char* name) const
    {
        require(m_value.is_object(), "an object");
        const auto found = m_value.find(name);
        if (found == m_value.end() || found->is_null())
            return std::nullopt;
        return Field(*found, m_path.empty() ? name : m_path + "." + name, m_document);
    }
    Field required(const char* name) const
    {
        auto found = member(name);
        if (!found)
            throw std::runtime_error(fmt::format("{}: {} is missing", m_document, join(name)));
        return *found;
    }

    std::string string() const
    {
        require(m_value.is_string(), "a string");
        return m_value.get<std::string>();
    }
    bool boolean() const
    {
        require(m_value.is_boolean(), "true or false");
        return m_value.get<bool>();
    }
    template <typename Integer> Integer integer() const
    {
        require(m_value.is_number_integer(), "an integer");
        if (m_value.is_number_unsigned()) {
            const auto value = m_value.get<uint64_t>();
            require(value <= static_cast<uint64_t>(std::numeric_limits<Integer>::max()),
                fmt::format("an integer up to {}", std::numeric_limits<Integer>::max()));
            return static_cast<Integer>(value);
        }
        const auto value = m_value.get<int64_t>();
        require(value >= static_cast<int64_t>(std::numeric_limits<Integer>::min())
                && (value < 0
                    || static_cast<uint64_t>(value)
                        <= static_cast<uint64_t>(std::numeric_limits<Integer>::max())),
            fmt::format("an integer from {} to {}", std::numeric_limits<Integer>::min(),
                std::numeric_limits<Integer>::max()));
        return static_cast<Integer>(value);
    }
    std::vector<Field> array() const
    {
        require(m_value.is_array(), "an array");
        std::vector<Field> items;
        for (size_t i = 0; i < m_value.size(); ++i)
            items.emplace_back(m_value[i], fmt::format("{}[{}]", m_path, i), m_document);
        return items;
    }
    std::vector<std::string> strings() const
    {
        std::vector<std::string> items;
        for (const Field& item : array())
            items.push_back(item.string());
        return items;
    }
    std::map<std::string, std::string> string_map() const
    {
        require(m_value.is_object(), "an object");
        std::map<std::string, std::string> items;
        for (const auto& [key, value] : m_value.items())
            items[key] = Field(value, m_path + "." + key, m_document).string();
        return items;
    }

    [[noreturn]] void fail(const std::string& what) const
    {
        throw std::runtime_error(fmt::format("{}: {}", m_document, what));
    }

private:
    std::string join(const char* name) const { return m_path.empty() ? name : m_path + "." + name; }
    void require(bool holds, const std::string& what) const
    {
        if (!holds)
            fail(fmt::format("{} must be {}", m_path.empty() ? "the document" : m_path, what));
    }

    const json& m_value;
    std::string m_path;
    const char* m_document;
};

ProcessSpec read_process(const Field& process)
{
    ProcessSpec spec;
    if (auto terminal = process.member("terminal"))
        spec.terminal = terminal->boolean();
    if (auto size = process.member("consoleSize"))
        spec.console_size = ConsoleSize { size->required("height").integer<unsigned>(),
            size->required("width").integer<unsigned>() };
    if (auto user = process.member("user")) {
        spec.user.uid = user->required("uid").integer<uint32_t>();
        spec.user.gid = user->required("gid").integer<uint32_t>();
        if (auto gids = user->member("additionalGids"))
            for (const Field& gid : gids->array())
                spec.user.additional_gids.push_back(gid.integer<uint32_t>());
        if (auto umask = user->member("umask"))
            spec.user.umask = umask->integer<uint32_t>();
    }
    spec.args = process.required("args").strings();
    if (spec.args.empty())
        process.fail(fmt::format("{}.args is empty: name the program to run", process.path()));
    if (auto env = process.member("env"))
        spec.env = env->strings();
    spec.cwd = process.required("cwd").string();
    if (!spec.cwd.starts_with('/'))
        process.fail(fmt::format("{}.cwd '{}' must be an absolute path", process.path(), spec.cwd));
    if (auto rlimits = process.member("rlimits"))
        for (const Field& rlimit : rlimits->array())
            spec.rlimits.push_back(
                { rlimit.required("type").string(), rlimit.required("hard").integer<uint64_t>(),
                    rlimit.required("soft").integer<uint64_t>() });
    if (auto no_new_privileges = process.member("noNewPrivileges"))
        spec.no_new_privileges = no_new_privileges->boolean();
    return spec;
}

ResourceSpec read_resources(const Field& resources)
{
    ResourceSpec spec;
    // member() refuses resources that are not an object.
    if (auto memory = resources.member("memory"))
        if (auto limit = memory->member("limit"))
            spec.memory_limit = limit->integer<int64_t>();
    if (auto cpu = resources.member("cpu")) {
        if (auto shares = cpu->member("shares"))
            spec.cpu_shares = shares->integer<uint64_t>();
        if (auto quota = cpu->member("quota"))
            spec.cpu_quota = quota->integer<int64_t>();
        if (auto period = cpu->member("period"))
            spec.cpu_period = period->integer<uint64_t>();
        if (auto cpus = cpu->member("cpus"))
            spec.cpuset_cpus = cpus->string();
    }
    // Engines send every field, 0 or empty for those not asked for (containerd's update); only
    // the ones set count as unhonoured.
    const auto is_set = [](const json& value) {
        return !value.is_null() && value != json(0) && value != json(false) && value != json("")
            && !value.empty();
    };
    static const std::map<std::string, std::set<std::string>, std::less<>> kHonoured {
        { "memory", { "limit" } }, { "cpu", { "shares", "quota", "period", "cpus" } }
    };
    for (const auto& [group, value] : resources.value().items()) {
        if (!is_set(value))
            continue;
        if (!value.is_object()) {
            spec.unhonoured.push_back(group);
            continue;
        }
        const auto honoured = kHonoured.find(group);
        for (const auto& [name, member] : value.items())
            if (is_set(member) && (honoured == kHonoured.end() || !honoured->second.contains(name)))
                spec.unhonoured.push_back(group + "." + name);
    }
    return spec;
}

json parse_json(std::string_view text, const char* what)
{
    try {
        return json::parse(text);
    } catch (const json::exception& error) {
        // nlohmann's message starts "[json.exception.parse_error.101] parse error at line...";
        // a number too big for a double is an out_of_range error, not a parse error.
        std::string message = error.what();
        if (const auto start = message.find("] "); start != std::string::npos)
            message = message.substr(start + 2);
        throw std::runtime_error(fmt::format("{} is not valid JSON: {}", what, message));
    }
}

} // namespace

bool MountSpec::is_bind() const
{
    return type == "bind"
        || std::any_of(options.begin(), options.end(),
            [](const std::string& option) { return option == "bind" || option == "rbind"; });
}

const NamespaceSpec* ContainerSpec::namespace_of(std::string_view type) const
{
    for (const NamespaceSpec& space : namespaces)
        if (space.type == type)
            return &space;
    return nullptr;
}

ContainerSpec parse_container_spec(
    std::string_view config_text, const std::filesystem::path& bundle)
{
    const json document = parse_json(config_text, "config.json");
    const Field config(document, "", "config.json");
    ContainerSpec spec;
    spec.oci_version = config.required("ociVersion").string();
    const Field root = config.required("root");
    spec.root = root.required("path").string();
    if (spec.root.is_relative())
        spec.root = bundle / spec.root;
    if (auto readonly = root.member("readonly"))
        spec.root_readonly = readonly->boolean();
    if (auto process = config.member("process"))
        spec.process = read_process(*process);
    if (auto hostname = config.member("hostname"))
        spec.hostname = hostname->string();
    if (auto mounts = config.member("mounts"))
        for (const Field& mount : mounts->array()) {
            MountSpec item;
            item.destination = mount.required("destination").string();
            if (auto type = mount.member("type"))
                item.type = type->string();
            if (auto source = mount.member("source"))
                item.source = source->string();
            if (auto options = mount.member("options"))
                item.options = options->strings();
            spec.mounts.push_back(std::move(item));
        }
    if (auto annotations = config.member("annotations"))
        spec.annotations = annotations->string_map();
    if (auto linux = config.member("linux")) {
        if (auto namespaces = linux->member("namespaces"))
            for (const Field& space : namespaces->array()) {
                NamespaceSpec item { space.required("type").string(), {} };
                if (auto path = space.member("path"))
                    item.path = path->string();
                spec.namespaces.push_back(std::move(item));
            }
        if (auto resources = linux->member("resources"))
            spec.resources = read_resources(*resources);
        if (auto cgroups_path = linux->member("cgroupsPath"))
            spec.cgroups_path = cgroups_path->string();
    }
    return spec;
}

ResourceSpec parse_resources_spec(std::string_view text)
{
    const json document = parse_json(text, "the resources file");
    return read_resources(Field(document, "", "the resources file"));
}

ProcessSpec parse_process_spec(std::string_view text)
{
    const json document = parse_json(text, "the process file");
    return read_process(Field(document, "process", "the process file"));
}

ContainerSpec load_bundle(const std::filesystem::path& bundle)
{
    const auto config_path = bundle / "config.json";
    std::ifstream file(config_path);
    if (!file)
        throw std::runtime_error(
            fmt::format("bundle {} has no readable config.json", bundle.string()));
    std::stringstream text;
    text << file.rdbuf();
    ContainerSpec spec;
    try {
        spec = parse_container_spec(text.str(), std::filesystem::absolute(bundle));
    } catch (const std::runtime_error& error) {
        throw std::runtime_error(fmt::format("bundle {}: {}", bundle.string(), error.what()));
    }
    if (!spec.process)
        throw std::runtime_error(
            fmt::format("bundle {}: config.json has no process to run", bundle.string()));
    std::error_code error;
    if (!std::filesystem::is_directory(spec.root, error))
        throw std::runtime_error(fmt::format("bundle {}: the root filesystem {} does not exist "
                                             "or is not a directory",
            bundle.string(), spec.root.string()));
    return spec;
}

} // namespace rvisor::oci
