#pragma once
// The translator's per-hart state that translated code reads and writes, kept by r12 while it
// runs: the instruction budget and the jump cache that indirect jumps look their target up in.
#include <array>
#include <bitset>
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

    void clear_jump_cache()
    {
        jump_cache.fill(JumpEntry {});
        jump_pages.reset();
    }
    // Only the dispatcher fills the jump cache, through here, so that a flush of one guest
    // page (sfence.vma of an address: mostly data pages) can tell whether entries may go.
    void set_jump(JumpEntry& entry, uint64_t pc, uint64_t tag, const uint8_t* code)
    {
        entry.tag = tag;
        entry.code = code;
        jump_pages.set(page_bit(pc));
    }
    bool may_hold_page(uint64_t page) const { return jump_pages.test(page_bit(page)); }

    // Instructions translated code may still run before it returns to the dispatcher; each
    // block subtracts its length on entry and returns when the result is negative.
    int64_t budget = 0;
    uint32_t mxcsr = 0; // scratch for stmxcsr/ldmxcsr
    std::array<JumpEntry, kJumpCacheSize> jump_cache {};
    // The virtual pages jump_cache may hold entries for (a page's bit may be shared).
    static constexpr size_t kPageBits = 4096;
    static size_t page_bit(uint64_t address)
    {
        return ((address >> 12) * 0x9e3779b97f4a7c15ull) >> (64 - 12);
    }
    std::bitset<kPageBits> jump_pages;
};

} // namespace rvisor::jit
