#include "machine/machine.h"

#include "jit/translator.h"

#include "devices/boot_rom.h"
#include "devices/virtio/block.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "firmware/device_tree.h"
#include "firmware/image_loader.h"
#include "host/slirp_network.h"
#include "host/tap_network.h"
#include "isa/csr_address.h"
#include "isa/disassembler.h"

#include <fmt/format.h>

#include <cstring>
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
constexpr unsigned kVirtioFirstIrq = 1;

constexpr uint64_t kInstructionBatch = 20000;
constexpr auto kIdleWait = std::chrono::milliseconds(100);
constexpr uint64_t kTwoMiB = 2ull << 20;

uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }

} // namespace

Machine::Machine(const MachineConfig& config, host::Console& console)
    : m_config(config)
    , m_console(console)
    , m_ram(kRamBase, config.memory)
    , m_bus(m_ram)
    , m_sbi(*this)
{
    if (config.cpus == 0 || config.cpus > MachineConfig::kMaxCpus)
        throw std::runtime_error(
            fmt::format("--cpus must be between 1 and {}", MachineConfig::kMaxCpus));
    if (config.memory < MachineConfig::kMinMemory)
        throw std::runtime_error(
            fmt::format("--mem must be at least {} MiB", MachineConfig::kMinMemory >> 20));

    std::vector<cpu::InterruptLines*> lines;
    for (unsigned i = 0; i < config.cpus; ++i) {
        auto slot = std::make_unique<HartSlot>();
        slot->lines = std::make_unique<cpu::InterruptLines>();
        lines.push_back(slot->lines.get());
        m_harts.push_back(std::move(slot));
    }
    m_plic = std::make_unique<devices::Plic>(lines);
    m_aclint = std::make_unique<devices::Aclint>(m_clock, lines);
    m_uart = std::make_unique<devices::Uart16550>(devices::InterruptLine { m_plic.get(), kUartIrq },
        [this](uint8_t byte) { m_console.write(byte); });
    m_rtc
        = std::make_unique<devices::GoldfishRtc>(devices::InterruptLine { m_plic.get(), kRtcIrq });
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

    for (const DiskConfig& disk : config.disks) {
        auto file = std::make_unique<host::BlockFile>(disk.path.string(),
            disk.read_only ? host::BlockFile::Access::ReadOnly
                           : host::BlockFile::Access::ReadWrite);
        add_virtio_device(std::make_unique<devices::virtio::VirtioBlock>(
            std::move(file), disk.serial.empty() ? disk.path.filename().string() : disk.serial));
    }
    for (const NetConfig& net : config.nets) {
        std::unique_ptr<host::NetworkBackend> backend;
        if (net.kind == NetConfig::Kind::User)
            backend = std::make_unique<host::SlirpNetwork>(
                host::SlirpNetwork::Options { net.hostfwds, net.dns, config.verbose });
        else
            backend = std::make_unique<host::TapNetwork>(net.ifname);
        add_virtio_device(
            std::make_unique<devices::virtio::VirtioNet>(std::move(backend), net.mac));
    }
    auto virtio_console = std::make_unique<devices::virtio::VirtioConsole>(
        [this](uint8_t byte) { m_console.write(byte); });
    m_virtio_console = virtio_console.get();
    add_virtio_device(std::move(virtio_console));
    add_virtio_device(std::make_unique<devices::virtio::VirtioRng>());

    load_images(config);
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
    if (slot >= MachineConfig::kVirtioSlots)
        throw std::runtime_error(
            fmt::format("at most {} virtio devices fit the machine", MachineConfig::kVirtioSlots));
    auto transport = std::make_unique<devices::virtio::VirtioMmio>(m_ram, *device,
        devices::InterruptLine { m_plic.get(), kVirtioFirstIrq + slot }, m_config.verbose);
    m_bus.map(kVirtioBase + slot * kVirtioStride, kVirtioStride, *transport);
    m_virtio_devices.push_back(std::move(device));
    m_virtio_transports.push_back(std::move(transport));
}

