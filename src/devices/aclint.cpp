#include "devices/aclint.h"

namespace rvisor::devices {

namespace {

constexpr uint64_t kSoftwareBase = 0x0;
constexpr uint64_t kTimerCompareBase = 0x4000;
constexpr uint64_t kTimeOffset = 0xbff8;

} // namespace

Aclint::Aclint(const host::Clock& clock, std::vector<cpu::InterruptLines*> harts)
    : m_clock(clock)
    , m_harts(std::move(harts))
    , m_software_pending(m_harts.size(), false)
    , m_machine_timer_compare(m_harts.size(), UINT64_MAX)
{
    for (auto* hart : m_harts)
        hart->set_machine_timer_compare(UINT64_MAX);
}

void Aclint::write_machine_timer_compare(size_t hart, uint64_t value)
{
    m_machine_timer_compare[hart] = value;
    m_harts[hart]->set_machine_timer_compare(value);
}

uint64_t Aclint::read(uint64_t offset, unsigned size)
{
    std::lock_guard lock(m_mutex);
    if (size == 8 && offset % 8 == 0) {
        if (offset == kTimeOffset)
            return m_clock.ticks();
        if (offset >= kTimerCompareBase && offset < kTimeOffset) {
            uint64_t hart = (offset - kTimerCompareBase) / 8;
            return hart < m_harts.size() ? m_machine_timer_compare[hart] : 0;
        }
    }

    // Everything else is read as (part of) one 32-bit word.
    uint64_t word_offset = offset & ~uint64_t { 3 };
    uint32_t word = 0;
    if (word_offset < kTimerCompareBase) {
        uint64_t hart = (word_offset - kSoftwareBase) / 4;
        word = hart < m_harts.size() && m_software_pending[hart];
    } else if (word_offset < kTimeOffset) {
        uint64_t hart = (word_offset - kTimerCompareBase) / 8;
        if (hart < m_harts.size()) {
            bool high = word_offset % 8 == 4;
            word = static_cast<uint32_t>(m_machine_timer_compare[hart] >> (high ? 32 : 0));
        }
    } else if (word_offset < kTimeOffset + 8) {
        bool high = word_offset == kTimeOffset + 4;
        word = static_cast<uint32_t>(m_clock.ticks() >> (high ? 32 : 0));
    }
    unsigned shift = static_cast<unsigned>(offset % 4) * 8;
    uint64_t mask = size >= 4 ? UINT32_MAX : (uint64_t { 1 } << (size * 8)) - 1;
    return (word >> shift) & mask;
}

void Aclint::write(uint64_t offset, unsigned size, uint64_t value)
{
    std::lock_guard lock(m_mutex);
    if (offset < kTimerCompareBase) {
        // Only bit 0 of each msip word exists, so only an access that covers byte 0 of the word
        // can change it.
        uint64_t hart = (offset - kSoftwareBase) / 4;
        if (offset % 4 != 0 || hart >= m_harts.size())
            return;
        bool pending = value & 1;
        m_software_pending[hart] = pending;
        m_harts[hart]->set_level(cpu::Interrupt::MachineSoftware, pending);
        return;
    }
    if (offset >= kTimeOffset)
        return; // mtime is the machine's clock; see the class comment.

    uint64_t hart = (offset - kTimerCompareBase) / 8;
    if (hart >= m_harts.size())
        return;
    // Merge the written bytes into the 64-bit register, so a 32-bit half (the usual way an RV32
    // kernel or firmware writes it) or a whole doubleword both work.
    unsigned byte = static_cast<unsigned>(offset % 8);
    if (byte + size > 8)
        return;
    uint64_t mask = size == 8 ? UINT64_MAX : ((uint64_t { 1 } << (size * 8)) - 1) << (byte * 8);
    uint64_t current = m_machine_timer_compare[hart];
    write_machine_timer_compare(hart, (current & ~mask) | ((value << (byte * 8)) & mask));
}

void Aclint::save(state::StateWriter& out) const
{
    std::lock_guard lock(m_mutex);
    out.u32(static_cast<uint32_t>(m_harts.size()));
    for (size_t hart = 0; hart < m_harts.size(); ++hart) {
        out.boolean(m_software_pending[hart]);
        out.u64(m_machine_timer_compare[hart]);
    }
}

void Aclint::load(state::StateReader& in)
{
    std::lock_guard lock(m_mutex);
    if (in.u32() != m_harts.size())
        in.fail("the number of harts differs from this machine's");
    for (size_t hart = 0; hart < m_harts.size(); ++hart) {
        m_software_pending[hart] = in.boolean();
        m_harts[hart]->set_level(cpu::Interrupt::MachineSoftware, m_software_pending[hart]);
        write_machine_timer_compare(hart, in.u64());
    }
}

} // namespace rvisor::devices
