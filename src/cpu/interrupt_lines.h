#pragma once
#include "cpu/trap.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace rvisor::cpu {

// The wires into one hart: the levels that devices (PLIC, ACLINT) and other harts' firmware
// calls drive, and the ACLINT's mtimecmp for this hart. Devices write here; the hart reads it
// between instructions. Nothing here calls into the hart, and a sleeping hart is woken.
class InterruptLines {
public:
    // MSIP, MEIP, SEIP from outside the hart. SSIP may be raised (by an IPI) but is only ever
    // cleared by the hart itself, as the software-writable bit it is.
    void set_level(Interrupt line, bool level)
    {
        if (level)
            m_levels.fetch_or(bit(line));
        else
            m_levels.fetch_and(~bit(line));
        wake();
    }
    uint64_t levels() const { return m_levels.load(std::memory_order_relaxed); }
    // Takes the SSIP raised by others since the last call.
    bool take_software_supervisor_request()
    {
        if (!(levels() & bit(Interrupt::SupervisorSoftware)))
            return false;
        return m_levels.fetch_and(~bit(Interrupt::SupervisorSoftware))
            & bit(Interrupt::SupervisorSoftware);
    }

    void set_machine_timer_compare(uint64_t ticks)
    {
        m_machine_timer_compare.store(ticks);
        wake();
    }
    uint64_t machine_timer_compare() const
    {
        return m_machine_timer_compare.load(std::memory_order_relaxed);
    }

    // True when something changed since the hart last looked; the hart checks this every step.
    bool attention() const { return m_attention.load(std::memory_order_relaxed); }
    void clear_attention() { m_attention.store(false, std::memory_order_relaxed); }
    void wake()
    {
        {
            std::lock_guard lock(m_mutex);
            m_attention.store(true);
        }
        m_wakeup.notify_all();
    }

    // Sleeps until wake() or the deadline (none when it is time_point::max()); the caller
    // rechecks its condition afterwards.
    void wait_until(std::chrono::steady_clock::time_point deadline)
    {
        std::unique_lock lock(m_mutex);
        const auto woken = [&] { return m_attention.load(); };
        if (deadline == std::chrono::steady_clock::time_point::max())
            m_wakeup.wait(lock, woken);
        else
            m_wakeup.wait_until(lock, deadline, woken);
    }

private:
    std::atomic<uint64_t> m_levels { 0 };
    std::atomic<uint64_t> m_machine_timer_compare { UINT64_MAX };
    std::atomic<bool> m_attention { false };
    std::mutex m_mutex;
    std::condition_variable m_wakeup;
};

} // namespace rvisor::cpu
