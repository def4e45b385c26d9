#pragma once
// The translator's per-hart state that translated code reads and writes, kept by r12 while it
// runs: the instruction budget and the jump cache that indirect jumps look their target up in.
#include <array>
#include <cstddef>
#include <cstdint>

namespace rvisor::jit {

struct RuntimeState {
    struct JumpEntry {
        uint64_t tag = UINT64_MAX; // jump_tag() of the guest pc, or UINT64_MAX when empty
        const uint8_t* code = nullptr;
    };
    static constexpr size_t kJumpCacheSize = 4096;

    // Guest virtual pc and privilege: the same virtual pc is different code in another mode
    // (other page permissions), so both are in the tag. Valid pcs have bits 63..62 equal to
    // lower bits, so nothing is lost by shifting them out.
    static uint64_t jump_tag(uint64_t pc, unsigned privilege) { return (pc << 2) | privilege; }
    static size_t jump_index(uint64_t pc) { return (pc >> 1) & (kJumpCacheSize - 1); }

    void clear_jump_cache() { jump_cache.fill(JumpEntry {}); }

    // Instructions translated code may still run before it returns to the dispatcher; each
    // block subtracts its length on entry and returns when the result is negative.
    int64_t budget = 0;
    uint32_t mxcsr = 0; // scratch for stmxcsr/ldmxcsr
    std::array<JumpEntry, kJumpCacheSize> jump_cache {};
};

} // namespace rvisor::jit