void Machine::load_images(const MachineConfig& config)
{
    const bool firmware_in_host = !config.bios;
    auto kernel_bytes = firmware::read_file(config.kernel, "kernel");
    firmware::LoadedImage kernel;
    if (config.raw_kernel)
        kernel = firmware::load_raw(kernel_bytes, m_ram, kRamBase + kTwoMiB, "the kernel");
    else if (firmware::is_elf(kernel_bytes))
        kernel = firmware::load_elf(kernel_bytes, m_ram);
    else if (firmware::is_linux_image(kernel_bytes))
        kernel = firmware::load_linux_image(kernel_bytes, m_ram);
    else
        throw std::runtime_error(fmt::format("'{}' is not a kernel: neither a RISC-V ELF nor a "
                                             "Linux RISC-V Image (--raw-kernel loads raw bytes)",
            config.kernel.string()));

    for (unsigned i = 0; i < config.cpus; ++i) {
        cpu::HartConfig hart_config { i, firmware_in_host && !kernel.tohost };
        m_harts[i]->hart
            = std::make_unique<cpu::Hart>(hart_config, m_bus, *m_harts[i]->lines, m_clock);
        if (config.engine == cpu::EngineKind::Jit)
            m_harts[i]->engine = std::make_unique<jit::Translator>(*m_harts[i]->hart);
        else
            m_harts[i]->engine = std::make_unique<cpu::InterpreterEngine>(*m_harts[i]->hart);
        if (config.trace) {
            m_harts[i]->hart->set_tracer(
                [](const cpu::Hart& hart, const isa::DecodedInstruction& insn) {
                    fmt::print(stderr, "hart{} {:016x} {:08x} {}\n", hart.hart_id(), hart.pc(),
                        insn.bits, isa::disassemble(insn, hart.pc()));
                });
        }
    }

    // A bare-metal test program: every hart starts at its entry in M-mode, HTIF serves it.
    if (kernel.tohost) {
        m_htif = std::make_unique<devices::Htif>(m_ram, *kernel.tohost, kernel.fromhost,
            [this](uint8_t byte) { m_console.write(byte); });
        for (auto& slot : m_harts) {
            slot->hart->reset(kernel.entry);
            slot->state = firmware::HartState::Started;
        }
        return;
    }

    std::vector<uint8_t> initrd;
    for (const auto& path : config.initrds) {
        // Linux finds an uncompressed cpio only at a 4-byte boundary (it skips zero padding
        // between archives), so each archive starts at one.
        initrd.resize((initrd.size() + 3) & ~size_t { 3 });
        auto bytes = firmware::read_file(path, "initrd");
        initrd.insert(initrd.end(), bytes.begin(), bytes.end());
    }

    firmware::DeviceTreeLayout layout;
    layout.hart_count = config.cpus;
    layout.ram_base = kRamBase;
    layout.ram_size = config.memory;
    layout.bootargs = config.append;
    for (unsigned slot = 0; slot < m_virtio_transports.size(); ++slot)
        layout.virtio.push_back({ kVirtioBase + slot * kVirtioStride, kVirtioFirstIrq + slot });
    // The initrd's place depends on the tree's size, which depends on whether it has an initrd
    // range: build once to measure, then again with the range.
    const uint64_t ram_end = kRamBase + config.memory;
    if (!initrd.empty())
        layout.initrd = std::pair<uint64_t, uint64_t> { 0, 0 };
    const uint64_t tree_size = firmware::build_device_tree(layout).size();
    const uint64_t tree_address = align_down(ram_end - tree_size, kTwoMiB);
    uint64_t lowest_data = tree_address;
    if (!initrd.empty()) {
        const uint64_t start = align_down(tree_address - initrd.size(), 0x1000);
        layout.initrd = std::pair<uint64_t, uint64_t> { start, start + initrd.size() };
        lowest_data = start;
    }
    if (lowest_data < kernel.highest || tree_address < kRamBase + kTwoMiB)
        throw std::runtime_error(
            fmt::format("{} MiB of memory is too little for this kernel and initrd (more --mem?)",
                config.memory >> 20));
    if (!initrd.empty())
        std::memcpy(m_ram.pointer(layout.initrd->first), initrd.data(), initrd.size());
    m_device_tree = firmware::build_device_tree(layout);
    std::memcpy(m_ram.pointer(tree_address), m_device_tree.data(), m_device_tree.size());

    if (config.bios) {
        auto bios_bytes = firmware::read_file(*config.bios, "firmware");
        firmware::LoadedImage bios = firmware::is_elf(bios_bytes)
            ? firmware::load_elf(bios_bytes, m_ram)
            : firmware::load_raw(bios_bytes, m_ram, kRamBase, "the firmware");
        if (bios.highest > kernel.lowest)
            throw std::runtime_error("the firmware overlaps the kernel's load address");
        m_boot_rom = std::make_unique<devices::BootRom>(bios.entry, tree_address, kernel.entry);
        m_bus.map(devices::BootRom::kBase, devices::BootRom::kSize, *m_boot_rom);
        // All harts run the firmware from reset; it picks the boot hart and parks the others.
        for (auto& slot : m_harts) {
            slot->hart->reset(devices::BootRom::kBase);
            slot->state = firmware::HartState::Started;
        }
        return;
    }
    // Built-in SBI: hart 0 enters the kernel in S-mode; the kernel starts the others via HSM.
    firmware::Sbi::enter_supervisor(*m_harts[0]->hart, kernel.entry, 0, tree_address);
    m_harts[0]->state = firmware::HartState::Started;
}

