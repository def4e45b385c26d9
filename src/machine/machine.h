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
#include "devices/virtio/console.h"
#include "devices/virtio/device.h"
#include "devices/virtio/mmio_transport.h"
#include "firmware/sbi.h"
#include "host/clock.h"
#include "host/console.h"
#include "machine/machine_config.h"
#include "mem/bus.h"
#include "mem/guest_ram.h"

#include <atomic>
#include <condition_variable>
#include <deque>
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

class Machine final : private firmware::SbiPlatform {
public:
    Machine(const MachineConfig& config, host::Console& console);
    ~Machine() override;
    Machine(const Machine&) = delete;
    Machine& operator=(const Machine&) = delete;

    // Runs until the guest powers off, reboots or fails, the user quits, or *stop_signal
    // becomes non-zero (a signal handler's flag). The caller makes a new Machine to reboot.
    MachineExit run(const volatile std::atomic<int>* stop_signal);

    // The device tree handed to the guest (empty for a bare-metal program).
    const std::vector<uint8_t>& device_tree() const { return m_device_tree; }

private:
    struct HartSlot {
        std::unique_ptr<cpu::InterruptLines> lines;
        std::unique_ptr<cpu::Hart> hart;
        std::unique_ptr<cpu::ExecutionEngine> engine;
        std::atomic<firmware::HartState> state { firmware::HartState::Stopped };
        uint64_t start_pc = 0;
        uint64_t start_opaque = 0;
        std::thread thread;
    };

    void load_images(const MachineConfig& config);
    void add_virtio_device(std::unique_ptr<devices::virtio::VirtioDevice> device);
    void run_hart(unsigned index);
    void finish(MachineExit exit);
    bool finished() const { return m_finished.load(); }

    // SbiPlatform
    unsigned hart_count() const override { return static_cast<unsigned>(m_harts.size()); }
    cpu::Hart& hart(unsigned index) override { return *m_harts[index]->hart; }
    cpu::InterruptLines& interrupt_lines(unsigned index) override { return *m_harts[index]->lines; }
    firmware::HartState hart_state(unsigned index) const override
    {
        return m_harts[index]->state.load();
    }
    bool start_hart(unsigned index, uint64_t pc, uint64_t opaque) override;
    void stop_hart(unsigned index) override;
    void console_write(uint8_t byte) override { m_console.write(byte); }
    std::optional<uint8_t> console_read() override;
    void system_reset(firmware::ResetRequest request) override;

    MachineConfig m_config;
    host::Console& m_console;
    host::Clock m_clock;
    mem::GuestRam m_ram;
    mem::Bus m_bus;
    std::vector<std::unique_ptr<HartSlot>> m_harts;
    std::unique_ptr<devices::Plic> m_plic;
    std::unique_ptr<devices::Aclint> m_aclint;
    std::unique_ptr<devices::Uart16550> m_uart;
    std::unique_ptr<devices::GoldfishRtc> m_rtc;
    std::unique_ptr<devices::Syscon> m_syscon;
    std::unique_ptr<devices::Htif> m_htif;
    std::unique_ptr<mem::MmioDevice> m_boot_rom;
    // Devices before their transports: a transport resets its device when destroyed.
    std::vector<std::unique_ptr<devices::virtio::VirtioDevice>> m_virtio_devices;
    std::vector<std::unique_ptr<devices::virtio::VirtioMmio>> m_virtio_transports;
    devices::virtio::VirtioConsole* m_virtio_console = nullptr; // owned by m_virtio_devices
    firmware::Sbi m_sbi;
    std::vector<uint8_t> m_device_tree;

    std::mutex m_input_mutex;
    std::deque<uint8_t> m_sbi_input; // console input for the SBI's getchar and DBCN read

    std::mutex m_exit_mutex;
    std::condition_variable m_exit_signal;
    std::atomic<bool> m_finished { false };
    std::optional<MachineExit> m_exit;
};

} // namespace rvisor::machine
