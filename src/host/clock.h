#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>

namespace rvisor::host {

// The machine's timebase: ticks of a fixed frequency from the host's monotonic clock, counted
// from the machine's power-on. Every hart and the ACLINT read the same Clock, so `time` agrees
// across harts. It stops while the VM is paused and can be set to a saved count, so that guest
// time neither jumps on resume nor restarts from zero on restore.
class Clock {
public:
    static constexpr uint64_t kFrequency = 10'000'000; // 10 MHz, as QEMU virt

    Clock() { m_origin_ns.store(now_ns()); }

    uint64_t ticks() const
    {
        if (m_stopped.load(std::memory_order_relaxed)) [[unlikely]]
            return m_stopped_ticks.load(std::memory_order_relaxed);
        return static_cast<uint64_t>(now_ns() - m_origin_ns.load(std::memory_order_relaxed)) / 100;
    }
    // A compare value too far ahead to happen (a guest's way to turn its timer off) is
    // time_point::max(), never a product that wrapped round into the past.
    std::chrono::steady_clock::time_point time_point_of(uint64_t ticks) const
    {
        const int64_t origin = m_origin_ns.load(std::memory_order_relaxed);
        constexpr int64_t kLatest = std::numeric_limits<int64_t>::max();
        if (ticks > static_cast<uint64_t>(kLatest / 100))
            return std::chrono::steady_clock::time_point::max();
        const auto offset = static_cast<int64_t>(ticks * 100);
        if (origin > kLatest - offset)
            return std::chrono::steady_clock::time_point::max();
        return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(origin + offset));
    }

    // Freezes the count (while the VM is paused); resume() continues from where it stopped.
    void stop()
    {
        m_stopped_ticks.store(ticks());
        m_stopped.store(true);
    }
    // Sets the count of a stopped clock (a restore).
    void set_stopped_ticks(uint64_t ticks) { m_stopped_ticks.store(ticks); }
    void resume()
    {
        if (!m_stopped.load())
            return;
        m_origin_ns.store(now_ns() - static_cast<int64_t>(m_stopped_ticks.load() * 100));
        m_stopped.store(false);
    }

private:
    static int64_t now_ns()
    {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    std::atomic<int64_t> m_origin_ns { 0 };
    std::atomic<bool> m_stopped { false };
    std::atomic<uint64_t> m_stopped_ticks { 0 };
};

} // namespace rvisor::host
