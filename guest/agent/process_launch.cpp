#include "process_launch.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::agent {

namespace {

// Which step of the child's set-up failed, sent with errno through the exec error pipe.
enum class ChildStep : int {
    Wait,
    Chroot,
    Chdir,
    ResourceLimits,
    Groups,
    Gid,
    Uid,
    NoNewPrivileges,
    Exec
};

struct ChildFailure {
    ChildStep step;
    int error_number;
};

const char* describe(ChildStep step)
{
    switch (step) {
    case ChildStep::Wait: return "waiting for StartProcess";
    case ChildStep::Chroot: return "entering the rootfs";
    case ChildStep::Chdir: return "changing to cwd";
    case ChildStep::ResourceLimits: return "setting rlimits";
    case ChildStep::Groups: return "setting additional_gids";
    case ChildStep::Gid: return "setting gid";
    case ChildStep::Uid: return "setting uid";
    case ChildStep::NoNewPrivileges: return "setting no_new_privileges";
    case ChildStep::Exec: return "executing args[0]";
    }
    return "starting";
}

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Where args[0] may be, in order: itself when it has a slash, else each directory of the PATH
// in the request's env (runc looks in the container's PATH, not the agent's).
std::vector<std::string> program_candidates(const CreateProcess& request)
{
    const std::string& program = request.args[0];
    if (program.find('/') != std::string::npos)
        return { program };
    std::string path = kDefaultPath;
    for (const std::string& variable : request.env) {
        if (variable.starts_with("PATH="))
            path = variable.substr(5);
    }
    std::vector<std::string> candidates;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos)
            end = path.size();
        std::string directory = path.substr(start, end - start);
        candidates.push_back((directory.empty() ? "." : directory) + "/" + program);
        start = end + 1;
    }
    return candidates;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings)
{
    std::vector<char*> out;
    for (const std::string& s : strings)
        out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

struct Pipe {
    UniqueFd reader;
    UniqueFd writer;
};

std::optional<Pipe> make_pipe()
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return std::nullopt;
    return Pipe { UniqueFd(fds[0]), UniqueFd(fds[1]) };
}

CallError system_error(const char* what)
{
    int error_number = errno;
    return CallError { error_number,
        std::string(what) + " failed: " + std::strerror(error_number) };
}

[[noreturn]] void child_fails(int error_writer, ChildStep step, int error_number)
{
    ChildFailure failure { step, error_number };
    [[maybe_unused]] ssize_t written = write(error_writer, &failure, sizeof failure);
    _exit(127);
}

} // namespace

