#pragma once
#include <chrono>
#include <cstdint>

namespace rvisor::host {

// The machine's timebase: ticks of a fixed frequency since the clock was made, from the host's
// monotonic clock. Every hart and the ACLINT read the same Clock, so `time` agrees across harts.
class Clock {
public:
    static constexpr uint64_t kFrequency = 10'000'000; // 10 MHz, as QEMU virt

    Clock()
        : m_start(std::chrono::steady_clock::now())
    {
    }

    uint64_t ticks() const
    {
        auto elapsed = std::chrono::steady_clock::now() - m_start;
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count() / 100);
    }
    std::chrono::steady_clock::time_point time_point_of(uint64_t ticks) const
    {
        return m_start + std::chrono::nanoseconds(ticks * 100);
    }

private:
    std::chrono::steady_clock::time_point m_start;
};

} // namespace rvisor::host
