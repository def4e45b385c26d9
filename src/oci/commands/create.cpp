#include "control/vm_process.h"
#include "oci/commands.h"
#include "oci/monitor.h"
#include "oci/pid_file.h"
#include "oci/runtime_files.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

// A cold boot to the agent takes about a second; the monitor gives up on the agent after 60.
constexpr int kCreateTimeoutMs = 90'000;

std::string now_rfc3339()
{
    const auto now
        = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    return fmt::format("{:%FT%T}Z", now);
}

// Everything the monitor writes before it closes the pipe: "R" once the container is created,
// "E" and the reason otherwise, nothing if it died.
std::string read_ready(int fd)
{
    std::string message;
    const auto deadline
        = std::chrono::steady_clock::now() + std::chrono::milliseconds(kCreateTimeoutMs);
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd ready { fd, POLLIN, 0 };
        if (left.count() <= 0 || ::poll(&ready, 1, static_cast<int>(left.count())) == 0)
            throw std::runtime_error("the container's VM did not get ready in time");
        char buffer[4096];
        const ssize_t count = ::read(fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return message;
        message.append(buffer, static_cast<size_t>(count));
    }
}

} // namespace

int run_create(const StateStore& store, const CreateCommand& command)
{
    const ContainerId id(command.id);
    const auto bundle = std::filesystem::absolute(command.bundle).lexically_normal();
    // Everything that can be checked is, before anything is recorded.
    ContainerSpec spec = load_bundle(bundle);
    const RuntimeFiles files = find_runtime_files();
    const auto lock = store.create(id);
    const ContainerFiles paths(store.directory(id));
    pid_t monitor = -1;
    try {
        ContainerVm vm = plan_container_vm(spec, files.images, paths.vsock());
        ContainerState state;
        state.id = id.str();
        state.bundle = bundle;
        state.created = now_rfc3339();
        state.annotations = spec.annotations;
        store.save(state);

        int ready[2];
        if (::pipe2(ready, O_CLOEXEC) != 0)
            throw std::runtime_error(fmt::format("cannot make a pipe: {}", std::strerror(errno)));
        const MonitorSetup setup { paths, std::move(spec), std::move(vm), files.rvisor,
            command.console_socket, ready[1] };
        monitor = ::fork();
        if (monitor < 0)
            throw std::runtime_error(
                fmt::format("cannot start the container's monitor: {}", std::strerror(errno)));
        if (monitor == 0) {
            // The container's stdio stays; what the engine leaked (containerd's socket) goes.
            ::close(ready[0]);
            ::close_range(3, static_cast<unsigned>(ready[1]) - 1, 0);
            ::close_range(static_cast<unsigned>(ready[1]) + 1, ~0U, 0);
            run_monitor(setup);
        }
        ::close(ready[1]);
        const std::string message = read_ready(ready[0]);
        ::close(ready[0]);
        if (message != "R")
            throw std::runtime_error(message.starts_with("E")
                    ? message.substr(1)
                    : "the container's monitor stopped while creating it");
        state.status = ContainerStatus::Created;
        state.pid = monitor;
        state.pid_start_time = control::process_start_time(monitor).value_or(0);
        store.save(state);
        if (command.pid_file)
            write_pid_file(*command.pid_file, monitor);
        return 0;
    } catch (...) {
        if (monitor > 0) {
            ::kill(monitor, SIGKILL);
            ::waitpid(monitor, nullptr, 0);
        }
        store.remove(id);
        throw;
    }
}

} // namespace rvisor::oci