std::variant<LaunchedProcess, CallError> launch_process(const CreateProcess& request)
{
    // Everything the child needs, made before the fork: after it, no allocation.
    std::vector<std::string> candidates = program_candidates(request);
    std::vector<char*> argv = c_strings(request.args);
    std::vector<char*> envp = c_strings(request.env);
    std::vector<gid_t> groups(request.additional_gids.begin(), request.additional_gids.end());
    const char* rootfs = request.rootfs ? request.rootfs->c_str() : nullptr;

    auto start = make_pipe();
    auto exec_error = make_pipe();
    if (!start || !exec_error)
        return system_error("pipe");

    LaunchedProcess launched;
    // The child's ends of its stdio; closed in the agent once the child has them.
    UniqueFd child_stdin, child_stdout, child_stderr, terminal_slave;
    if (request.terminal) {
        launched.terminal = UniqueFd(posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
        char name[64];
        if (!launched.terminal || grantpt(launched.terminal.get()) != 0
            || unlockpt(launched.terminal.get()) != 0
            || ptsname_r(launched.terminal.get(), name, sizeof name) != 0)
            return system_error("opening a pty");
        terminal_slave = UniqueFd(open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!terminal_slave)
            return system_error("opening the pty's terminal");
    } else if (request.console_output) {
        child_stdin = UniqueFd(open("/dev/null", O_RDONLY | O_CLOEXEC));
        child_stdout = UniqueFd(open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC));
        child_stderr = UniqueFd(fcntl(child_stdout.get(), F_DUPFD_CLOEXEC, 0));
        if (!child_stdin || !child_stdout || !child_stderr)
            return system_error("opening the console for the process's output");
    } else {
        auto in = make_pipe(), out = make_pipe(), err = make_pipe();
        if (!in || !out || !err)
            return system_error("pipe");
        child_stdin = std::move(in->reader);
        launched.stdin_writer = std::move(in->writer);
        child_stdout = std::move(out->writer);
        launched.stdout_reader = std::move(out->reader);
        child_stderr = std::move(err->writer);
        launched.stderr_reader = std::move(err->reader);
    }

    pid_t pid = fork();
    if (pid < 0)
        return system_error("fork");
    if (pid == 0) {
        int error_writer = exec_error->writer.get();
        // The agent blocks SIGCHLD (its reaper waits for it) and ignores SIGPIPE; a program
        // expects neither.
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);
        signal(SIGPIPE, SIG_DFL);
        // Its own session and process group, so that SignalProcess's "all" reaches exactly it
        // and its descendants, and so that a pty can become its controlling terminal.
        setsid();
        if (terminal_slave) {
            ioctl(terminal_slave.get(), TIOCSCTTY, 0);
            for (int fd = 0; fd < 3; ++fd)
                dup2(terminal_slave.get(), fd);
        } else {
            dup2(child_stdin.get(), 0);
            dup2(child_stdout.get(), 1);
            dup2(child_stderr.get(), 2);
        }
        // Only the stdio and these two pipes stay open: a child waiting for its start must not
        // hold other processes' pipes open (their readers would wait for its exec to see EOF).
        int start_reader = start->reader.get();
        int low = std::min(start_reader, error_writer), high = std::max(start_reader, error_writer);
        close_range(3, low - 1, 0);
        close_range(low + 1, high - 1, 0);
        close_range(high + 1, ~0U, 0);
        char go;
        if (read(start_reader, &go, 1) != 1)
            _exit(127); // the agent gave the process up before starting it
        // Into the rootfs by its directory, so that the new root is what the path named when
        // the process started (a mount point there included), and nothing outside stays its cwd.
        if (rootfs && (chdir(rootfs) != 0 || chroot(".") != 0))
            child_fails(error_writer, ChildStep::Chroot, errno);
        if (chdir(request.cwd.c_str()) != 0)
            child_fails(error_writer, ChildStep::Chdir, errno);
        // While still root: raising a hard limit takes CAP_SYS_RESOURCE.
        for (const ResourceLimit& limit : request.rlimits) {
            rlimit value { static_cast<rlim_t>(limit.soft), static_cast<rlim_t>(limit.hard) };
            if (setrlimit(static_cast<__rlimit_resource_t>(limit.resource), &value) != 0)
                child_fails(error_writer, ChildStep::ResourceLimits, errno);
        }
        umask(static_cast<mode_t>(request.umask));
        if (setgroups(groups.size(), groups.data()) != 0)
            child_fails(error_writer, ChildStep::Groups, errno);
        if (setgid(request.gid) != 0)
            child_fails(error_writer, ChildStep::Gid, errno);
        if (setuid(request.uid) != 0)
            child_fails(error_writer, ChildStep::Uid, errno);
        if (request.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
            child_fails(error_writer, ChildStep::NoNewPrivileges, errno);
        int exec_errno = ENOENT;
        for (const std::string& candidate : candidates) {
            execve(candidate.c_str(), argv.data(), envp.data());
            // Like execvp: a file that is there but cannot run is a better reason than absence.
            if (errno != ENOENT && errno != ENOTDIR)
                exec_errno = errno;
        }
        child_fails(error_writer, ChildStep::Exec, exec_errno);
    }
    launched.pid = pid;
    launched.start_writer = std::move(start->writer);
    launched.exec_error_reader = std::move(exec_error->reader);
    return launched;
}

std::optional<CallError> start_process(UniqueFd start_writer, UniqueFd exec_error_reader)
{
    char go = 1;
    if (write(start_writer.get(), &go, 1) != 1)
        return system_error("starting the process");
    start_writer.reset();
    ChildFailure failure {};
    ssize_t got;
    do {
        got = read(exec_error_reader.get(), &failure, sizeof failure);
    } while (got < 0 && errno == EINTR);
    if (got == 0)
        return std::nullopt;
    if (got != sizeof failure)
        return CallError { EIO, "the process ended before it could run its program" };
    return CallError { failure.error_number,
        std::string(describe(failure.step)) + " failed: " + std::strerror(failure.error_number) };
}

} // namespace rvisor::agent
