#pragma once
// A program run as a child that dies with this process (PR_SET_PDEATHSIG): the VM process of
// rvisor-oci's monitor, and the VMs the function platform restores for each instance.
#include "host/unique_fd.h"

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace rvisor::host {

class ChildProcess {
public:
    // Starts args[0] (a path) with stdin and stdout on /dev/null and stderr on `stderr_path`
    // (truncated). `before_exec`, if given, runs in the child after the fork, so it may make
    // async-signal-safe calls only; when it returns false the child writes `failure` and
    // strerror(errno) on its stderr and exits 1. Throws std::runtime_error.
    ChildProcess(const std::vector<std::string>& args, const std::filesystem::path& stderr_path,
        const std::function<bool()>& before_exec = {}, const std::string& failure = {});
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return m_pid; }
    // Readable once the child has exited; for poll(2) with other descriptors.
    int exit_descriptor() const { return m_pidfd.get(); }

    // Whether it has exited (collecting it if so; one collected by someone else's wait counts).
    bool exited();
    // Waits up to `timeout` for it to exit, then kills it.
    void finish(std::chrono::milliseconds timeout);

private:
    pid_t m_pid = -1;
    UniqueFd m_pidfd;
    std::mutex m_mutex;
    bool m_exited = false;
};

} // namespace rvisor::host
