#pragma once
// The host's MXCSR while translated code runs: the guest's rounding mode in it, and its
// sticky exception flags read back as RISC-V fflags.
#include <array>
#include <cstdint>

namespace rvisor::jit {

// MXCSR for a guest rounding mode 0-3 (RC bits 13-14), exceptions masked, flags clear.
constexpr uint32_t guest_mxcsr(uint8_t frm)
{
    constexpr uint32_t kRoundingControl[4] = { 0 << 13, 3 << 13, 1 << 13, 2 << 13 };
    return 0x1f80 | kRoundingControl[frm & 3];
}

constexpr uint32_t kMxcsrFlags = 0x3f;

// MXCSR's flag bits (IE DE ZE OE UE PE) to fflags (NV DZ OF UF NX); DE has no counterpart.
// A table, so that translated code can use it too.
inline constexpr std::array<uint8_t, 64> kFflagsOfMxcsr = [] {
    std::array<uint8_t, 64> table {};
    for (unsigned mxcsr = 0; mxcsr < 64; ++mxcsr) {
        table[mxcsr] = static_cast<uint8_t>(((mxcsr & 0x01) ? 0x10 : 0)
            | ((mxcsr & 0x04) ? 0x08 : 0) | ((mxcsr & 0x08) ? 0x04 : 0)
            | ((mxcsr & 0x10) ? 0x02 : 0) | ((mxcsr & 0x20) ? 0x01 : 0));
    }
    return table;
}();

} // namespace rvisor::jit
