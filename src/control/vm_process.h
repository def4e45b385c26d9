#pragma once
// The host processes the control program runs its VMs in: starting one detached, and reading
// what the kernel knows of one (alive, its start time, its CPU time and memory).
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::control {

// Starts `program` with `args` in a session of its own (so that signals to the control
// program's group never reach it, and it outlives the control program), with stdin and
// stdout on /dev/null and stderr appended to `stderr_path`. Throws std::runtime_error.
pid_t spawn_detached(const std::filesystem::path& program, const std::vector<std::string>& args,
    const std::filesystem::path& stderr_path);

// The process's start time (clock ticks since boot, /proc/PID/stat field 22): with the pid, it
// names one process for good, where a pid alone may be reused. nullopt once the process has
// exited (a zombie counts as exited).
std::optional<uint64_t> process_start_time(pid_t pid);

struct ProcessUsage {
    uint64_t rss_kib = 0;
    double cpu_seconds = 0; // user + system, all threads
    uint64_t read_bytes = 0; // from storage (/proc/PID/io), e.g. the VM's disks
    uint64_t write_bytes = 0;
};
std::optional<ProcessUsage> process_usage(pid_t pid);

// Collects every exited child without waiting, so that none stays a zombie.
void reap_children();

} // namespace rvisor::control
