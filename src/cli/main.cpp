// rvisor's command line: `rvisor run --kernel Image ...`, `rvisor restore --snapshot ...`,
// `rvisor snapshot-info FILE`. Every error the user can cause ends here as one line,
// `rvisor: error: ...`, and exit status 1.
#include "api/api_server.h"
#include "cli/control_commands.h"
#include "cli/function_commands.h"
#include "host/console.h"
#include "host/one_line.h"
#include "host/sandbox.h"
#include "vmm/snapshot_file.h"
#include "vmm/vm.h"
#include "vmm/vm_spec_builder.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sys/resource.h>
#include <unistd.h>

namespace {

using rvisor::machine::MachineExit;

// Set while a VM runs; the handler may use only what is async-signal-safe, which raise() is.
rvisor::host::StopSignal* g_stop_signal = nullptr;

void on_stop_signal(int signal)
{
    if (g_stop_signal)
        g_stop_signal->raise(signal);
}

int fail(const std::string& message)
{
    fmt::print(stderr, "rvisor: error: {}\n", rvisor::host::one_line(message));
    return 1;
}

int exit_status(const MachineExit& exit)
{
    switch (exit.kind) {
    case MachineExit::Kind::Reboot: // run() reboots in place; a reboot never ends it
    case MachineExit::Kind::Poweroff:
    case MachineExit::Kind::Quit: return 0;
    case MachineExit::Kind::Signal:
        fmt::print(stderr, "rvisor: stopped by signal {}\n", exit.status - 128);
        return exit.status;
    case MachineExit::Kind::Failure:
        fmt::print(stderr, "rvisor: {}\n", exit.message);
        return exit.status == 0 ? 1 : exit.status;
    case MachineExit::Kind::Error: return fail(exit.message);
    }
    return 1;
}

// A virtio-fs share holds a host descriptor per file the guest has looked up or opened (up to
// 65536 of each): the soft limit, often 1024, would run out long before the hard one.
void raise_descriptor_limit()
{
    rlimit limit {};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// Runs the VM with its API socket, if asked for, open for as long as it runs; in the seccomp
// sandbox unless told otherwise, entered once every descriptor the VM needs at start is open.
int run_vm(rvisor::vmm::Vm& vm, const std::string& api_socket, bool paused, bool sandbox)
{
    static rvisor::host::StopSignal stop_signal;
    g_stop_signal = &stop_signal;
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::optional<rvisor::api::ApiServer> server;
    if (!api_socket.empty())
        server.emplace(api_socket, vm);
    if (sandbox)
        rvisor::host::enter_sandbox({ .file_sharing = !vm.machine().spec().shares.empty() });
    vm.start(paused);
    return exit_status(vm.run(&stop_signal));
}

// CLI11 reports a mistyped command as "A subcommand is required"; name it instead, with the
// commands there are. Only words before the first option are commands.
std::optional<std::string> unknown_command(const CLI::App& app, int argc, char** argv)
{
    const CLI::App* current = &app;
    for (int i = 1; i < argc && argv[i][0] != '-'; ++i) {
        std::vector<std::string> names;
        const CLI::App* next = nullptr;
        for (const CLI::App* command : current->get_subcommands({})) {
            names.push_back(command->get_name());
            if (command->check_name(argv[i]))
                next = command;
        }
        if (next) {
            current = next;
            continue;
        }
        if (current->get_require_subcommand_min() == 0)
            return std::nullopt;
        const std::string prefix = current == &app ? "rvisor" : "rvisor " + current->get_name();
        return fmt::format("unknown command '{}': {} takes {} (see {} --help)", argv[i], prefix,
            fmt::join(names, ", "), prefix);
    }
    return std::nullopt;
}

constexpr const char* kNoSandboxHelp = "run without the seccomp filter (for debugging; with the "
                                       "filter, a system call it does not allow kills the VM)";

int write_device_tree(rvisor::vmm::Vm& vm, const std::string& path)
{
    std::ofstream out(path, std::ios::binary);
    const auto& tree = vm.machine().device_tree();
    out.write(
        reinterpret_cast<const char*>(tree.data()), static_cast<std::streamsize>(tree.size()));
    if (!out)
        return fail(fmt::format("cannot write the device tree to '{}'", path));
    return 0;
}

// For a parent that may not be this process's parent by the time it looks (the control
// program after a restart): how rvisor ended, since its exit status is not waitable.
void write_exit_file(const std::string& path, int status)
{
    const std::string temporary = path + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << nlohmann::json { { "exit_status", status } }.dump() << "\n";
        if (!out)
            return;
    }
    std::rename(temporary.c_str(), path.c_str());
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app { "rvisor: a virtual machine monitor for RISC-V 64-bit guests" };
    app.require_subcommand(1);
    app.set_version_flag("--version", "rvisor 0.1");

    // `run`: every setting is a flag and a --config key (vmm/vm_spec_builder.h).
    std::string config_file, dump_dtb, api_socket;
    bool no_sandbox = false;
    nlohmann::json flags = nlohmann::json::object();
    std::string kernel, append, memory, bios, engine, vsock;
    unsigned cpus = 1;
    bool raw_kernel = false, trace = false, verbose = false, balloon = false;
    std::vector<std::string> initrds, disks, nets, shares;
    auto* run_command = app.add_subcommand("run", "boot a guest");
    run_command->add_option("--config", config_file,
        "JSON file with the VM's settings (keys as the flags); flags override it");
    run_command->add_option("--kernel", kernel,
        "Linux Image, or an ELF (one with a tohost symbol runs bare-metal in M-mode with HTIF)");
    run_command->add_flag(
        "--raw-kernel", raw_kernel, "load --kernel as raw bytes at RAM + 2 MiB and enter it there");
    run_command->add_option("--initrd", initrds, "initramfs archive; repeat to concatenate");
    run_command->add_option("--append", append, "kernel command line");
    run_command->add_option("--cpus", cpus, "number of harts (1-32, default 1)")
        ->check(CLI::Range(1u, rvisor::machine::VmSpec::kMaxCpus));
    run_command->add_option("--mem", memory, "guest RAM, e.g. 512M or 2G (default 512M)");
    run_command->add_option("--bios", bios,
        "M-mode firmware (e.g. OpenSBI fw_dynamic.bin) instead of the built-in SBI");
    run_command->add_option("--dump-dtb", dump_dtb, "write the device tree to FILE and exit");
    run_command->add_option(
        "--disk", disks, "virtio-blk disk image PATH[,ro][,serial=S]; repeat for more disks");
    run_command->add_option("--net", nets,
        "network: user[,hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT]...[,dns=on][,mac=M] or "
        "tap,ifname=NAME[,mac=M]; repeat for more");
    run_command->add_option("--engine", engine,
        "jit (binary translation to x86-64, the default) or interp (the reference interpreter)");
    run_command->add_option("--vsock", vsock,
        "virtio socket device cid=N,uds=PATH: host programs connect to PATH and write "
        "\"CONNECT <port>\\n\"; the guest's connections to host port P reach PATH_P");
    run_command->add_option("--fs", shares,
        "share a host directory with the guest through virtio-fs: PATH,tag=TAG[,ro]; the guest "
        "mounts it with mount -t virtiofs TAG DIR; repeat for more");
    run_command->add_flag("--balloon", balloon,
        "a virtio balloon whose free page reporting returns the guest's free memory to the host");
    run_command->add_flag("--trace", trace, "print every instruction executed (stderr)");
    run_command->add_flag(
        "--verbose", verbose, "report guest mistakes (such as malformed virtqueues) on stderr");
    run_command->add_option("--api-sock", api_socket,
        "serve the API (docs/api.md) on this Unix socket while the VM runs");
    std::string console_log, console_socket, exit_file;
    auto add_detached_options = [&](CLI::App* command) {
        command->add_option("--console-log", console_log,
            "send the console's output to this bounded log (PATH and PATH.1) instead of stdout");
        command->add_option("--console-sock", console_socket,
            "with --console-log: a Unix socket where one client at a time attaches to the "
            "console (rvisor vm console)");
        command->add_option("--exit-file", exit_file,
            "write {\"exit_status\": N} to this file when rvisor exits (docs/control.md)");
    };
    add_detached_options(run_command);
    run_command->add_flag("--no-sandbox", no_sandbox, kNoSandboxHelp);

    rvisor::vmm::RestoreRequest restore;
    std::string restore_engine;
    std::vector<std::string> restore_disks, restore_nets, restore_shares;
    bool restore_paused = false, restore_verbose = false;
    auto* restore_command
        = app.add_subcommand("restore", "run a VM from a snapshot (docs/snapshot.md)");
    restore_command->add_option("--snapshot", restore.state_file, "the snapshot's state file")
        ->required();
    restore_command->add_option("--mem-file", restore.memory_file, "the snapshot's memory file")
        ->required();
    restore_command->add_option("--api-sock", api_socket,
        "serve the API (docs/api.md) on this Unix socket while the VM runs");
    restore_command->add_flag("--paused", restore_paused, "wait for a resume through the API");
    restore_command->add_option("--disk", restore_disks,
        "replace the snapshot's disks, one for one: PATH[,ro][,serial=S]; repeat");
    restore_command->add_option("--net", restore_nets,
        "replace the snapshot's networks, one for one (as run --net); repeat");
    restore_command->add_option("--fs", restore_shares,
        "replace the snapshot's shared directories, one for one and with the same tags: "
        "PATH,tag=TAG[,ro]; repeat");
    restore_command->add_option("--vsock", restore.vsock,
        "replace the snapshot's vsock device's cid and socket: cid=N,uds=PATH");
    restore_command->add_option(
        "--engine", restore_engine, "jit or interp, whichever the snapshot was taken with");
    restore_command->add_flag("--verbose", restore_verbose,
        "report guest mistakes (such as malformed virtqueues) on stderr");
    add_detached_options(restore_command);
    restore_command->add_flag("--no-sandbox", no_sandbox, kNoSandboxHelp);

    std::string info_file;
    auto* info_command
        = app.add_subcommand("snapshot-info", "print a snapshot state file's header");
    info_command->add_option("STATE", info_file, "the snapshot's state file")->required();

    rvisor::cli::ControlCommands control(app);
    rvisor::cli::FunctionCommands functions(app);

    if (const auto unknown = unknown_command(app, argc, argv))
        return fail(*unknown);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        fmt::print("{}", app.help("", CLI::AppFormatMode::All));
        return 0;
    } catch (const CLI::CallForVersion&) {
        fmt::print("rvisor 0.1\n");
        return 0;
    } catch (const CLI::ParseError& error) {
        return fail(error.what());
    }

