#pragma once
// The processes create and exec leave behind (the monitor, an exec's waiter) report on a pipe
// once: "R" when their process is ready, "E" and the reason otherwise. The command waits for
// that report, then writes the pid file and exits, leaving the child to the engine.
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

namespace rvisor::oci {

// Forks a child that keeps only stdio (the container's) and the report's writing end, the rest
// being what the engine leaked (containerd's socket), and runs `child(report_fd)`, which must
// not return. Throws std::runtime_error naming `what` when the fork fails.
class ReportingChild {
public:
    ReportingChild(const std::function<void(int report_fd)>& child, const char* what);
    ~ReportingChild();
    ReportingChild(const ReportingChild&) = delete;
    ReportingChild& operator=(const ReportingChild&) = delete;

    pid_t pid() const { return m_pid; }

    // Returns once the child reported ready. Throws std::runtime_error with the child's reason,
    // or saying that it stopped without one or was not ready within `timeout`.
    void wait_until_ready(std::chrono::milliseconds timeout);

private:
    const char* m_what;
    pid_t m_pid = -1;
    int m_report = -1; // the reading end
};

// The child's side: "R" or "E" and the reason; the pipe is closed either way.
void report_ready(int report_fd);
void report_failure(int report_fd, const std::string& reason);

} // namespace rvisor::oci
