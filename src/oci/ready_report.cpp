#include "oci/ready_report.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <unistd.h>

namespace rvisor::oci {

namespace {

void report(int fd, const std::string& message)
{
    [[maybe_unused]] ssize_t ignored = ::write(fd, message.data(), message.size());
    ::close(fd);
}

} // namespace

ReportingChild::ReportingChild(const std::function<void(int report_fd)>& child, const char* what)
    : m_what(what)
{
    int pipe[2];
    if (::pipe2(pipe, O_CLOEXEC) != 0)
        throw std::runtime_error(fmt::format("cannot make a pipe: {}", std::strerror(errno)));
    m_pid = ::fork();
    if (m_pid < 0) {
        const int saved = errno;
        ::close(pipe[0]);
        ::close(pipe[1]);
        throw std::runtime_error(fmt::format("cannot start {}: {}", m_what, std::strerror(saved)));
    }
    if (m_pid == 0) {
        ::close(pipe[0]);
        ::close_range(3, static_cast<unsigned>(pipe[1]) - 1, 0);
        ::close_range(static_cast<unsigned>(pipe[1]) + 1, ~0U, 0);
        child(pipe[1]);
        ::_exit(1); // `child` returned, which it must not
    }
    ::close(pipe[1]);
    m_report = pipe[0];
}

ReportingChild::~ReportingChild()
{
    if (m_report >= 0)
        ::close(m_report);
}

void ReportingChild::wait_until_ready(std::chrono::milliseconds timeout)
{
    std::string message;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd readable { m_report, POLLIN, 0 };
        if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) == 0)
            throw std::runtime_error(fmt::format("{} did not get ready in time", m_what));
        char buffer[4096];
        const ssize_t count = ::read(m_report, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            break;
        message.append(buffer, static_cast<size_t>(count));
    }
    if (message == "R")
        return;
    throw std::runtime_error(message.starts_with("E")
            ? message.substr(1)
            : fmt::format("{} stopped before it was ready", m_what));
}

void report_ready(int report_fd) { report(report_fd, "R"); }

void report_failure(int report_fd, const std::string& reason) { report(report_fd, "E" + reason); }

} // namespace rvisor::oci
