#pragma once
#include "devices/plic.h"
#include "mem/mmio_device.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace rvisor::devices {

// The goldfish real-time clock (`google,goldfish-rtc`): wall-clock time in nanoseconds since
// the Unix epoch, and one alarm. Registers are 32-bit:
//   0x00 TIME_LOW      reading it latches the high half for TIME_HIGH; writing HIGH then LOW
//   0x04 TIME_HIGH     sets the guest's time (as an offset from the host's, so it keeps running)
//   0x08 ALARM_LOW     writing it arms the alarm at ALARM_HIGH:ALARM_LOW (write HIGH first)
//   0x0c ALARM_HIGH
//   0x10 IRQ_ENABLED   1: a fired alarm raises the interrupt
//   0x14 CLEAR_ALARM   any write disarms the alarm
//   0x18 ALARM_STATUS  1 while the alarm is armed and has not fired
//   0x1c CLEAR_INTERRUPT  any write acknowledges a fired alarm's interrupt
//
// Nothing inside the device watches the clock: an alarm fires when the guest touches a register
// or when the machine's I/O loop calls poll(), which it does when time_until_alarm() says the
// alarm is due; `alarm_armed` tells that loop the guest set a new one.
class GoldfishRtc final : public mem::MmioDevice {
public:
    static constexpr uint64_t kRegionSize = 0x1000;

    explicit GoldfishRtc(InterruptLine irq, std::function<void()> alarm_armed = {});

    // Fires the alarm if it is due. Safe to call from any thread.
    void poll();
    // How long until the armed alarm is due (zero if it already is), or nullopt when none is.
    std::optional<std::chrono::nanoseconds> time_until_alarm();

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Saved state (snapshots): only while no hart runs. load() drives the interrupt lines to
    // match what it loaded; it throws state::StateError for values the device cannot hold.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    // The guest's wall-clock time, in nanoseconds since the epoch.
    uint64_t now() const;
    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    void fire_due_alarm();
    void update_irq();

    InterruptLine m_irq;
    std::function<void()> m_alarm_armed_callback;
    // Guest time minus host time; moved when the guest sets the clock.
    int64_t m_offset { 0 };
    uint32_t m_time_high_latch { 0 };
    uint32_t m_time_high_written { 0 };
    uint64_t m_alarm { 0 };
    bool m_alarm_armed { false };
    bool m_irq_enabled { false };
    bool m_interrupt_pending { false };
    bool m_irq_level { false };
    mutable std::mutex m_mutex;
};

} // namespace rvisor::devices
