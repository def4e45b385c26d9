#include "machine/machine.h"

#include <poll.h>

#include "jit/translator.h"

#include "devices/boot_rom.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/block.h"
#include "devices/virtio/fs/virtio_fs.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vsock.h"
#include "firmware/boot_data.h"
#include "firmware/device_tree.h"
#include "firmware/image_loader.h"
#include "host/populate.h"
#include "host/slirp_network.h"
#include "host/tap_network.h"
#include "isa/csr_address.h"
#include "isa/disassembler.h"

#include <fmt/format.h>

#include <cstring>
#include <malloc.h>
#include <stdexcept>

namespace rvisor::machine {

namespace {

// DESIGN.md's memory map.
constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kSysconBase = 0x00100000, kSysconSize = 0x1000;
constexpr uint64_t kRtcBase = 0x00101000, kRtcSize = 0x1000;
constexpr uint64_t kAclintBase = 0x02000000, kAclintSize = 0x10000;
constexpr uint64_t kPlicBase = 0x0c000000, kPlicSize = 0x600000;
constexpr uint64_t kUartBase = 0x10000000, kUartSize = 0x100;
constexpr unsigned kUartIrq = 10;
constexpr unsigned kRtcIrq = 11;
constexpr uint64_t kVirtioBase = 0x10001000, kVirtioStride = 0x1000;

// Slots 0-7 are QEMU virt's (interrupts 1-8); the ones after them continue the address range
// and take the interrupts above the UART's and the RTC's.
uint64_t virtio_slot_base(unsigned slot) { return kVirtioBase + slot * kVirtioStride; }
unsigned virtio_slot_irq(unsigned slot) { return slot < 8 ? 1 + slot : kRtcIrq + 1 + (slot - 8); }

constexpr uint64_t kInstructionBatch = 20000;
constexpr uint64_t kTwoMiB = 2ull << 20;

} // namespace

Machine::Machine(const VmSpec& spec, const RunOptions& options, host::Console& console)
    : Machine(spec, options, console, std::make_unique<mem::GuestRam>(kRamBase, spec.memory))
{
    load_images();
}

Machine::Machine(const VmSpec& spec, const RunOptions& options, host::Console& console,
    const std::filesystem::path& memory_file, const SectionLookup& section)
    : Machine(
        spec, options, console, std::make_unique<mem::GuestRam>(kRamBase, spec.memory, memory_file))
{
    load_state(section);
}

Machine::Machine(const VmSpec& spec, const RunOptions& options, host::Console& console,
    std::unique_ptr<mem::GuestRam> ram)
    : m_spec(spec)
    , m_options(options)
    , m_console(console)
    , m_ram(std::move(ram))
    , m_bus(*m_ram)
    , m_sbi(*this)
{
    if (spec.cpus == 0 || spec.cpus > VmSpec::kMaxCpus)
        throw std::runtime_error(fmt::format("--cpus must be between 1 and {}", VmSpec::kMaxCpus));
    if (spec.memory < VmSpec::kMinMemory)
        throw std::runtime_error(
            fmt::format("--mem must be at least {} MiB", VmSpec::kMinMemory >> 20));

    std::vector<cpu::InterruptLines*> lines;
    for (unsigned i = 0; i < spec.cpus; ++i) {
        auto slot = std::make_unique<HartSlot>();
        slot->lines = std::make_unique<cpu::InterruptLines>();
        lines.push_back(slot->lines.get());
        m_harts.push_back(std::move(slot));
    }
    m_plic = std::make_unique<devices::Plic>(lines);
    m_aclint = std::make_unique<devices::Aclint>(m_clock, lines);
    m_uart = std::make_unique<devices::Uart16550>(devices::InterruptLine { m_plic.get(), kUartIrq },
        [this](uint8_t byte) { m_console.write(byte); });
    m_rtc = std::make_unique<devices::GoldfishRtc>(
        devices::InterruptLine { m_plic.get(), kRtcIrq }, [this] { m_wakeup.raise(); });
    m_syscon = std::make_unique<devices::Syscon>([this](devices::PowerRequest request) {
        using Kind = devices::PowerRequest::Kind;
        if (request.kind == Kind::Poweroff)
            finish({ MachineExit::Kind::Poweroff, 0, {} });
        else if (request.kind == Kind::Reboot)
            finish({ MachineExit::Kind::Reboot, 0, {} });
        else
            finish({ MachineExit::Kind::Failure, request.code,
                fmt::format("the guest reported failure {} through syscon", request.code) });
    });
    m_bus.map(kSysconBase, kSysconSize, *m_syscon);
    m_bus.map(kRtcBase, kRtcSize, *m_rtc);
    m_bus.map(kAclintBase, kAclintSize, *m_aclint);
    m_bus.map(kPlicBase, kPlicSize, *m_plic);
    m_bus.map(kUartBase, kUartSize, *m_uart);

    for (const DiskConfig& disk : spec.disks) {
        auto file = std::make_unique<host::BlockFile>(disk.path.string(),
            disk.read_only ? host::BlockFile::Access::ReadOnly
                           : host::BlockFile::Access::ReadWrite);
        auto device = std::make_unique<devices::virtio::VirtioBlock>(std::move(file),
            disk.serial.empty() ? disk.path.filename().string() : disk.serial, disk.limit);
        m_disks.push_back(device.get());
        add_virtio_device(std::move(device));
    }
    for (const NetConfig& net : spec.nets) {
        std::unique_ptr<host::NetworkBackend> backend;
        if (net.kind == NetConfig::Kind::User)
            backend = std::make_unique<host::SlirpNetwork>(
                host::SlirpNetwork::Options { net.hostfwds, net.dns, options.verbose });
        else
            backend = std::make_unique<host::TapNetwork>(net.ifname);
        auto device = std::make_unique<devices::virtio::VirtioNet>(
            std::move(backend), net.mac, net.bandwidth);
        m_nets.push_back(device.get());
        add_virtio_device(std::move(device));
    }
    auto virtio_console = std::make_unique<devices::virtio::VirtioConsole>(
        [this](uint8_t byte) { m_console.write(byte); });
    m_virtio_console = virtio_console.get();
    add_virtio_device(std::move(virtio_console));
    add_virtio_device(std::make_unique<devices::virtio::VirtioRng>());
    if (spec.balloon) {
        auto balloon = std::make_unique<devices::virtio::VirtioBalloon>(*m_ram);
        m_balloon = balloon.get();
        add_virtio_device(std::move(balloon));
        m_balloon_transport = m_virtio_transports.back().get();
    }
    if (spec.vsock)
        add_virtio_device(
            std::make_unique<devices::virtio::VirtioVsock>(spec.vsock->cid, spec.vsock->uds));
    for (const FsShareConfig& share : spec.shares)
        add_virtio_device(std::make_unique<devices::virtio::VirtioFs>(
            share.directory, share.tag, share.read_only));
}

Machine::~Machine()
{
    finish({ MachineExit::Kind::Error, 1, "the machine was destroyed while running" });
    for (auto& slot : m_harts) {
        if (slot->thread.joinable())
            slot->thread.join();
    }
}

void Machine::add_virtio_device(std::unique_ptr<devices::virtio::VirtioDevice> device)
{
    const auto slot = static_cast<unsigned>(m_virtio_transports.size());
    if (slot >= VmSpec::kVirtioSlots)
        throw std::runtime_error(
            fmt::format("at most {} virtio devices fit the machine", VmSpec::kVirtioSlots));
    auto transport = std::make_unique<devices::virtio::VirtioMmio>(*m_ram, *device,
        devices::InterruptLine { m_plic.get(), virtio_slot_irq(slot) }, m_options.verbose);
    m_bus.map(virtio_slot_base(slot), kVirtioStride, *transport);
    m_virtio_devices.push_back(std::move(device));
    m_virtio_transports.push_back(std::move(transport));
}

void Machine::create_harts(bool firmware_in_host)
{
    m_firmware_in_host = firmware_in_host;
    // Halt polling while the harts leave the host a core for the device threads: on a host
    // with fewer cores, a spinning hart would slow the others (measured: 4-hart boots on 2
    // cores about 5% slower).
    const bool halt_polling = m_spec.cpus < std::thread::hardware_concurrency();
    for (unsigned i = 0; i < m_spec.cpus; ++i) {
        cpu::HartConfig hart_config { i, firmware_in_host, halt_polling };
        m_harts[i]->hart
            = std::make_unique<cpu::Hart>(hart_config, m_bus, *m_harts[i]->lines, m_clock);
        if (m_spec.engine == cpu::EngineKind::Jit)
            m_harts[i]->engine = std::make_unique<jit::Translator>(*m_harts[i]->hart);
        else
            m_harts[i]->engine = std::make_unique<cpu::InterpreterEngine>(*m_harts[i]->hart);
        if (m_options.trace) {
            m_harts[i]->hart->set_tracer(
                [](const cpu::Hart& hart, const isa::DecodedInstruction& insn) {
                    fmt::print(stderr, "hart{} {:016x} {:08x} {}\n", hart.hart_id(), hart.pc(),
                        insn.bits, isa::disassemble(insn, hart.pc()));
                });
        }
    }
}

void Machine::map_boot_rom(const BootRomAddresses& addresses)
{
    m_boot_rom_addresses = addresses;
    m_boot_rom = std::make_unique<devices::BootRom>(
        addresses.firmware_entry, addresses.device_tree, addresses.kernel_entry);
    m_bus.map(devices::BootRom::kBase, devices::BootRom::kSize, *m_boot_rom);
}

void Machine::load_images()
{
    const VmSpec& config = m_spec;
    auto kernel_bytes = firmware::read_file(config.kernel, "kernel");
    firmware::LoadedImage kernel;
    if (config.raw_kernel)
        kernel = firmware::load_raw(kernel_bytes, *m_ram, kRamBase + kTwoMiB, "the kernel");
    else if (firmware::is_elf(kernel_bytes))
        kernel = firmware::load_elf(kernel_bytes, *m_ram);
    else if (firmware::is_linux_image(kernel_bytes))
        kernel = firmware::load_linux_image(kernel_bytes, *m_ram);
    else
        throw std::runtime_error(fmt::format("'{}' is not a kernel: neither a RISC-V ELF nor a "
                                             "Linux RISC-V Image (--raw-kernel loads raw bytes)",
            config.kernel.string()));

    create_harts(!config.bios && !kernel.tohost);

    // A bare-metal test program: every hart starts at its entry in M-mode, HTIF serves it.
    if (kernel.tohost) {
        m_htif = std::make_unique<devices::Htif>(*m_ram, *kernel.tohost, kernel.fromhost,
            [this](uint8_t byte) { m_console.write(byte); });
        for (auto& slot : m_harts) {
            slot->hart->reset(kernel.entry);
            slot->state = firmware::HsmState::Started;
        }
        return;
    }

    std::vector<std::vector<uint8_t>> archives;
    std::vector<uint64_t> archive_sizes;
    for (const auto& path : config.initrds) {
        archives.push_back(firmware::read_file(path, "initrd"));
        archive_sizes.push_back(archives.back().size());
    }
    const std::vector<uint64_t> archive_offsets = firmware::initramfs_offsets(archive_sizes);
    const uint64_t initrd_size = archive_offsets.back();

    firmware::DeviceTreeLayout layout;
    layout.hart_count = config.cpus;
    layout.ram_base = kRamBase;
    layout.ram_size = config.memory;
    layout.bootargs = config.append;
    for (unsigned slot = 0; slot < m_virtio_transports.size(); ++slot)
        layout.virtio.push_back({ virtio_slot_base(slot), virtio_slot_irq(slot) });
    // The initrd's place depends on the tree's size, which depends on whether it has an initrd
    // range: build once to measure, then again with the range.
    if (initrd_size != 0)
        layout.initrd = std::pair<uint64_t, uint64_t> { 0, 0 };
    const firmware::BootDataPlacement placement = firmware::place_boot_data(kRamBase, config.memory,
        kernel.highest, firmware::build_device_tree(layout).size(), initrd_size);
    const uint64_t tree_address = placement.tree_address;
    layout.initrd = placement.initrd;
    if (placement.initrd) {
        // Fresh RAM reads as zeros, which pad the archives apart.
        host::populate_for_writing(m_ram->pointer(placement.initrd->first), initrd_size);
        for (size_t i = 0; i < archives.size(); i++)
            std::memcpy(m_ram->pointer(placement.initrd->first + archive_offsets[i]),
                archives[i].data(), archives[i].size());
    }
    m_device_tree = firmware::build_device_tree(layout);
    std::memcpy(m_ram->pointer(tree_address), m_device_tree.data(), m_device_tree.size());

    if (config.bios) {
        auto bios_bytes = firmware::read_file(*config.bios, "firmware");
        firmware::LoadedImage bios = firmware::is_elf(bios_bytes)
            ? firmware::load_elf(bios_bytes, *m_ram)
            : firmware::load_raw(bios_bytes, *m_ram, kRamBase, "the firmware");
        if (bios.highest > kernel.lowest)
            throw std::runtime_error("the firmware overlaps the kernel's load address");
        map_boot_rom({ bios.entry, tree_address, kernel.entry });
        // All harts run the firmware from reset; it picks the boot hart and parks the others.
        for (auto& slot : m_harts) {
            slot->hart->reset(devices::BootRom::kBase);
            slot->state = firmware::HsmState::Started;
        }
        return;
    }
    // Built-in SBI: hart 0 enters the kernel in S-mode; the kernel starts the others via HSM.
    firmware::Sbi::enter_supervisor(*m_harts[0]->hart, kernel.entry, 0, tree_address);
    m_harts[0]->state = firmware::HsmState::Started;
}

void Machine::start(bool paused)
{
    std::lock_guard lifecycle(m_lifecycle_mutex);
    if (state() != MachineState::Created)
        return;
    if (paused) {
        m_pause_requested = true;
        m_clock.stop();
        for (auto& transport : m_virtio_transports)
            transport->pause();
    } else {
        // A restored machine waits with its clock stopped and its devices paused.
        m_clock.resume();
        for (auto& transport : m_virtio_transports)
            transport->resume();
    }
    m_state = paused ? MachineState::Paused : MachineState::Running;
    for (unsigned i = 0; i < m_harts.size(); ++i)
        m_harts[i]->thread = std::thread([this, i] { run_hart(i); });
}

MachineExit Machine::run(const host::StopSignal* stop_signal)
{
    start(false);
    bool input_open = true;
    std::vector<int> wake_fds { m_wakeup.fd() };
    if (stop_signal)
        wake_fds.push_back(stop_signal->fd());
    // Sleeps until there is something to do: console input, a state change, the RTC's alarm or
    // a stop signal. An idle VM's I/O thread never wakes on a timer of its own.
    while (!finished()) {
        m_wakeup.clear(); // before looking, so that a change made after the look still wakes
        if (stop_signal && stop_signal->signal() != 0) {
            finish({ MachineExit::Kind::Signal, 128 + stop_signal->signal(), {} });
            break;
        }
        const bool running = state() == MachineState::Running;
        if (running)
            m_rtc->poll();
        int timeout_ms = -1;
        if (const auto alarm = running ? m_rtc->time_until_alarm() : std::nullopt)
            timeout_ms = static_cast<int>(std::min<int64_t>(
                std::chrono::ceil<std::chrono::milliseconds>(*alarm).count(), 60'000));
        // While paused, input waits in the host's buffers: delivering it would change the
        // state being saved.
        if (input_open && running) {
            auto input = m_console.read(timeout_ms, wake_fds);
            for (uint8_t byte : input.bytes) {
                m_uart->receive(byte);
                m_virtio_console->receive(byte);
                std::lock_guard lock(m_input_mutex);
                if (m_sbi_input.size() < 4096)
                    m_sbi_input.push_back(byte);
            }
            if (input.quit)
                finish({ MachineExit::Kind::Quit, 0, {} });
            input_open = !input.closed;
        } else {
            std::vector<pollfd> descriptors;
            for (int fd : wake_fds)
                descriptors.push_back({ fd, POLLIN, 0 });
            poll(descriptors.data(), descriptors.size(), timeout_ms);
        }
    }
    for (auto& slot : m_harts) {
        if (slot->thread.joinable())
            slot->thread.join();
    }
    m_state = MachineState::Stopped;
    if (m_options.verbose) {
        for (unsigned i = 0; i < m_harts.size(); ++i) {
            const std::string summary = m_harts[i]->engine->summary();
            if (!summary.empty())
                fmt::print(stderr, "rvisor: hart {}: {}\n", i, summary);
        }
    }
    std::lock_guard lock(m_exit_mutex);
    return *m_exit;
}

void Machine::pause()
{
    std::lock_guard lifecycle(m_lifecycle_mutex);
    if (state() != MachineState::Running)
        return;
    std::unique_lock lock(m_park_mutex);
    m_pause_requested = true;
    // A hart may be about to sleep (WFI, or stopped by HSM) having looked at the request just
    // before it was made: wake them until every one has parked.
    while (m_parked < m_harts.size() && !finished()) {
        for (auto& slot : m_harts)
            slot->lines->wake();
        m_park_signal.wait_for(lock, std::chrono::milliseconds(1));
    }
    lock.unlock();
    for (auto& transport : m_virtio_transports)
        transport->pause();
    m_clock.stop();
    m_state = MachineState::Paused;
    m_wakeup.raise();
}

void Machine::resume()
{
    std::lock_guard lifecycle(m_lifecycle_mutex);
    if (state() != MachineState::Paused)
        return;
    m_clock.resume();
    for (auto& transport : m_virtio_transports)
        transport->resume();
    {
        std::lock_guard lock(m_park_mutex);
        m_pause_requested = false;
    }
    m_park_signal.notify_all();
    m_state = MachineState::Running;
    m_wakeup.raise();
}

void Machine::park()
{
    // The engine has returned (translated code only at a block exit), so the hart's whole
    // state is in its HartState until the pause ends.
    std::unique_lock lock(m_park_mutex);
    ++m_parked;
    m_park_signal.notify_all();
    m_park_signal.wait(lock, [&] { return !m_pause_requested.load() || finished(); });
    --m_parked;
}

void Machine::run_hart(unsigned index)
{
    HartSlot& slot = *m_harts[index];
    cpu::Hart& hart = *slot.hart;
    while (!finished()) {
        if (m_pause_requested.load(std::memory_order_relaxed)) {
            park();
            continue;
        }
        const firmware::HsmState state = slot.state.load();
        if (state == firmware::HsmState::StartPending) {
            hart.reset(0);
            firmware::Sbi::enter_supervisor(hart, slot.start_pc, index, slot.start_opaque);
            slot.state = firmware::HsmState::Started;
        } else if (state != firmware::HsmState::Started) {
            slot.lines->clear_attention();
            if (slot.state.load() == state && !finished() && !m_pause_requested.load())
                slot.lines->wait_until(std::chrono::steady_clock::time_point::max());
            continue;
        }

        const cpu::HartExit exit = slot.engine->run(kInstructionBatch);
        if (m_htif) {
            if (auto result = m_htif->poll()) {
                if (result->exit_code == 0)
                    finish({ MachineExit::Kind::Poweroff, 0, {} });
                else
                    finish({ MachineExit::Kind::Failure,
                        static_cast<int>(std::min<uint64_t>(result->exit_code, 255)),
                        fmt::format("test failed: case {}", result->exit_code) });
                return;
            }
        }
        switch (exit) {
        case cpu::HartExit::BudgetExhausted: break;
        case cpu::HartExit::WaitForInterrupt:
            // Also what malloc keeps of the boot's freed buffers (the kernel file, block
            // tables), once the engine has freed its part.
            if (slot.idle_watch.idle_window_ended(std::chrono::steady_clock::now())
                && slot.engine->release_idle_memory())
                malloc_trim(0);
            if (!m_pause_requested.load())
                hart.wait_for_interrupt();
            break;
        case cpu::HartExit::SupervisorCall: m_sbi.handle_call(index); break;
        case cpu::HartExit::MachineTrapNoFirmware: {
            const uint64_t cause = hart.read_csr_as_machine(isa::csr::mcause);
            const uint64_t epc = hart.read_csr_as_machine(isa::csr::mepc);
            const uint64_t tval = hart.read_csr_as_machine(isa::csr::mtval);
            finish({ MachineExit::Kind::Error, 1,
                fmt::format("hart {} trapped to M-mode with no firmware to take it "
                            "(mcause 0x{:x}, mepc 0x{:x}, mtval 0x{:x})",
                    index, cause, epc, tval) });
            return;
        }
        }
    }
}

void Machine::finish(MachineExit exit)
{
    {
        std::lock_guard lock(m_exit_mutex);
        if (!m_exit)
            m_exit = std::move(exit);
        m_finished = true;
    }
    m_exit_signal.notify_all();
    m_wakeup.raise();
    {
        std::lock_guard lock(m_park_mutex);
    }
    m_park_signal.notify_all();
    for (auto& slot : m_harts)
        slot->lines->wake();
}

bool Machine::start_hart(unsigned index, uint64_t pc, uint64_t opaque)
{
    HartSlot& slot = *m_harts[index];
    if (slot.state.load() != firmware::HsmState::Stopped)
        return false;
    slot.start_pc = pc;
    slot.start_opaque = opaque;
    slot.state = firmware::HsmState::StartPending;
    slot.lines->wake();
    return true;
}

void Machine::stop_hart(unsigned index) { m_harts[index]->state = firmware::HsmState::Stopped; }

std::optional<uint8_t> Machine::console_read()
{
    std::lock_guard lock(m_input_mutex);
    if (m_sbi_input.empty())
        return std::nullopt;
    uint8_t byte = m_sbi_input.front();
    m_sbi_input.pop_front();
    return byte;
}

void Machine::system_reset(firmware::ResetRequest request)
{
    switch (request) {
    case firmware::ResetRequest::Poweroff: finish({ MachineExit::Kind::Poweroff, 0, {} }); break;
    case firmware::ResetRequest::Reboot: finish({ MachineExit::Kind::Reboot, 0, {} }); break;
    case firmware::ResetRequest::Failure:
        finish({ MachineExit::Kind::Failure, 1, "the guest reported a system failure" });
        break;
    }
}

std::string Machine::isa() { return firmware::DeviceTreeLayout {}.isa; }

Machine::NetworkTraffic Machine::network_traffic() const
{
    NetworkTraffic traffic;
    for (const auto* net : m_nets) {
        traffic.received_bytes += net->received_bytes();
        traffic.transmitted_bytes += net->transmitted_bytes();
    }
    return traffic;
}

std::optional<Machine::BalloonSize> Machine::balloon_size() const
{
    if (!m_balloon)
        return std::nullopt;
    return BalloonSize { uint64_t { m_balloon->target_pages() } << 12,
        uint64_t { m_balloon->actual_pages() } << 12 };
}

void Machine::set_balloon_target(uint64_t bytes)
{
    if (!m_balloon)
        throw std::logic_error("set_balloon_target on a machine without a balloon");
    m_balloon->set_target_pages(static_cast<uint32_t>(std::min(bytes, m_spec.memory) >> 12));
    m_balloon_transport->notify_config_change();
}

void Machine::set_disk_rate_limit(size_t index, host::RateLimit limit)
{
    m_spec.disks.at(index).limit = limit;
    m_disks.at(index)->set_rate_limit(limit);
}

void Machine::set_net_bandwidth(size_t index, uint64_t bytes_per_second)
{
    m_spec.nets.at(index).bandwidth = bytes_per_second;
    m_nets.at(index)->set_bandwidth(bytes_per_second);
}

std::vector<std::string> Machine::device_names() const
{
    std::vector<std::string> names { fmt::format("syscon@{:#x}", kSysconBase),
        fmt::format("goldfish-rtc@{:#x}", kRtcBase), fmt::format("aclint@{:#x}", kAclintBase),
        fmt::format("plic@{:#x}", kPlicBase), fmt::format("uart16550@{:#x}", kUartBase) };
    for (size_t slot = 0; slot < m_virtio_devices.size(); ++slot) {
        const char* type = "virtio";
        switch (m_virtio_devices[slot]->device_id()) {
        case 1: type = "virtio-net"; break;
        case 2: type = "virtio-blk"; break;
        case 3: type = "virtio-console"; break;
        case 4: type = "virtio-rng"; break;
        case 5: type = "virtio-balloon"; break;
        case 19: type = "virtio-vsock"; break;
        case 26: type = "virtio-fs"; break;
        }
        names.push_back(fmt::format("{}@{:#x}", type, virtio_slot_base(slot)));
    }
    return names;
}

namespace {

// Saved state sections, versioned one by one (state::Section).
constexpr uint32_t kMachineSectionVersion = 1;
constexpr uint32_t kHartSectionVersion = 1;
constexpr uint32_t kDeviceSectionVersion = 1;
// 2: the vsock device keeps its next host port.
constexpr uint32_t kVirtioSectionVersion = 2;

template <typename Save> state::Section section(std::string tag, uint32_t version, Save&& save)
{
    state::StateWriter out;
    save(out);
    return { std::move(tag), version, out.data() };
}

std::string virtio_tag(size_t slot) { return fmt::format("virtio{}", slot); }

} // namespace

std::vector<state::Section> Machine::save_state() const
{
    if (state() != MachineState::Paused)
        throw std::runtime_error("the machine is not paused");
    if (m_htif)
        throw std::runtime_error("a bare-metal program with HTIF cannot be saved");
    std::vector<state::Section> sections;
    sections.push_back(section("machine", kMachineSectionVersion, [&](state::StateWriter& out) {
        out.u64(m_clock.ticks());
        out.boolean(m_firmware_in_host);
        out.boolean(m_boot_rom_addresses.has_value());
        const BootRomAddresses rom = m_boot_rom_addresses.value_or(BootRomAddresses {});
        out.u64(rom.firmware_entry);
        out.u64(rom.device_tree);
        out.u64(rom.kernel_entry);
        out.u32(static_cast<uint32_t>(m_harts.size()));
        for (const auto& slot : m_harts) {
            out.u64(static_cast<uint64_t>(slot->state.load()));
            out.u64(slot->start_pc);
            out.u64(slot->start_opaque);
        }
        std::lock_guard lock(m_input_mutex);
        out.bytes(std::vector<uint8_t>(m_sbi_input.begin(), m_sbi_input.end()));
    }));
    for (size_t index = 0; index < m_harts.size(); ++index) {
        const HartSlot& slot = *m_harts[index];
        sections.push_back(section(
            fmt::format("hart{}", index), kHartSectionVersion, [&](state::StateWriter& out) {
                cpu::save_hart_state(slot.hart->state(), out);
                out.u64(slot.lines->levels());
            }));
    }
    sections.push_back(section(
        "plic", kDeviceSectionVersion, [&](state::StateWriter& out) { m_plic->save(out); }));
    sections.push_back(section(
        "aclint", kDeviceSectionVersion, [&](state::StateWriter& out) { m_aclint->save(out); }));
    sections.push_back(section(
        "uart", kDeviceSectionVersion, [&](state::StateWriter& out) { m_uart->save(out); }));
    sections.push_back(
        section("rtc", kDeviceSectionVersion, [&](state::StateWriter& out) { m_rtc->save(out); }));
    for (size_t slot = 0; slot < m_virtio_transports.size(); ++slot)
        sections.push_back(section(virtio_tag(slot), kVirtioSectionVersion,
            [&](state::StateWriter& out) { m_virtio_transports[slot]->save(out); }));
    return sections;
}

void Machine::load_state(const SectionLookup& find)
{
    auto reader = [&](const std::string& tag, uint32_t newest) {
        const state::Section& section = find(tag);
        if (section.version == 0 || section.version > newest)
            throw state::StateError(
                fmt::format("section '{}' is version {}; this rvisor reads versions 1 to {}", tag,
                    section.version, newest));
        return state::StateReader(section.payload, tag, section.version);
    };

    state::StateReader machine = reader("machine", kMachineSectionVersion);
    m_clock.stop();
    m_clock.set_stopped_ticks(machine.u64());
    create_harts(machine.boolean());
    const bool has_boot_rom = machine.boolean();
    BootRomAddresses rom;
    rom.firmware_entry = machine.u64();
    rom.device_tree = machine.u64();
    rom.kernel_entry = machine.u64();
    if (has_boot_rom)
        map_boot_rom(rom);
    if (machine.u32() != m_harts.size())
        machine.fail("its number of harts differs from the spec's");
    for (auto& slot : m_harts) {
        const uint64_t hsm = machine.u64();
        if (hsm > static_cast<uint64_t>(firmware::HsmState::StopPending))
            machine.fail(fmt::format("hart state {} is not an SBI HSM state", hsm));
        slot->state = static_cast<firmware::HsmState>(hsm);
        slot->start_pc = machine.u64();
        slot->start_opaque = machine.u64();
    }
    const auto input = machine.bytes(4096);
    m_sbi_input.assign(input.begin(), input.end());
    machine.finish();

    for (size_t index = 0; index < m_harts.size(); ++index) {
        state::StateReader in = reader(fmt::format("hart{}", index), kHartSectionVersion);
        m_harts[index]->hart->load_state(cpu::load_hart_state(in));
        // Device wires are driven again by the devices' own loads; a supervisor software
        // interrupt raised by another hart is only on the wire.
        const uint64_t levels = in.u64();
        const auto ssip = cpu::Interrupt::SupervisorSoftware;
        m_harts[index]->lines->set_level(ssip, (levels & cpu::bit(ssip)) != 0);
        in.finish();
    }
    auto load_device
        = [&](const std::string& tag, auto& device, uint32_t newest = kDeviceSectionVersion) {
              state::StateReader in = reader(tag, newest);
              device.load(in);
              in.finish();
          };
    load_device("plic", *m_plic);
    load_device("aclint", *m_aclint);
    load_device("uart", *m_uart);
    load_device("rtc", *m_rtc);
    for (size_t slot = 0; slot < m_virtio_transports.size(); ++slot) {
        // Loaded paused: activating a device must not start its queue work before run().
        m_virtio_transports[slot]->pause();
        load_device(virtio_tag(slot), *m_virtio_transports[slot], kVirtioSectionVersion);
    }
}

} // namespace rvisor::machine
