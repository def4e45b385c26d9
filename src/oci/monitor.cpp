#include "oci/monitor.h"

#include "agent/protocol.h"
#include "api/unix_http_client.h"
#include "host/child_process.h"
#include "host/last_line.h"
#include "host/unique_fd.h"
#include "host/unix_socket.h"
#include "oci/agent_client.h"
#include "oci/container_setup.h"
#include "oci/network_namespace.h"
#include "oci/port_forwarder.h"
#include "oci/process_session.h"
#include "oci/ready_report.h"
#include "oci/signal_forwarding.h"
#include "vmm/fs_option.h"
#include "vmm/net_option.h"
#include "vmm/vm_spec_builder.h"
#include "vmm/vsock_option.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <memory>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace rvisor::oci {

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// How long the guest may take to boot to its agent; a cold boot takes about a second.
constexpr auto kAgentTimeout = 60s;
// A clone's agent answers within milliseconds; one that does not is a broken template.
constexpr auto kCloneTimeout = 10s;
// How long a powered-off VM may take to exit before it is killed.
constexpr auto kPowerOffTimeout = 10s;

// rvisor's command line for the VM: booted from its spec, or a clone of a template given this
// container's shares, networks and vsock socket in place of the template's.
std::vector<std::string> vm_command(
    const MonitorSetup& setup, const std::optional<VmTemplate>& clone_of)
{
    std::vector<std::string> args { setup.rvisor.string() };
    if (clone_of) {
        const machine::VmSpec& spec = setup.vm.spec;
        args.insert(args.end(),
            { "restore", "--snapshot", clone_of->state_file.string(), "--mem-file",
                clone_of->memory_file.string(), "--vsock", vmm::format_vsock_option(*spec.vsock) });
        for (const machine::FsShareConfig& share : spec.shares)
            args.insert(args.end(), { "--fs", vmm::format_fs_option(share) });
        for (const machine::NetConfig& net : spec.nets)
            args.insert(args.end(), { "--net", vmm::format_net_option(net) });
    } else {
        std::ofstream(setup.files.vm_config()) << vmm::spec_to_json(setup.vm.spec).dump(2) << '\n';
        args.insert(args.end(), { "run", "--config", setup.files.vm_config().string() });
    }
    args.insert(args.end(),
        { "--console-log", setup.files.console_log().string(), "--api-sock",
            setup.files.api().string() });
    return args;
}

// The VM process: rvisor run or restore, which dies with the monitor, in the container's network
// namespace when it has one, so that the guest's user-mode network opens its sockets there.
std::unique_ptr<host::ChildProcess> start_vm(const MonitorSetup& setup,
    const std::optional<VmTemplate>& clone_of, const NetworkNamespace* network_namespace)
{
    if (!network_namespace)
        return std::make_unique<host::ChildProcess>(
            vm_command(setup, clone_of), setup.files.vm_errors());
    return std::make_unique<host::ChildProcess>(
        vm_command(setup, clone_of), setup.files.vm_errors(),
        [network_namespace] { return network_namespace->enter(); },
        fmt::format("cannot join the network namespace {}: ", network_namespace->path().string()));
}

class Monitor {
public:
    Monitor(const MonitorSetup& setup, int report_fd)
        : m_setup(setup)
        , m_report_fd(report_fd)
    {
    }

