#include "control/vm_process.h"
#include "oci/commands.h"
#include "oci/cpu_weight.h"
#include "oci/foreign_image.h"
#include "oci/monitor.h"
#include "oci/pid_file.h"
#include "oci/ready_report.h"
#include "oci/runc_delegation.h"
#include "oci/runtime_files.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

// A cold boot to the agent takes about a second; the monitor gives up on the agent after 60.
constexpr std::chrono::seconds kCreateTimeout { 90 };

std::string now_rfc3339()
{
    const auto now
        = std::chrono::floor<std::chrono::microseconds>(std::chrono::system_clock::now());
    return fmt::format("{:%FT%T}Z", now);
}

} // namespace

int run_create(const StateStore& store, const CreateCommand& command,
    const std::vector<std::string>& args, const RuntimeLog& log)
{
    const ContainerId id(command.id);
    const auto bundle = std::filesystem::absolute(command.bundle).lexically_normal();
    // Everything that can be checked is, before anything is recorded.
    ContainerSpec spec = load_bundle(bundle);
    if (is_foreign_program(spec))
        exec_runc(store.root(), args);
    const RuntimeFiles files = find_runtime_files();
    const auto lock = store.create(id);
    const ContainerFiles paths(store, id);
    std::optional<ReportingChild> monitor;
    try {
        ContainerVm vm = plan_container_vm(spec, files.images, paths.vsock());
        ContainerState state;
        state.id = id.str();
        state.bundle = bundle;
        state.created = now_rfc3339();
        state.annotations = spec.annotations;
        store.save(state);

        const std::optional<uint64_t> cpu_shares = spec.resources.cpu_shares;
        MonitorSetup setup { paths, std::move(spec), std::move(vm), files.rvisor,
            command.console_socket, log, {}, {}, {} };
        if (setup.vm.use_template) {
            const TemplateCache templates(store.root());
            setup.template_identity = template_identity(setup.vm.spec, files.rvisor);
            setup.clone_of = templates.find(setup.template_identity);
            setup.templates = templates;
        }
        monitor.emplace(
            [&](int report_fd) { run_monitor(setup, report_fd); }, "the container's monitor");
        monitor->wait_until_ready(kCreateTimeout);
        // The VM runs at the weight its CPU shares ask for; one this user may not give is a
        // warning, as a missing cgroup controller is to runc.
        if (cpu_shares && *cpu_shares > 0) {
            try {
                set_process_tree_nice(monitor->pid(), nice_for_cpu_shares(*cpu_shares));
            } catch (const std::runtime_error& error) {
                log.warning(fmt::format(
                    "container {}: its CPU shares are not honoured: {}", id.str(), error.what()));
            }
        }
        state.status = ContainerStatus::Created;
        state.pid = monitor->pid();
        state.pid_start_time = control::process_start_time(monitor->pid()).value_or(0);
        store.save(state);
        if (command.pid_file)
            write_pid_file(*command.pid_file, monitor->pid());
        return 0;
    } catch (...) {
        if (monitor) {
            ::kill(monitor->pid(), SIGKILL);
            ::waitpid(monitor->pid(), nullptr, 0);
        }
        store.remove(id);
        throw;
    }
}

} // namespace rvisor::oci
