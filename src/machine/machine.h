#pragma once
// One virtual machine: its RAM, bus, harts and devices, assembled explicitly in machine.cpp
// after DESIGN.md's memory map, and the threads that run it.
#include "cpu/hart.h"
#include "devices/aclint.h"
#include "devices/goldfish_rtc.h"
#include "devices/htif.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart16550.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/block.h"
#include "devices/virtio/console.h"
#include "devices/virtio/device.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/virtio/net.h"
#include "firmware/sbi.h"
#include "host/clock.h"
#include "host/console.h"
#include "host/wakeup.h"
#include "machine/idle_watch.h"
#include "machine/vm_spec.h"
#include "mem/bus.h"
#include "mem/guest_ram.h"
#include "state/section.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rvisor::machine {

// How a run ended.
struct MachineExit {
    enum class Kind { Poweroff, Reboot, Failure, Quit, Signal, Error } kind;
    int status = 0; // the process exit status this ending maps to
    std::string message; // for Error and Failure
};

// Created → Running ⇄ Paused → Stopped. A reboot ends the run (MachineExit::Reboot) and the
// caller makes a new Machine from the same spec, as after a hardware reset.
enum class MachineState { Created, Running, Paused, Stopped };

class Machine final : private firmware::SbiPlatform {
public:
    // Boots `spec`: fresh RAM with the kernel, initrd, device tree and firmware loaded.
    Machine(const VmSpec& spec, const RunOptions& options, host::Console& console);
    // Restores saved state: RAM maps `memory_file` copy-on-write, and `section` finds each
    // saved section by tag (throwing when it is missing). Throws std::runtime_error (or
    // state::StateError) with one sentence when the state does not fit this spec.
    using SectionLookup = std::function<const state::Section&(const std::string& tag)>;
    Machine(const VmSpec& spec, const RunOptions& options, host::Console& console,
        const std::filesystem::path& memory_file, const SectionLookup& section);
    ~Machine() override;
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // Created → Running, or → Paused with `paused` (the harts then wait for resume() before
    // their first instruction). Does nothing unless the machine is Created.
    void start(bool paused);
    // Starts the machine if it is still Created, then serves the console until the guest
    // powers off, reboots or fails, the user quits, stop() is called or *stop_signal becomes
    // raised (by a signal handler).
    MachineExit run(const host::StopSignal* stop_signal);

    // From any thread while run() runs.
    MachineState state() const { return m_state.load(); }
    // Parks every hart at an instruction boundary, lets the devices finish the requests in
    // progress and stops the guest's clock; nothing changes guest state until resume().
    // Both do nothing unless the machine is Running or Paused respectively.
    void pause();
    void resume();
    // Ends run() with `exit`, paused or not.
    void stop(MachineExit exit) { finish(std::move(exit)); }

    // Only while Paused: the state of every hart and device, and RAM. Throw
    // std::runtime_error with one sentence when the machine cannot be saved.
    std::vector<state::Section> save_state() const;
    uint64_t write_memory(const std::filesystem::path& path) const
    {
        return m_ram->write_to_file(path);
    }

    const VmSpec& spec() const { return m_spec; }
    // Frame bytes through every virtio-net device, from any thread.
    struct NetworkTraffic {
        uint64_t received_bytes = 0;
        uint64_t transmitted_bytes = 0;
    };
    NetworkTraffic network_traffic() const;
    // New rate limits for a disk or a network (by index in the spec), from the API's thread;
    // the spec follows, so snapshots and reboots keep them.
    void set_disk_rate_limit(size_t index, host::RateLimit limit);
    void set_net_bandwidth(size_t index, uint64_t bytes_per_second);
    // The balloon's target and what the guest's driver says it holds, in bytes; none when the
    // machine has no balloon. From any thread.
    struct BalloonSize {
        uint64_t target_bytes = 0;
        uint64_t actual_bytes = 0;
    };
    std::optional<BalloonSize> balloon_size() const;
    // Asks the guest to give `bytes` of its RAM to the balloon (whole 4 KiB pages, at most
    // the RAM); only with a balloon.
    void set_balloon_target(uint64_t bytes);
    // What the saved state belongs to: the ISA string and the devices, in bus order.
    static std::string isa();
    std::vector<std::string> device_names() const;
    // The device tree handed to the guest (empty for a bare-metal program or a restore).
    const std::vector<uint8_t>& device_tree() const { return m_device_tree; }

private:
    struct HartSlot {
        std::unique_ptr<cpu::InterruptLines> lines;
        std::unique_ptr<cpu::Hart> hart;
        std::unique_ptr<cpu::ExecutionEngine> engine;
        std::atomic<firmware::HsmState> state { firmware::HsmState::Stopped };
        uint64_t start_pc = 0;
        uint64_t start_opaque = 0;
        IdleWatch idle_watch;
        std::thread thread;
    };

