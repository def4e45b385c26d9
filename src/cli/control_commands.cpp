#include "cli/control_commands.h"

#include "api/unix_http_client.h"
#include "cli/console_attach.h"
#include "cli/default_socket.h"
#include "control/control_api.h"
#include "control/control_program.h"
#include "fn/function_api.h"
#include "fn/function_platform.h"
#include "fn/gateway.h"
#include "oci/runtime_files.h"
#include "vmm/vm_spec_builder.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pthread.h>
#include <unistd.h>

namespace rvisor::cli {

namespace {

using nlohmann::json;

std::string default_state_dir()
{
    if (const char* state = std::getenv("XDG_STATE_HOME"); state && *state)
        return std::string(state) + "/rvisor";
    if (const char* home = std::getenv("HOME"); home && *home)
        return std::string(home) + "/.local/state/rvisor";
    return fmt::format("/tmp/rvisor-{}-state", getuid());
}

std::string absolute(const std::string& path)
{
    return std::filesystem::absolute(path).lexically_normal().string();
}

} // namespace

ControlCommands::ControlCommands(CLI::App& app)
{
    m_serve = app.add_subcommand(
        "serve", "run the control program: many VMs behind an API (docs/control.md)");
    m_serve->add_option(
        "--api-sock", m_socket, "the API's Unix socket (default $XDG_RUNTIME_DIR/rvisor.sock)");
    m_serve->add_option("--state-dir", m_state_dir,
        "where VMs are recorded (default $XDG_STATE_HOME/rvisor or ~/.local/state/rvisor)");
    m_serve->add_option("--http", m_http,
        "serve the function gateway, /fn/NAME/..., on ADDR:PORT (docs/serverless.md)");

    m_vm = app.add_subcommand("vm", "manage the control program's VMs (docs/control.md)");
    m_vm->add_option("--api-sock", m_socket, "the control program's socket")->configurable();
    m_vm->require_subcommand(1);
    auto action = [&](const char* name, const char* help) {
        CLI::App* command = m_vm->add_subcommand(name, help);
        command->add_option("--api-sock", m_socket, "the control program's socket");
        m_actions.push_back(command);
        return command;
    };
    action("list", "list the VMs: id, state, pid");
    auto* create = action("create", "boot a VM from a --config JSON file");
    create->add_option("ID", m_id, "the VM's id")->required();
    create->add_option("--config", m_config, "the VM's settings (as `run --config`)")->required();
    auto* restore = action("restore", "run a VM from a snapshot");
    restore->add_option("ID", m_id, "the VM's id")->required();
    restore->add_option("--snapshot", m_snapshot, "the snapshot's state file")->required();
    restore->add_option("--mem-file", m_memory_file, "the snapshot's memory file")->required();
    for (const auto& [name, help] : { std::pair { "show", "describe a VM" },
             { "pause", "pause a VM" }, { "resume", "resume a paused VM" },
             { "delete", "stop a VM and remove everything it held" },
             { "log", "print a VM's console output so far" },
             { "console", "attach this terminal to a VM's console (Ctrl-A d detaches)" } })
        action(name, help)->add_option("ID", m_id, "the VM's id")->required();
    auto* balloon = action("balloon", "show a VM's balloon, or set it to MIB");
    balloon->add_option("ID", m_id, "the VM's id")->required();
    balloon->add_option("MIB", m_balloon_mib, "the RAM the guest gives the host, MiB");
    auto* snapshot = action("snapshot", "snapshot a paused VM");
    snapshot->add_option("ID", m_id, "the VM's id")->required();
    snapshot->add_option("STATE", m_snapshot, "the state file to write")->required();
    snapshot->add_option("MEM", m_memory_file, "the memory file to write")->required();
}

std::optional<int> ControlCommands::run()
{
    if (m_socket.empty())
        m_socket = default_socket();
    if (*m_serve)
        return serve();
    if (*m_vm)
        return client();
    return std::nullopt;
}

int ControlCommands::serve()
{
    if (m_state_dir.empty())
        m_state_dir = default_state_dir();
    // SIGINT and SIGTERM end the control program, never its VMs (they run in sessions of their
    // own). Blocked in every thread, they are taken here with sigwait.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
    control::ControlProgram program(m_state_dir, self);
    // Functions boot the kernel and agent initramfs containers use (docs/containers.md).
    oci::RuntimeImages images;
    std::string images_missing;
    try {
        images = oci::find_runtime_files().images;
    } catch (const std::exception& error) {
        images_missing = error.what();
    }
    fn::FunctionPlatform functions(m_state_dir, self, images, images_missing);
    std::optional<fn::Gateway> gateway;
    if (!m_http.empty()) {
        gateway.emplace(fn::parse_listen_address(m_http), functions);
        functions.set_gateway(gateway->base_url());
    }
    control::ControlApi api(m_socket, program, fn::function_api_routes(functions),
        [&functions] { return functions.metrics(); });
    fmt::print(stderr, "rvisor: serving on {} (state in {}){}\n", m_socket, m_state_dir,
        gateway ? fmt::format(", functions at {}/fn/", gateway->base_url()) : "");
    int signal = 0;
    sigwait(&stop, &signal);
    return 0;
}

int ControlCommands::client()
{
    CLI::App* chosen = nullptr;
    for (CLI::App* command : m_actions) {
        if (*command)
            chosen = command;
    }
    const std::string name = chosen->get_name();
    const std::string vm_path = "/vms/" + m_id;
    std::string method = "GET", path = "/vms";
    std::optional<json> body;
    if (name == "create") {
        // Relative paths in the file are relative to it; the control program wants them whole.
        vmm::VmSpecBuilder builder;
        builder.apply_file(m_config);
        json config = vmm::spec_to_json(builder.spec());
        // Unset, the balloon is the control program's choice (on).
        std::ifstream file(m_config);
        if (!json::parse(file, nullptr, false).contains("balloon"))
            config.erase("balloon");
        body = json { { "id", m_id }, { "config", config } };
        method = "POST";
    } else if (name == "restore") {
        body = json { { "id", m_id },
            { "restore",
                { { "snapshot_path", absolute(m_snapshot) },
                    { "mem_file_path", absolute(m_memory_file) } } } };
        method = "POST";
    } else if (name == "show") {
        path = vm_path;
    } else if (name == "pause" || name == "resume") {
        method = "PATCH";
        path = vm_path;
        body = json { { "state", name == "pause" ? "Paused" : "Resumed" } };
    } else if (name == "snapshot") {
        method = "PUT";
        path = vm_path + "/snapshot";
        body = json { { "snapshot_path", absolute(m_snapshot) },
            { "mem_file_path", absolute(m_memory_file) } };
    } else if (name == "balloon") {
        path = vm_path + "/balloon";
        if (m_balloon_mib) {
            method = "PATCH";
            body = json { { "amount_mib", *m_balloon_mib } };
        }
    } else if (name == "delete") {
        method = "DELETE";
        path = vm_path;
    } else if (name == "log") {
        path = vm_path + "/console";
    }

    if (name == "console")
        path = vm_path;
    const api::HttpReply reply = api::unix_http_request(m_socket, method, path, body);
    if (reply.status >= 400)
        throw std::runtime_error(reply.fault_message());
    if (name == "console") {
        const json info = json::parse(reply.body);
        if (info.value("state", "") != "Running" && info.value("state", "") != "Paused")
            throw std::runtime_error(
                fmt::format("VM {} is {}: no console to attach to", m_id, info.value("state", "")));
        attach_console(info.value("console_socket", ""), m_id);
        return 0;
    }
    if (name == "list") {
        fmt::print("{:<24} {:<12} {}\n", "ID", "STATE", "PID");
        for (const auto& vm : json::parse(reply.body))
            fmt::print("{:<24} {:<12} {}\n", vm.value("id", ""), vm.value("state", ""),
                vm.value("pid", 0));
    } else if (name == "show" || name == "create" || name == "restore"
        || (name == "balloon" && !m_balloon_mib)) {
        fmt::print("{}\n", json::parse(reply.body).dump(2));
    } else if (name == "log") {
        fmt::print("{}", reply.body);
    }
    return 0;
}

} // namespace rvisor::cli
