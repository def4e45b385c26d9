#pragma once
#include "cpu/interrupt_lines.h"
#include "host/clock.h"
#include "mem/mmio_device.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <cstdint>
#include <mutex>
#include <vector>

namespace rvisor::devices {

// The ACLINT's MSWI and MTIMER devices in the SiFive CLINT layout, one 64 KiB region:
//   0x0000 + 4 * hart   msip: bit 0 is the hart's machine software interrupt
//   0x4000 + 8 * hart   mtimecmp: 64-bit, its 32-bit halves also accessible
//   0xbff8              mtime: 64-bit, its halves also accessible
//
// The timer interrupt itself is not raised here: the hart compares `time` with the mtimecmp
// its InterruptLines carries, so a sleeping hart wakes at its deadline without a timer thread.
//
// mtime reads the machine's Clock and ignores writes. Every hart's `time` CSR reads the same
// Clock, and letting one device move it would make the two disagree; neither Linux nor OpenSBI
// writes mtime on this machine.
class Aclint final : public mem::MmioDevice {
public:
    static constexpr uint64_t kRegionSize = 0x10000;

    // One InterruptLines per hart, in hart-id order; they and the clock must outlive the ACLINT.
    Aclint(const host::Clock& clock, std::vector<cpu::InterruptLines*> harts);

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Saved state (snapshots): only while no hart runs. load() drives the interrupt lines to
    // match what it loaded; it throws state::StateError for values the device cannot hold.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    void write_machine_timer_compare(size_t hart, uint64_t value);

    const host::Clock& m_clock;
    std::vector<cpu::InterruptLines*> m_harts;
    std::vector<bool> m_software_pending;
    std::vector<uint64_t> m_machine_timer_compare;
    mutable std::mutex m_mutex;
};

} // namespace rvisor::devices
