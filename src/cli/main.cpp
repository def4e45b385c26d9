// rvisor's command line: `rvisor run --kernel Image ...`. Every error the user can cause ends
// here as one line, `rvisor: error: ...`, and exit status 1.
#include "host/console.h"
#include "machine/machine.h"
#include "vmm/config_file.h"
#include "vmm/net_option.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <unistd.h>

namespace {

using rvisor::machine::MachineConfig;
using rvisor::machine::MachineExit;

std::atomic<int> g_stop_signal { 0 }; // written only by the signal handler

void on_stop_signal(int signal) { g_stop_signal.store(signal); }

int fail(const std::string& message)
{
    fmt::print(stderr, "rvisor: error: {}\n", message);
    return 1;
}

int run(const MachineConfig& config)
{
    rvisor::host::Console console(STDIN_FILENO, STDOUT_FILENO);
    for (;;) {
        rvisor::machine::Machine machine(config, console);
        if (config.dump_dtb) {
            std::ofstream out(*config.dump_dtb, std::ios::binary);
            const auto& tree = machine.device_tree();
            out.write(reinterpret_cast<const char*>(tree.data()),
                static_cast<std::streamsize>(tree.size()));
            if (!out)
                return fail(
                    fmt::format("cannot write the device tree to '{}'", config.dump_dtb->string()));
            return 0;
        }
        const MachineExit exit = machine.run(&g_stop_signal);
        switch (exit.kind) {
        case MachineExit::Kind::Reboot: continue; // a fresh machine, as after a reset
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
    }
}

} // namespace

int main(int argc, char** argv)
{
    CLI::App app { "rvisor: a virtual machine monitor for RISC-V 64-bit guests" };
    app.require_subcommand(1);
    app.set_version_flag("--version", "rvisor 0.1");

    MachineConfig flags;
    std::string memory, kernel, bios, dump_dtb, config_file, engine;
    std::vector<std::string> initrds, disks, nets;
    auto* run_command = app.add_subcommand("run", "boot a guest");
    run_command->add_option("--config", config_file,
        "JSON file with the VM's settings (keys as the flags); flags override it");
    run_command->add_option("--kernel", kernel,
        "Linux Image, or an ELF (one with a tohost symbol runs bare-metal in M-mode with HTIF)");
    run_command->add_flag("--raw-kernel", flags.raw_kernel,
        "load --kernel as raw bytes at RAM + 2 MiB and enter it there");
    run_command->add_option("--initrd", initrds, "initramfs archive; repeat to concatenate");
    run_command->add_option("--append", flags.append, "kernel command line");
    run_command->add_option("--cpus", flags.cpus, "number of harts (1-32, default 1)")
        ->check(CLI::Range(1u, MachineConfig::kMaxCpus));
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
    run_command->add_flag("--trace", flags.trace, "print every instruction executed (stderr)");
    run_command->add_flag("--verbose", flags.verbose,
        "report guest mistakes (such as malformed virtqueues) on stderr");

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
        MachineConfig config
            = config_file.empty() ? MachineConfig {} : rvisor::vmm::load_config_file(config_file);
        auto given = [&](const char* flag) { return run_command->count(flag) > 0; };
        if (given("--kernel"))
            config.kernel = kernel;
        if (given("--initrd"))
            config.initrds.assign(initrds.begin(), initrds.end());
        if (given("--raw-kernel"))
            config.raw_kernel = flags.raw_kernel;
        if (given("--append"))
            config.append = flags.append;
        if (given("--cpus"))
            config.cpus = flags.cpus;
        if (given("--mem"))
            try {
                config.memory = rvisor::vmm::parse_memory_size(memory);
            } catch (const std::exception& error) {
                return fail(fmt::format("--mem: {}", error.what()));
            }
        if (given("--bios"))
            config.bios = bios;
        if (given("--disk")) {
            config.disks.clear();
            for (const auto& disk : disks)
                config.disks.push_back(rvisor::vmm::parse_disk_option(disk));
        }
        if (given("--net")) {
            config.nets.clear();
            for (const auto& net : nets)
                config.nets.push_back(rvisor::vmm::parse_net_option(net));
        }
        if (given("--verbose"))
            config.verbose = flags.verbose;
        if (given("--trace"))
            config.trace = flags.trace;
        if (given("--engine"))
            config.engine = rvisor::vmm::parse_engine(engine);
        if (!dump_dtb.empty())
            config.dump_dtb = dump_dtb;
        if (config.kernel.empty())
            return fail("no kernel: give --kernel FILE (or \"kernel\" in the --config file)");
        std::signal(SIGINT, on_stop_signal);
        std::signal(SIGTERM, on_stop_signal);
        return run(config);
    } catch (const std::exception& error) {
        return fail(error.what());
    }
}