    try {
        if (const auto status = control.run())
            return *status;
        if (const auto status = functions.run())
            return *status;
    } catch (const std::exception& error) {
        return fail(error.what());
    }
    if (*info_command) {
        try {
            const auto state = rvisor::vmm::read_snapshot_file(info_file);
            fmt::print("{}", rvisor::vmm::describe_snapshot(info_file, state));
            return 0;
        } catch (const std::exception& error) {
            return fail(error.what());
        }
    }
    const int status = [&]() -> int {
        try {
            rvisor::host::close_inherited_descriptors();
            raise_descriptor_limit();
            std::optional<rvisor::host::ConsoleLog> log;
            std::optional<rvisor::host::ConsoleSocket> attach;
            std::optional<rvisor::host::Console> console_holder;
            if (!console_socket.empty() && console_log.empty())
                throw std::runtime_error("--console-sock needs --console-log");
            if (!console_socket.empty())
                attach.emplace(console_socket);
            if (!console_log.empty())
                console_holder.emplace(
                    STDIN_FILENO, log.emplace(console_log), attach ? &*attach : nullptr);
            else
                console_holder.emplace(STDIN_FILENO, STDOUT_FILENO);
            rvisor::host::Console& console = *console_holder;
            if (*restore_command) {
                auto given = [&](const char* flag) { return restore_command->count(flag) > 0; };
                if (given("--disk"))
                    restore.disks = restore_disks;
                if (given("--net"))
                    restore.nets = restore_nets;
                if (given("--fs"))
                    restore.shares = restore_shares;
                if (given("--engine"))
                    restore.engine = restore_engine;
                rvisor::vmm::Vm vm({ restore_verbose, false }, console);
                vm.restore(restore);
                return run_vm(vm, api_socket, restore_paused, !no_sandbox);
            }

            // The flags given become settings with the config file's keys, applied after it.
            auto given = [&](const char* flag) { return run_command->count(flag) > 0; };
            if (given("--kernel"))
                flags["kernel"] = kernel;
            if (given("--raw-kernel"))
                flags["raw_kernel"] = raw_kernel;
            if (given("--initrd"))
                flags["initrd"] = initrds;
            if (given("--append"))
                flags["append"] = append;
            if (given("--cpus"))
                flags["cpus"] = cpus;
            if (given("--mem"))
                flags["mem"] = memory;
            if (given("--bios"))
                flags["bios"] = bios;
            if (given("--disk"))
                flags["disks"] = disks;
            if (given("--net"))
                flags["nets"] = nets;
            if (given("--engine"))
                flags["engine"] = engine;
            if (given("--balloon"))
                flags["balloon"] = balloon;
            if (given("--vsock"))
                flags["vsock"] = vsock;
            if (given("--fs"))
                flags["fs"] = shares;
            if (given("--trace"))
                flags["trace"] = trace;
            if (given("--verbose"))
                flags["verbose"] = verbose;
            rvisor::vmm::VmSpecBuilder builder;
            if (!config_file.empty())
                builder.apply_file(config_file);
            builder.apply(flags, {}, "", [](const std::string& key) {
                if (key == "disks")
                    return std::string("--disk");
                if (key == "nets")
                    return std::string("--net");
                std::string flag = "--" + key;
                std::replace(flag.begin(), flag.end(), '_', '-');
                return flag;
            });
            rvisor::vmm::Vm vm(builder.options(), console);
            vm.boot(builder.spec());
            if (!dump_dtb.empty())
                return write_device_tree(vm, dump_dtb);
            return run_vm(vm, api_socket, false, !no_sandbox);
        } catch (const std::exception& error) {
            return fail(error.what());
        }
    }();
    if (!exit_file.empty())
        write_exit_file(exit_file, status);
    return status;
}
