#pragma once
#include "cpu/interrupt_lines.h"
#include "mem/mmio_device.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace rvisor::devices {

// The platform-level interrupt controller of QEMU's virt machine (`sifive,plic-1.0.0`): 96
// level-triggered sources (source 0 means "none"), and two contexts per hart, 2h for hart h's
// M-mode and 2h + 1 for its S-mode. A context's output is the hart's MEIP or SEIP wire.
//
// Register map (all registers are 32-bit):
//   0x000000 + 4 * source           priority, 0 (never) .. 7
//   0x001000 .. 0x00100b            pending bits, read-only
//   0x002000 + 0x80 * context       enable bits, three words per context
//   0x200000 + 0x1000 * context     priority threshold
//   0x200004 + 0x1000 * context     claim (read) / complete (write)
class Plic final : public mem::MmioDevice {
public:
    static constexpr unsigned kSourceCount = 96;
    static constexpr uint32_t kMaxPriority = 7;
    static constexpr uint64_t kRegionSize = 0x600000;

    // One InterruptLines per hart, in hart-id order; the pointers must outlive the PLIC.
    explicit Plic(std::vector<cpu::InterruptLines*> harts);

    // The gateway's input: a device's interrupt wire. Safe to call from any thread.
    void set_source_level(unsigned source, bool level);

    unsigned context_count() const { return static_cast<unsigned>(m_contexts.size()); }

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Saved state (snapshots): only while no hart runs. load() drives the interrupt lines to
    // match what it loaded; it throws state::StateError for values the device cannot hold.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    static constexpr unsigned kWordCount = kSourceCount / 32;
    using SourceBits = std::array<uint32_t, kWordCount>;

    struct Context {
        SourceBits enabled {};
        uint32_t threshold { 0 };
        bool output { false };
    };

    static bool test(const SourceBits& bits, unsigned source)
    {
        return bits[source / 32] & (uint32_t { 1 } << (source % 32));
    }
    static void assign(SourceBits& bits, unsigned source, bool value);

    uint32_t read_word(uint64_t offset);
    void write_word(uint64_t offset, uint32_t value);

    // The best source this context may be interrupted by now, or 0.
    unsigned best_source(const Context&) const;
    uint32_t claim(Context&);
    void complete(Context&, uint32_t source);
    void update_outputs();

    std::vector<cpu::InterruptLines*> m_harts;
    std::vector<Context> m_contexts;
    std::array<uint32_t, kSourceCount> m_priority {};
    SourceBits m_level {};
    SourceBits m_pending {};
    // Claimed and not yet completed: the gateway holds further requests back until completion.
    SourceBits m_claimed {};
    mutable std::mutex m_mutex;
};

// What a device holds to drive its interrupt wire into the PLIC. A null plic is a wire to
// nowhere, which lets a device run unconnected (in tests, or before the machine wires it).
struct InterruptLine {
    Plic* plic = nullptr;
    unsigned source = 0;

    void set(bool level) const
    {
        if (plic)
            plic->set_source_level(source, level);
    }
};

} // namespace rvisor::devices
