#include "control/vm_process.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rvisor::control {

namespace {

// The fields of /proc/PID/stat after the command name, which may itself hold spaces and
// parentheses: field 3 (state) is fields[0].
std::optional<std::vector<std::string>> stat_fields(pid_t pid)
{
    std::ifstream file(fmt::format("/proc/{}/stat", pid));
    std::string text;
    if (!std::getline(file, text))
        return std::nullopt;
    const auto end_of_name = text.rfind(')');
    if (end_of_name == std::string::npos)
        return std::nullopt;
    std::istringstream rest(text.substr(end_of_name + 1));
    std::vector<std::string> fields;
    for (std::string field; rest >> field;)
        fields.push_back(field);
    if (fields.size() < 20 || fields[0] == "Z" || fields[0] == "X")
        return std::nullopt;
    return fields;
}

uint64_t status_kib(pid_t pid, const std::string& name)
{
    std::ifstream file(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(file, line);) {
        if (line.starts_with(name + ":"))
            return std::stoull(line.substr(name.size() + 1));
    }
    return 0;
}

void io_bytes(pid_t pid, ProcessUsage& usage)
{
    std::ifstream file(fmt::format("/proc/{}/io", pid));
    for (std::string key; file >> key;) {
        uint64_t value = 0;
        file >> value;
        if (key == "read_bytes:")
            usage.read_bytes = value;
        else if (key == "write_bytes:")
            usage.write_bytes = value;
    }
}

} // namespace

pid_t spawn_detached(const std::filesystem::path& program, const std::vector<std::string>& args,
    const std::filesystem::path& stderr_path)
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(
        &actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    // A fresh signal mask and default dispositions: the VM installs its own handlers.
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(
        &attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> argv_storage { program.string() };
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& arg : argv_storage)
        argv.push_back(arg.data());
    argv.push_back(nullptr);

    pid_t pid = 0;
    const int error
        = posix_spawn(&pid, program.c_str(), &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0)
        throw std::runtime_error(
            fmt::format("cannot start '{}': {}", program.string(), std::strerror(error)));
    return pid;
}

std::optional<uint64_t> process_start_time(pid_t pid)
{
    const auto fields = stat_fields(pid);
    if (!fields)
        return std::nullopt;
    return std::stoull((*fields)[19]); // field 22
}

std::optional<ProcessUsage> process_usage(pid_t pid)
{
    const auto fields = stat_fields(pid);
    if (!fields)
        return std::nullopt;
    ProcessUsage usage;
    const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
    // utime and stime: fields 14 and 15.
    usage.cpu_seconds = static_cast<double>(std::stoull((*fields)[11]) + std::stoull((*fields)[12]))
        / ticks_per_second;
    usage.rss_kib = status_kib(pid, "VmRSS");
    io_bytes(pid, usage);
    return usage;
}

void reap_children()
{
    while (waitpid(-1, nullptr, WNOHANG) > 0) { }
}

} // namespace rvisor::control
