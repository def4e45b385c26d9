#pragma once
// The built-in SBI: what OpenSBI would do in M-mode, served by the host when a hart makes an
// ecall from S-mode (SBI spec v2.0: BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN, and the legacy
// v0.1 console, timer and shutdown calls).
#include "cpu/hart.h"

#include <cstdint>
#include <optional>

namespace rvisor::firmware {

enum class HsmState : uint64_t { Started = 0, Stopped = 1, StartPending = 2, StopPending = 3 };

enum class ResetRequest { Poweroff, Reboot, Failure };

// What the SBI needs of the machine it serves.
class SbiPlatform {
public:
    virtual ~SbiPlatform() = default;
    virtual unsigned hart_count() const = 0;
    virtual cpu::Hart& hart(unsigned index) = 0;
    virtual cpu::InterruptLines& interrupt_lines(unsigned index) = 0;
    virtual HsmState hart_state(unsigned index) const = 0;
    // Asks a stopped hart to start in S-mode at pc with a0 = its id, a1 = opaque.
    virtual bool start_hart(unsigned index, uint64_t pc, uint64_t opaque) = 0;
    // Marks the calling hart stopped; its thread parks once the call returns.
    virtual void stop_hart(unsigned index) = 0;
    virtual void console_write(uint8_t byte) = 0;
    virtual std::optional<uint8_t> console_read() = 0;
    virtual void system_reset(ResetRequest request) = 0;
};

class Sbi {
public:
    explicit Sbi(SbiPlatform& platform)
        : m_platform(platform)
    {
    }

    // Serves the ecall the hart stopped at (a7 = extension, a6 = function) and steps past it.
    void handle_call(unsigned hart_index);

    // Sets up a hart as this firmware leaves it for the kernel: delegation of every trap the
    // supervisor handles, counters and Sstc enabled, then S-mode at pc with a0 and a1.
    static void enter_supervisor(cpu::Hart& hart, uint64_t pc, uint64_t a0, uint64_t a1);

private:
    struct Result {
        int64_t error;
        uint64_t value;
    };
    Result base(uint64_t function, uint64_t argument);
    Result hart_state_management(unsigned caller, uint64_t function, cpu::Hart& hart);
    Result send_ipi(uint64_t mask, uint64_t mask_base);
    Result remote_fence(unsigned caller, uint64_t function, uint64_t mask, uint64_t mask_base);
    Result debug_console(uint64_t function, cpu::Hart& hart);
    Result system_reset(uint64_t type, uint64_t reason);
    // Calls visit(index) for each hart the mask selects; INVALID_PARAM for a hart that isn't.
    template <typename Visit> int64_t for_each_hart(uint64_t mask, uint64_t mask_base, Visit visit);

    SbiPlatform& m_platform;
};

} // namespace rvisor::firmware
