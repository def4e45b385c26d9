#pragma once
#include <chrono>
#include <ctime>

namespace rvisor::machine {

// Tells a hart's thread when its guest has gone idle: a whole window in which the thread used
// under 2% of a core. What the hart's engine keeps for speed (translated code, block tables)
// was mostly built for the boot and is memory an idle VM should give back; a guest that stays
// busy never sees a window end idle. Asked at each WFI, on the hart's own thread.
class IdleWatch {
public:
    static constexpr auto kWindow = std::chrono::seconds(3);

    // True when the window that ends now was idle; a new window starts either way.
    bool idle_window_ended(std::chrono::steady_clock::time_point now)
    {
        if (now - m_window_start < kWindow)
            return false;
        const auto busy = thread_cpu_time();
        const bool started = m_window_start != std::chrono::steady_clock::time_point {};
        const bool idle = started && (busy - m_busy_at_start) * 50 < now - m_window_start;
        m_window_start = now;
        m_busy_at_start = busy;
        return idle;
    }

    static std::chrono::nanoseconds thread_cpu_time()
    {
        timespec time {};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time);
        return std::chrono::seconds(time.tv_sec) + std::chrono::nanoseconds(time.tv_nsec);
    }

private:
    std::chrono::steady_clock::time_point m_window_start {};
    std::chrono::nanoseconds m_busy_at_start {};
};

} // namespace rvisor::machine
