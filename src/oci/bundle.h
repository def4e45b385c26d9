#pragma once
// An OCI bundle: a directory with config.json (the runtime spec's container configuration) and
// the root filesystem it names. Parsed once, strictly for what rvisor-oci uses: a field it
// reads with the wrong type is an error naming the field; fields it does not read are left
// alone, as the spec asks of runtimes (extensions, and what docs/containers.md lists as not
// honoured).
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rvisor::oci {

struct ProcessUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    std::optional<uint32_t> umask;
};

struct Rlimit {
    std::string type; // "RLIMIT_NOFILE", ...
    uint64_t hard = 0;
    uint64_t soft = 0;
};

struct ConsoleSize {
    unsigned height = 0;
    unsigned width = 0;
};

// config.json's "process", and the process file `exec --process` takes.
struct ProcessSpec {
    bool terminal = false;
    std::optional<ConsoleSize> console_size;
    ProcessUser user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
};

struct MountSpec {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;

    // A bind mount of a host path ("bind" type or a bind/rbind option).
    bool is_bind() const;
};

struct NamespaceSpec {
    std::string type; // "network", "pid", ...
    std::string path; // an existing namespace to join, or empty for a new one
};

struct ResourceSpec {
    std::optional<int64_t> memory_limit; // bytes
    std::optional<uint64_t> cpu_shares; // a relative weight, 1024 the default
    std::optional<int64_t> cpu_quota; // microseconds per period
    std::optional<uint64_t> cpu_period;
    std::string cpuset_cpus; // "0-3,6"
    // The members present that rvisor does not honour, as JSON paths ("pids.limit").
    std::vector<std::string> unhonoured;
};

struct ContainerSpec {
    std::string oci_version;
    std::filesystem::path root; // absolute: relative paths are the bundle's
    bool root_readonly = false;
    std::optional<ProcessSpec> process;
    std::string hostname;
    std::vector<MountSpec> mounts;
    std::map<std::string, std::string> annotations;
    std::vector<NamespaceSpec> namespaces;
    ResourceSpec resources;
    std::string cgroups_path;

    // The namespace of this type in linux.namespaces, if any.
    const NamespaceSpec* namespace_of(std::string_view type) const;
};

// Parses config.json's text; `bundle` makes a relative root.path absolute. Throws
// std::runtime_error with one sentence naming the field (as a JSON path, "process.user.uid")
// that is missing, of the wrong type or out of range.
ContainerSpec parse_container_spec(
    std::string_view config_text, const std::filesystem::path& bundle);

// Parses a resources file (`update --resources`): the same object as config.json's
// "linux.resources".
ResourceSpec parse_resources_spec(std::string_view text);

// Parses a process file (`exec --process`): the same object as config.json's "process".
ProcessSpec parse_process_spec(std::string_view text);

// BUNDLE/config.json, parsed, with a root filesystem that exists and is a directory. Throws
// std::runtime_error with one sentence naming the bundle's file.
ContainerSpec load_bundle(const std::filesystem::path& bundle);

} // namespace rvisor::oci
