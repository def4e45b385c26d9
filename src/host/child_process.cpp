#include "host/child_process.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace rvisor::host {

using namespace std::chrono_literals;

ChildProcess::ChildProcess(const std::vector<std::string>& args,
    const std::filesystem::path& stderr_path, const std::function<bool()>& before_exec,
    const std::string& failure)
{
    // Everything the child uses is made before the fork: after it, no allocation.
    std::vector<char*> argv;
    for (const std::string& arg : args)
        argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    m_pid = ::fork();
    if (m_pid < 0)
        throw std::runtime_error(
            fmt::format("cannot start {}: {}", args.at(0), std::strerror(errno)));
    if (m_pid == 0) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent)
            ::_exit(1);
        const int null = ::open("/dev/null", O_RDWR);
        const int errors
            = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(errors >= 0 ? errors : null, STDERR_FILENO);
        if (before_exec && !before_exec()) {
            const char* reason = std::strerror(errno);
            for (const char* text : { failure.c_str(), reason, "\n" })
                [[maybe_unused]] ssize_t ignored = ::write(STDERR_FILENO, text, std::strlen(text));
            ::_exit(1);
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    // Through syscall(2): glibc 2.36's <sys/pidfd.h> lacks C linkage for C++.
    m_pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, m_pid, 0)));
}

bool ChildProcess::exited()
{
    std::lock_guard lock(m_mutex);
    if (m_exited)
        return true;
    int status = 0;
    const pid_t collected = ::waitpid(m_pid, &status, WNOHANG);
    if (collected == m_pid || (collected < 0 && errno == ECHILD))
        m_exited = true;
    return m_exited;
}

void ChildProcess::finish(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!exited()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms) {
            // Through the pidfd where there is one: the pid may have been collected, and
            // reused, by a wait elsewhere in this process.
            if (m_pidfd.get() >= 0)
                ::syscall(SYS_pidfd_send_signal, m_pidfd.get(), SIGKILL, nullptr, 0);
            else
                ::kill(m_pid, SIGKILL);
            std::lock_guard lock(m_mutex);
            ::waitpid(m_pid, nullptr, 0);
            m_exited = true;
            return;
        }
        // Woken the moment the child goes, not a poll interval later (a kernel without pidfds
        // gets the interval).
        pollfd gone { m_pidfd.get(), POLLIN, 0 };
        if (m_pidfd.get() < 0 || ::poll(&gone, 1, static_cast<int>(left.count())) < 0)
            std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(left, 20ms));
    }
}

} // namespace rvisor::host
