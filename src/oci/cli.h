#pragma once
// rvisor-oci's command line: runc's, so that Podman (through conmon), containerd's runc shim and
// dockerd drive it unchanged (docs/containers.md). Global flags come before the command.
#include "oci/runtime_log.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace rvisor::oci {

struct GlobalOptions {
    std::filesystem::path root = "/run/rvisor-oci";
    std::optional<std::filesystem::path> log;
    LogFormat log_format = LogFormat::Text;
};

struct CreateCommand {
    std::string id;
    std::filesystem::path bundle = ".";
    std::optional<std::filesystem::path> pid_file;
    std::optional<std::filesystem::path> console_socket;
};
// create, start, and (unless detached) wait for the process, delete the container and exit
// with the process's status.
struct RunCommand {
    CreateCommand create;
    bool detach = false;
    bool keep = false; // not deleted once its process exits
};
struct StartCommand {
    std::string id;
};
struct KillCommand {
    std::string id;
    std::string signal = "SIGTERM";
    bool all = false;
};
struct ExecCommand {
    std::string id;
    std::optional<std::filesystem::path> process_file;
    std::vector<std::string> args; // the command when no --process file
    bool detach = false;
    bool tty = false;
    std::string cwd;
    std::vector<std::string> env;
    std::string user; // UID[:GID]
    std::optional<std::filesystem::path> pid_file;
    std::optional<std::filesystem::path> console_socket;
};
struct PauseCommand {
    std::string id;
    bool pause = true; // false: resume
};
struct PsCommand {
    std::string id;
    bool json = false;
};
struct UpdateCommand {
    std::string id;
    // `--resources FILE` (or `-`, stdin): a linux.resources object; the flags below win over it.
    std::optional<std::filesystem::path> resources_file;
    std::optional<std::string> memory; // bytes, or with a k, m or g suffix; -1 for no limit
    std::optional<uint64_t> cpu_shares;
    std::optional<int64_t> cpu_quota;
    std::optional<uint64_t> cpu_period;
    std::optional<std::string> cpuset_cpus;
    // runc's other limits that were given ("pids-limit"), which a VM does not honour.
    std::vector<std::string> unhonoured;
};
// runc's events: the container's statistics as JSON lines, every interval until it stops, or
// once with --stats.
struct EventsCommand {
    std::string id;
    bool stats = false;
    std::string interval = "5s";
};
struct StateCommand {
    std::string id;
};
struct DeleteCommand {
    std::string id;
    bool force = false;
};
struct ListCommand {
    bool json = false;
    bool quiet = false;
};
struct FeaturesCommand { };

using Command = std::variant<CreateCommand, RunCommand, StartCommand, KillCommand, ExecCommand,
    PauseCommand, PsCommand, UpdateCommand, EventsCommand, StateCommand, DeleteCommand, ListCommand,
    FeaturesCommand>;

struct Invocation {
    GlobalOptions global;
    Command command;
};

// The container a command names, if it names one.
std::optional<std::string> container_id_of(const Command& command);

// The invocation, or the exit status to leave with at once (0 after --help or --version, 1
// after a mistake, which is reported on stderr in one line).
std::variant<Invocation, int> parse_command_line(int argc, char** argv);

} // namespace rvisor::oci