    struct BootRomAddresses {
        uint64_t firmware_entry = 0;
        uint64_t device_tree = 0;
        uint64_t kernel_entry = 0;
    };

    // What both constructors do: RAM, bus, devices; harts come with create_harts().
    Machine(const VmSpec& spec, const RunOptions& options, host::Console& console,
        std::unique_ptr<mem::GuestRam> ram);
    void create_harts(bool firmware_in_host);
    void map_boot_rom(const BootRomAddresses& addresses);
    void load_images();
    void load_state(const SectionLookup& section);
    void park();
    void add_virtio_device(std::unique_ptr<devices::virtio::VirtioDevice> device);
    void run_hart(unsigned index);
    void finish(MachineExit exit);
    bool finished() const { return m_finished.load(); }

    // SbiPlatform
    unsigned hart_count() const override { return static_cast<unsigned>(m_harts.size()); }
    cpu::Hart& hart(unsigned index) override { return *m_harts[index]->hart; }
    cpu::InterruptLines& interrupt_lines(unsigned index) override { return *m_harts[index]->lines; }
    firmware::HsmState hart_state(unsigned index) const override
    {
        return m_harts[index]->state.load();
    }
    bool start_hart(unsigned index, uint64_t pc, uint64_t opaque) override;
    void stop_hart(unsigned index) override;
    void console_write(uint8_t byte) override { m_console.write(byte); }
    std::optional<uint8_t> console_read() override;
    void system_reset(firmware::ResetRequest request) override;

    VmSpec m_spec;
    RunOptions m_options;
    host::Console& m_console;
    host::Clock m_clock;
    std::unique_ptr<mem::GuestRam> m_ram;
    mem::Bus m_bus;
    std::vector<std::unique_ptr<HartSlot>> m_harts;
    std::unique_ptr<devices::Plic> m_plic;
    std::unique_ptr<devices::Aclint> m_aclint;
    std::unique_ptr<devices::Uart16550> m_uart;
    std::unique_ptr<devices::GoldfishRtc> m_rtc;
    std::unique_ptr<devices::Syscon> m_syscon;
    std::unique_ptr<devices::Htif> m_htif;
    std::unique_ptr<mem::MmioDevice> m_boot_rom;
    std::optional<BootRomAddresses> m_boot_rom_addresses;
    bool m_firmware_in_host = true;
    // Devices before their transports: a transport resets its device when destroyed.
    std::vector<std::unique_ptr<devices::virtio::VirtioDevice>> m_virtio_devices;
    std::vector<std::unique_ptr<devices::virtio::VirtioMmio>> m_virtio_transports;
    // Raised whenever run()'s loop should look again: the machine finished, paused or resumed,
    // or the guest armed the RTC's alarm.
    host::Wakeup m_wakeup;
    devices::virtio::VirtioConsole* m_virtio_console = nullptr; // owned by m_virtio_devices
    std::vector<devices::virtio::VirtioBlock*> m_disks; // owned by m_virtio_devices
    std::vector<devices::virtio::VirtioNet*> m_nets; // owned by m_virtio_devices
    devices::virtio::VirtioBalloon* m_balloon = nullptr; // owned by m_virtio_devices
    devices::virtio::VirtioMmio* m_balloon_transport = nullptr; // owned by m_virtio_transports
    firmware::Sbi m_sbi;
    std::vector<uint8_t> m_device_tree;

    mutable std::mutex m_input_mutex;
    std::deque<uint8_t> m_sbi_input; // console input for the SBI's getchar and DBCN read

    std::mutex m_exit_mutex;
    std::condition_variable m_exit_signal;
    std::atomic<bool> m_finished { false };
    std::optional<MachineExit> m_exit;

    // The lifecycle. m_lifecycle_mutex orders pause() and resume(); parked harts wait on
    // m_park_signal under m_park_mutex until the pause request is withdrawn.
    std::atomic<MachineState> m_state { MachineState::Created };
    std::mutex m_lifecycle_mutex;
    std::atomic<bool> m_pause_requested { false };
    std::mutex m_park_mutex;
    std::condition_variable m_park_signal;
    unsigned m_parked = 0;
};

} // namespace rvisor::machine
