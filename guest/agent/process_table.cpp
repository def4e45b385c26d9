#include "process_table.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

namespace rvisor::agent {

ProcessTable::Process* ProcessTable::find(const std::string& exec_id)
{
    auto found = m_processes.find(exec_id);
    return found == m_processes.end() ? nullptr : &found->second;
}

CallError ProcessTable::unknown(const std::string& exec_id)
{
    return CallError { ESRCH, "there is no process \"" + exec_id + "\"" };
}

std::optional<CallError> ProcessTable::create(const CreateProcess& request)
{
    // The lock is held across the fork: the reaper's record_exit waits for the pid to be in the
    // table, so an exit can never arrive before its process.
    std::lock_guard lock(m_mutex);
    if (m_processes.contains(request.exec_id))
        return CallError { EEXIST, "a process \"" + request.exec_id + "\" exists already" };
    auto launched = launch_process(request);
    if (auto* error = std::get_if<CallError>(&launched))
        return *error;
    m_processes[request.exec_id].launched = std::move(std::get<LaunchedProcess>(launched));
    return std::nullopt;
}

std::optional<CallError> ProcessTable::start(const std::string& exec_id)
{
    UniqueFd start_writer, exec_error_reader;
    {
        std::lock_guard lock(m_mutex);
        Process* process = find(exec_id);
        if (!process)
            return unknown(exec_id);
        if (process->started)
            return CallError { EALREADY, "process \"" + exec_id + "\" was started already" };
        if (process->wait_status)
            return CallError { ESRCH, "process \"" + exec_id + "\" ended before it started" };
        process->started = true;
        start_writer = std::move(process->launched.start_writer);
        exec_error_reader = std::move(process->launched.exec_error_reader);
    }
    // Outside the lock: the child's set-up up to its exec takes as long as it takes.
    std::optional<CallError> failed
        = start_process(std::move(start_writer), std::move(exec_error_reader));
    if (failed) {
        // The child exits right after it reports; the caller that hears of the failure must
        // not then see the process running (ListProcesses, signals). The reaper records it.
        std::unique_lock lock(m_mutex);
        Process* process = find(exec_id);
        m_changed.wait_for(
            lock, std::chrono::seconds(1), [&] { return process->wait_status.has_value(); });
    }
    return failed;
}

std::variant<ExitStatus, CallError> ProcessTable::wait(const std::string& exec_id)
{
    std::unique_lock lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    // Entries are never removed, so the pointer stays valid across the waits.
    m_changed.wait(lock, [&] { return process->wait_status && process->streams_draining == 0; });
    return exit_status_from_wait_status(*process->wait_status);
}

std::optional<CallError> ProcessTable::signal(const std::string& exec_id, int signal, bool all)
{
    std::lock_guard lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    // Under the lock the pid cannot have been reaped and reused: the reaper records exits here.
    if (process->wait_status)
        return CallError { ESRCH, "process \"" + exec_id + "\" has exited" };
    pid_t target = all ? -process->launched.pid : process->launched.pid;
    if (kill(target, signal) != 0)
        return CallError { errno, std::string("kill failed: ") + std::strerror(errno) };
    return std::nullopt;
}

std::optional<CallError> ProcessTable::close_stdin(const std::string& exec_id)
{
    std::lock_guard lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    if (process->launched.terminal) {
        // A terminal has no end of input of its own: its line discipline turns ^D into one.
        char end_of_file = 4;
        if (write(process->launched.terminal.get(), &end_of_file, 1) != 1)
            return CallError { errno, std::string("writing ^D failed: ") + std::strerror(errno) };
        return std::nullopt;
    }
    if (process->stdin_socket >= 0)
        shutdown(process->stdin_socket, SHUT_RD); // the stream reads its end, then closes stdin
    process->launched.stdin_writer.reset();
    return std::nullopt;
}

std::optional<CallError> ProcessTable::resize_terminal(
    const std::string& exec_id, uint16_t rows, uint16_t cols)
{
    std::lock_guard lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    if (!process->launched.terminal)
        return CallError { ENOTTY, "process \"" + exec_id + "\" has no terminal" };
    winsize size {};
    size.ws_row = rows;
    size.ws_col = cols;
    if (ioctl(process->launched.terminal.get(), TIOCSWINSZ, &size) != 0)
        return CallError { errno, std::string("TIOCSWINSZ failed: ") + std::strerror(errno) };
    return std::nullopt;
}

ProcessList ProcessTable::list()
{
    std::lock_guard lock(m_mutex);
    ProcessList list;
    for (const auto& [exec_id, process] : m_processes)
        list.processes.push_back({ exec_id, process.launched.pid, !process.wait_status });
    return list;
}

std::variant<UniqueFd, CallError> ProcessTable::attach_output(
    const std::string& exec_id, StdioStream stream)
{
    std::lock_guard lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    bool is_stdout = stream == StdioStream::Stdout;
    bool& attached = is_stdout ? process->stdout_attached : process->stderr_attached;
    if (attached)
        return CallError { EBUSY,
            "process \"" + exec_id + "\"'s " + std::string(stream_name(stream))
                + " is attached already" };
    UniqueFd fd;
    if (process->launched.terminal) {
        if (!is_stdout)
            return CallError { EINVAL, "a terminal process's stderr is its terminal: open stdout" };
        fd = UniqueFd(fcntl(process->launched.terminal.get(), F_DUPFD_CLOEXEC, 0));
        if (!fd)
            return CallError { errno, std::string("dup failed: ") + std::strerror(errno) };
    } else {
        fd = std::move(
            is_stdout ? process->launched.stdout_reader : process->launched.stderr_reader);
        if (!fd)
            return CallError { EINVAL, "process \"" + exec_id + "\"'s output goes to the console" };
    }
    attached = true;
    ++process->streams_draining;
    return fd;
}

std::variant<UniqueFd, CallError> ProcessTable::attach_input(const std::string& exec_id, int socket)
{
    std::lock_guard lock(m_mutex);
    Process* process = find(exec_id);
    if (!process)
        return unknown(exec_id);
    if (process->stdin_attached)
        return CallError { EBUSY, "process \"" + exec_id + "\"'s stdin is attached already" };
    UniqueFd fd;
    if (process->launched.terminal) {
        fd = UniqueFd(fcntl(process->launched.terminal.get(), F_DUPFD_CLOEXEC, 0));
    } else {
        if (!process->launched.stdin_writer)
            return CallError { EPIPE, "process \"" + exec_id + "\"'s stdin is closed" };
        fd = std::move(process->launched.stdin_writer);
    }
    if (!fd)
        return CallError { errno, std::string("dup failed: ") + std::strerror(errno) };
    process->stdin_attached = true;
    process->stdin_socket = socket;
    return fd;
}

void ProcessTable::output_finished(const std::string& exec_id)
{
    std::lock_guard lock(m_mutex);
    if (Process* process = find(exec_id)) {
        --process->streams_draining;
        m_changed.notify_all();
    }
}

void ProcessTable::input_finished(const std::string& exec_id)
{
    std::lock_guard lock(m_mutex);
    if (Process* process = find(exec_id))
        process->stdin_socket = -1;
}

void ProcessTable::record_exit(pid_t pid, int wait_status)
{
    std::lock_guard lock(m_mutex);
    for (auto& [exec_id, process] : m_processes) {
        if (process.launched.pid == pid && !process.wait_status) {
            process.wait_status = wait_status;
            m_changed.notify_all();
            return;
        }
    }
}

} // namespace rvisor::agent
