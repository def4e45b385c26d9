#include "devices/goldfish_rtc.h"

namespace rvisor::devices {

namespace {

enum Register : uint64_t {
    TimeLow = 0x00,
    TimeHigh = 0x04,
    AlarmLow = 0x08,
    AlarmHigh = 0x0c,
    IrqEnabled = 0x10,
    ClearAlarm = 0x14,
    AlarmStatus = 0x18,
    ClearInterrupt = 0x1c,
};

uint64_t host_now()
{
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

} // namespace

GoldfishRtc::GoldfishRtc(InterruptLine irq, std::function<void()> alarm_armed)
    : m_irq(irq)
    , m_alarm_armed_callback(std::move(alarm_armed))
{
    m_irq.set(false);
}

uint64_t GoldfishRtc::now() const { return host_now() + static_cast<uint64_t>(m_offset); }

void GoldfishRtc::fire_due_alarm()
{
    if (!m_alarm_armed || now() < m_alarm)
        return;
    m_alarm_armed = false;
    // Latched even while the interrupt is disabled, so enabling it later still reports the alarm.
    m_interrupt_pending = true;
}

void GoldfishRtc::update_irq()
{
    bool level = m_interrupt_pending && m_irq_enabled;
    if (level == m_irq_level)
        return;
    m_irq_level = level;
    m_irq.set(level);
}

void GoldfishRtc::poll()
{
    std::lock_guard lock(m_mutex);
    fire_due_alarm();
    update_irq();
}

std::optional<std::chrono::nanoseconds> GoldfishRtc::time_until_alarm()
{
    std::lock_guard lock(m_mutex);
    if (!m_alarm_armed)
        return std::nullopt;
    uint64_t current = now();
    if (current >= m_alarm)
        return std::chrono::nanoseconds(0);
    return std::chrono::nanoseconds(static_cast<int64_t>(m_alarm - current));
}

uint32_t GoldfishRtc::read_register(uint64_t offset)
{
    switch (offset) {
    case TimeLow: {
        // Latching makes a LOW-then-HIGH pair one consistent 64-bit reading.
        uint64_t time = now();
        m_time_high_latch = static_cast<uint32_t>(time >> 32);
        return static_cast<uint32_t>(time);
    }
    case TimeHigh: return m_time_high_latch;
    case AlarmLow: return static_cast<uint32_t>(m_alarm);
    case AlarmHigh: return static_cast<uint32_t>(m_alarm >> 32);
    case IrqEnabled: return m_irq_enabled;
    case AlarmStatus: return m_alarm_armed;
    default: return 0;
    }
}

void GoldfishRtc::write_register(uint64_t offset, uint32_t value)
{
    switch (offset) {
    case TimeLow: {
        uint64_t time = uint64_t { m_time_high_written } << 32 | value;
        m_offset = static_cast<int64_t>(time - host_now());
        return;
    }
    case TimeHigh: m_time_high_written = value; return;
    case AlarmLow:
        m_alarm = (m_alarm & ~uint64_t { UINT32_MAX }) | value;
        m_alarm_armed = true;
        if (m_alarm_armed_callback)
            m_alarm_armed_callback();
        return;
    case AlarmHigh: m_alarm = uint64_t { value } << 32 | (m_alarm & UINT32_MAX); return;
    case IrqEnabled: m_irq_enabled = value & 1; return;
    case ClearAlarm: m_alarm_armed = false; return;
    case ClearInterrupt: m_interrupt_pending = false; return;
    default: return;
    }
}

// A 64-bit access is taken as two 32-bit ones in the order the driver uses: LOW then HIGH for
// reads (so TIME latches), HIGH then LOW for writes (so LOW sets the time or arms the alarm
// with the new high half). Accesses narrower than a register are ignored.
uint64_t GoldfishRtc::read(uint64_t offset, unsigned size)
{
    std::lock_guard lock(m_mutex);
    fire_due_alarm();
    uint64_t value = 0;
    if (size == 4) {
        value = read_register(offset);
    } else if (size == 8) {
        value = read_register(offset);
        value |= uint64_t { read_register(offset + 4) } << 32;
    }
    update_irq();
    return value;
}

void GoldfishRtc::write(uint64_t offset, unsigned size, uint64_t value)
{
    std::lock_guard lock(m_mutex);
    if (size == 4) {
        write_register(offset, static_cast<uint32_t>(value));
    } else if (size == 8) {
        write_register(offset + 4, static_cast<uint32_t>(value >> 32));
        write_register(offset, static_cast<uint32_t>(value));
    }
    fire_due_alarm();
    update_irq();
}

void GoldfishRtc::save(state::StateWriter& out) const
{
    std::lock_guard lock(m_mutex);
    out.u64(static_cast<uint64_t>(m_offset));
    out.u32(m_time_high_latch);
    out.u32(m_time_high_written);
    out.u64(m_alarm);
    for (bool flag : { m_alarm_armed, m_irq_enabled, m_interrupt_pending })
        out.boolean(flag);
}

void GoldfishRtc::load(state::StateReader& in)
{
    std::lock_guard lock(m_mutex);
    m_offset = static_cast<int64_t>(in.u64());
    m_time_high_latch = in.u32();
    m_time_high_written = in.u32();
    m_alarm = in.u64();
    for (bool* flag : { &m_alarm_armed, &m_irq_enabled, &m_interrupt_pending })
        *flag = in.boolean();
    m_irq_level = m_interrupt_pending && m_irq_enabled;
    m_irq.set(m_irq_level);
}

} // namespace rvisor::devices
