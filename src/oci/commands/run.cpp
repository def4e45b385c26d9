#include "oci/commands.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <sys/wait.h>

namespace rvisor::oci {

namespace {

// What a user sends `runc run` goes on to the container's process, as the monitor passes on
// what it receives (signal_forwarding.h); SIGCHLD says the monitor has exited.
constexpr int kForwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

// The monitor's exit status, the container process's. `monitor` is this process's child.
int wait_passing_signals_on(pid_t monitor)
{
    sigset_t set;
    sigemptyset(&set);
    for (const int signal : kForwarded)
        sigaddset(&set, signal);
    sigaddset(&set, SIGCHLD);
    ::pthread_sigmask(SIG_BLOCK, &set, nullptr);
    // SIGCHLD wakes the wait; the timeout only bounds a wait for one that came before the mask.
    const timespec timeout { 1, 0 };
    for (;;) {
        int status = 0;
        const pid_t waited = ::waitpid(monitor, &status, WNOHANG);
        if (waited == monitor)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (waited < 0 && errno != EINTR)
            throw std::runtime_error(fmt::format(
                "cannot wait for the container's monitor {}: {}", monitor, std::strerror(errno)));
        const int signal = ::sigtimedwait(&set, nullptr, &timeout);
        if (signal > 0 && signal != SIGCHLD)
            ::kill(monitor, signal);
    }
}

} // namespace

int run_run(const StateStore& store, const RunCommand& command,
    const std::vector<std::string>& args, const RuntimeLog& log)
{
    run_create(store, command.create, args, log);
    const ContainerId id(command.create.id);
    const pid_t monitor = [&] {
        const auto lock = store.lock(id);
        return store.load(id).pid;
    }();
    try {
        run_start(store, StartCommand { id.str() });
    } catch (...) {
        run_delete(store, DeleteCommand { id.str(), true });
        throw;
    }
    if (command.detach)
        return 0;
    const int status = wait_passing_signals_on(monitor);
    if (!command.keep)
        run_delete(store, DeleteCommand { id.str(), true });
    return status;
}

} // namespace rvisor::oci
