#pragma once
// Halt polling, as KVM does it (halt_poll_ns): a hart that waits for an interrupt spins for a
// short window before it sleeps. A guest waiting for its disk or network is usually woken
// within microseconds, while a futex sleep and wake-up costs tens of them on a virtualized
// host: one random 4 KiB read pays for it twice. The window adapts per hart: it grows while
// sleeps end early by a wake-up (the guest waits for I/O) and shrinks to nothing when they
// last (an idle guest sleeping until its next timer), so an idle guest spins for nothing.
#include "cpu/interrupt_lines.h"

#include <algorithm>
#include <chrono>

#include <sched.h>

namespace rvisor::cpu {

class HaltPoll {
public:
    using Clock = std::chrono::steady_clock;
    static constexpr std::chrono::microseconds kFirstWindow { 10 };
    static constexpr std::chrono::microseconds kMaxWindow { 200 };

    // Spins on `lines` until they need attention (true), the window passes or the deadline
    // comes (false: sleep, then call slept()).
    bool poll(const InterruptLines& lines, Clock::time_point deadline) const
    {
        if (m_window == Clock::duration::zero())
            return false;
        const auto end = std::min(deadline, Clock::now() + m_window);
        for (unsigned spin = 0;; ++spin) {
            if (lines.attention())
                return true;
            // The clock costs more than a look at the lines.
            if (spin % 8 == 7 && Clock::now() >= end)
                return false;
            // Any other thread ready to run on this core (another VM's hart, a device
            // thread) goes first, as KVM polls only while nothing else is runnable.
            sched_yield();
        }
    }

    // After a sleep that began when polling gave up: `woken` when a wake-up ended it rather
    // than its deadline.
    void slept(Clock::duration length, bool woken)
    {
        if (woken && length <= kMaxWindow)
            m_window = std::clamp<Clock::duration>(m_window * 2, kFirstWindow, kMaxWindow);
        else if (m_window < 2 * kFirstWindow)
            m_window = Clock::duration::zero();
        else
            m_window /= 2;
    }

    Clock::duration window() const { return m_window; }

private:
    Clock::duration m_window = Clock::duration::zero();
};

} // namespace rvisor::cpu