    // The container's exit status.
    int run()
    {
        block_forwarded_signals();
        std::signal(SIGPIPE, SIG_IGN);

        try {
            set_up();
        } catch (const std::exception& error) {
            std::string message = error.what();
            if (m_vm && m_vm->exited()) {
                const std::string reason = host::last_line_of(m_setup.files.vm_errors());
                if (!reason.empty())
                    message += fmt::format(" ({})", reason);
            }
            report_failure(m_report_fd, message);
            if (m_vm)
                m_vm->finish(0ms);
            return 1;
        }
        report_ready(m_report_fd);
        forward_signals(m_session);
        std::thread(&Monitor::serve_commands, this).detach();

        const int status = m_session.wait();
        try {
            AgentConnection(m_setup.files.vsock(), 1s).call("PowerOff");
        } catch (const std::exception&) {
            // Already off.
        }
        m_vm->finish(kPowerOffTimeout);
        host::remove_listening_socket(m_setup.files.monitor(), m_commands);
        return status;
    }

private:
    void set_up()
    {
        m_commands = host::create_listening_socket(m_setup.files.monitor());
        if (m_setup.vm.network && m_setup.vm.network->namespace_path)
            m_network_namespace
                = std::make_shared<const NetworkNamespace>(*m_setup.vm.network->namespace_path);
        std::optional<AgentConnection> control = m_setup.clone_of ? start_clone() : std::nullopt;
        if (!control)
            control.emplace(boot());
        set_up_container(*control, m_setup.spec, m_setup.vm);
        const int stdio[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
        m_session.create(*m_setup.spec.process, m_setup.console_socket, stdio);
        if (m_setup.vm.network) {
            m_port_forwarder = std::make_unique<PortForwarder>(
                m_setup.files.vsock(), m_network_namespace, m_setup.log);
            m_port_forwarder->start();
        }
    }

    std::string name() const { return m_setup.files.dir.filename().string(); }
    bool vm_gone() { return m_vm->exited(); }

    AgentConnection boot()
    {
        m_vm = start_vm(m_setup, std::nullopt, m_network_namespace.get());
        AgentConnection control(m_setup.files.vsock(), kAgentTimeout, [this] { return vm_gone(); });
        if (m_setup.templates)
            leave_template();
        return control;
    }

    // The VM as a clone of the template, or nothing when the template does not work (damaged,
    // or made by a build that cannot restore it): then the template is removed, and the
    // container boots, leaving a new one.
    std::optional<AgentConnection> start_clone()
    {
        const VmTemplate& clone_of = *m_setup.clone_of;
        m_vm = start_vm(m_setup, clone_of, m_network_namespace.get());
        try {
            AgentConnection control(
                m_setup.files.vsock(), kCloneTimeout, [this] { return vm_gone(); });
            refresh_clone(control);
            m_setup.log.info(fmt::format("container {} started from the template {}", name(),
                clone_of.state_file.parent_path().string()));
            return control;
        } catch (const std::exception& error) {
            std::string reason = error.what();
            if (m_vm->exited())
                reason = host::last_line_of(m_setup.files.vm_errors());
            m_vm->finish(0ms);
            std::error_code ignored;
            std::filesystem::remove_all(clone_of.state_file.parent_path(), ignored);
            m_setup.log.error(fmt::format(
                "the template {} did not start ({}); it is removed and container {} boots",
                clone_of.state_file.parent_path().string(), reason, name()));
            return std::nullopt;
        }
    }

    // The guest is at the agent's ready point, nothing of the container in it yet: the moment
    // the containers after this one start from. A template that cannot be made costs this
    // container nothing but the attempt.
    void leave_template()
    {
        const auto api = [&](const char* method, const char* path, const json& body) {
            const api::HttpReply reply
                = api::unix_http_request(m_setup.files.api(), method, path, body);
            if (reply.status >= 400)
                throw std::runtime_error(
                    fmt::format("{} {}: {}", method, path, reply.fault_message()));
        };
        try {
            PendingTemplate pending = m_setup.templates->prepare(m_setup.template_identity);
            const VmTemplate files = pending.files();
            api("PATCH", "/vm", { { "state", "Paused" } });
            try {
                api("PUT", "/snapshot/create",
                    { { "snapshot_path", files.state_file.string() },
                        { "mem_file_path", files.memory_file.string() } });
            } catch (...) {
                api("PATCH", "/vm", { { "state", "Resumed" } });
                throw;
            }
            api("PATCH", "/vm", { { "state", "Resumed" } });
            if (pending.publish())
                m_setup.log.info(
                    fmt::format("container {} left a template for containers like it", name()));
        } catch (const std::exception& error) {
            m_setup.log.error(
                fmt::format("no template made for containers like {}: {}", name(), error.what()));
        }
    }

    // One request per connection: a JSON line in, a JSON line out.
    void serve_commands()
    {
        for (;;) {
            const int connection = ::accept4(m_commands.fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0) {
                if (errno == EINTR || errno == ECONNABORTED)
                    continue;
                return;
            }
            std::string line;
            char byte = 0;
            while (line.size() < 4096 && ::read(connection, &byte, 1) == 1 && byte != '\n')
                line += byte;
            json reply;
            try {
                reply = handle(json::parse(line));
            } catch (const std::exception& error) {
                reply = { { "error", error.what() } };
            }
            const std::string text = reply.dump() + "\n";
            [[maybe_unused]] ssize_t ignored
                = ::send(connection, text.data(), text.size(), MSG_NOSIGNAL);
            ::close(connection);
        }
    }

    json handle(const json& request)
    {
        const std::string command = request.at("command").get<std::string>();
        if (command == "start") {
            m_session.start();
        } else if (command == "kill") {
            m_session.signal(request.at("signal").get<int>(), request.value("all", false));
        } else {
            throw std::runtime_error(fmt::format("unknown monitor command '{}'", command));
        }
        return { { "ok", true } };
    }

    const MonitorSetup& m_setup;
    const int m_report_fd;
    std::shared_ptr<const NetworkNamespace> m_network_namespace; // none: the monitor's own
    std::unique_ptr<host::ChildProcess> m_vm;
    std::unique_ptr<PortForwarder> m_port_forwarder; // its threads live until the monitor exits
    host::ListeningSocket m_commands;
    ProcessSession m_session { m_setup.files.vsock(), kInitExecId };
};

} // namespace

void run_monitor(const MonitorSetup& setup, int report_fd)
{
    ::setsid();
    const int status = Monitor(setup, report_fd).run();
    // Threads still relay stdin or wait for commands: leave without unwinding them.
    ::_exit(status);
}

} // namespace rvisor::oci
