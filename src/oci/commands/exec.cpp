#include "control/vm_process.h"
#include "oci/commands.h"
#include "oci/monitor.h"
#include "oci/pid_file.h"
#include "oci/process_session.h"
#include "oci/ready_report.h"
#include "oci/signal_forwarding.h"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

ProcessSpec process_of(const ExecCommand& command)
{
    if (command.process_file) {
        std::ifstream file(*command.process_file);
        if (!file)
            throw std::runtime_error(
                fmt::format("cannot read the process file {}", command.process_file->string()));
        std::stringstream text;
        text << file.rdbuf();
        return parse_process_spec(text.str());
    }
    if (command.args.empty())
        throw std::runtime_error("exec needs --process FILE or a command after the container id");
    ProcessSpec process;
    process.args = command.args;
    process.env = command.env;
    process.cwd = command.cwd.empty() ? "/" : command.cwd;
    process.terminal = command.tty;
    if (!command.user.empty()) {
        const std::string& user = command.user;
        const size_t colon = user.find(':');
        auto number = [&](std::string_view text) {
            uint32_t value = 0;
            const auto [end, error]
                = std::from_chars(text.data(), text.data() + text.size(), value);
            if (error != std::errc {} || end != text.data() + text.size() || text.empty())
                throw std::runtime_error(fmt::format("--user '{}' is not UID[:GID]", user));
            return value;
        };
        process.user.uid = number(std::string_view(user).substr(0, colon));
        if (colon != std::string::npos)
            process.user.gid = number(std::string_view(user).substr(colon + 1));
    }
    return process;
}

// Only catches a hang: the VM is up, so starting a process takes milliseconds.
constexpr std::chrono::seconds kExecTimeout { 60 };

std::string new_exec_id()
{
    std::random_device random;
    return fmt::format("exec-{:08x}{:08x}", random(), random());
}

// The waiter: the process whose lifetime is the exec'd process's and whose exit status is its.
[[noreturn]] void run_waiter(const std::filesystem::path& vsock, const std::string& exec_id,
    const ProcessSpec& process, const std::optional<std::filesystem::path>& console_socket,
    int report_fd)
{
    block_forwarded_signals();
    std::signal(SIGPIPE, SIG_IGN);
    ProcessSession session(vsock, exec_id);
    try {
        const int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
        session.create(process, console_socket, stdio);
        session.start();
    } catch (const std::exception& error) {
        report_failure(report_fd, error.what());
        ::_exit(1);
    }
    report_ready(report_fd);
    forward_signals(session);
    ::_exit(session.wait());
}

} // namespace

int run_exec(const StateStore& store, const ExecCommand& command)
{
    const ContainerId id(command.id);
    const ProcessSpec process = process_of(command);
    const auto vsock = ContainerFiles(store, id).vsock();
    {
        const auto lock = store.lock(id);
        require_status(id.str(), store.load(id).status, ContainerCommand::Exec);
    }
    const std::string exec_id = new_exec_id();
    ReportingChild child(
        [&](int report_fd) {
            run_waiter(vsock, exec_id, process, command.console_socket, report_fd);
        },
        "the exec's waiter");
    const pid_t waiter = child.pid();
    try {
        child.wait_until_ready(kExecTimeout);
    } catch (const std::runtime_error&) {
        ::waitpid(waiter, nullptr, 0);
        throw;
    }
    if (command.pid_file)
        write_pid_file(*command.pid_file, waiter);
    if (command.detach)
        return 0;
    int status = 0;
    while (::waitpid(waiter, &status, 0) < 0 && errno == EINTR) { }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace rvisor::oci