MachineExit Machine::run(const volatile std::atomic<int>* stop_signal)
{
    for (unsigned i = 0; i < m_harts.size(); ++i)
        m_harts[i]->thread = std::thread([this, i] { run_hart(i); });

    bool input_open = true;
    while (!finished()) {
        if (input_open) {
            auto input = m_console.read(20);
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
            std::unique_lock lock(m_exit_mutex);
            m_exit_signal.wait_for(lock, std::chrono::milliseconds(20), [&] { return finished(); });
        }
        m_rtc->poll();
        if (stop_signal && stop_signal->load() != 0)
            finish({ MachineExit::Kind::Signal, 128 + stop_signal->load(), {} });
    }
    for (auto& slot : m_harts) {
        if (slot->thread.joinable())
            slot->thread.join();
    }
    if (m_config.verbose) {
        for (unsigned i = 0; i < m_harts.size(); ++i) {
            const std::string summary = m_harts[i]->engine->summary();
            if (!summary.empty())
                fmt::print(stderr, "rvisor: hart {}: {}\n", i, summary);
        }
    }
    std::lock_guard lock(m_exit_mutex);
    return *m_exit;
}

void Machine::run_hart(unsigned index)
{
    HartSlot& slot = *m_harts[index];
    cpu::Hart& hart = *slot.hart;
    while (!finished()) {
        const firmware::HartState state = slot.state.load();
        if (state == firmware::HartState::StartPending) {
            hart.reset(0);
            firmware::Sbi::enter_supervisor(hart, slot.start_pc, index, slot.start_opaque);
            slot.state = firmware::HartState::Started;
        } else if (state != firmware::HartState::Started) {
            slot.lines->clear_attention();
            if (slot.state.load() == state && !finished())
                slot.lines->wait_until(std::chrono::steady_clock::now() + kIdleWait);
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
        case cpu::HartExit::WaitForInterrupt: hart.wait_for_interrupt(kIdleWait); break;
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
    for (auto& slot : m_harts)
        slot->lines->wake();
}

bool Machine::start_hart(unsigned index, uint64_t pc, uint64_t opaque)
{
    HartSlot& slot = *m_harts[index];
    if (slot.state.load() != firmware::HartState::Stopped)
        return false;
    slot.start_pc = pc;
    slot.start_opaque = opaque;
    slot.state = firmware::HartState::StartPending;
    slot.lines->wake();
    return true;
}

void Machine::stop_hart(unsigned index) { m_harts[index]->state = firmware::HartState::Stopped; }

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

} // namespace rvisor::machine
