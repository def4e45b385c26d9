#pragma once
#include <cstdint>

namespace rvisor::cpu {

enum class Exception : uint64_t {
    InstructionMisaligned = 0,
    InstructionAccessFault = 1,
    IllegalInstruction = 2,
    Breakpoint = 3,
    LoadMisaligned = 4,
    LoadAccessFault = 5,
    StoreMisaligned = 6,
    StoreAccessFault = 7,
    EcallFromU = 8,
    EcallFromS = 9,
    EcallFromM = 11,
    InstructionPageFault = 12,
    LoadPageFault = 13,
    StorePageFault = 15,
};

// Interrupt numbers are also the bit positions in mip/mie.
enum class Interrupt : unsigned {
    SupervisorSoftware = 1,
    MachineSoftware = 3,
    SupervisorTimer = 5,
    MachineTimer = 7,
    SupervisorExternal = 9,
    MachineExternal = 11,
};

constexpr uint64_t bit(Interrupt interrupt)
{
    return uint64_t { 1 } << static_cast<unsigned>(interrupt);
}

enum class Privilege : uint8_t { User = 0, Supervisor = 1, Machine = 3 };

} // namespace rvisor::cpu
