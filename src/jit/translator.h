#pragma once
// The binary translator as an execution engine: a dispatcher that finds (or translates) the
// block at the hart's pc and runs it, chaining blocks to each other as they are found.
// One per hart, on the hart's thread; its code cache is its own.
#include "cpu/execution_engine.h"
#include "jit/block_compiler.h"
#include "jit/block_table.h"
#include "jit/code_buffer.h"
#include "jit/runtime_state.h"

#include <cstddef>
#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

namespace rvisor::jit {

struct TranslatorStats {
    uint64_t blocks_translated = 0;
    uint64_t code_flushes = 0; // the whole cache dropped because it was full
    uint64_t idle_releases = 0; // the whole cache dropped because the guest went idle
    uint64_t pages_invalidated = 0; // pages whose blocks were dropped because the code changed
    size_t peak_code_bytes = 0; // of the code cache, the most ever in use
};

struct TranslatorOptions {
    size_t code_cache_size = 64ull << 20;
    // A block is translated the n-th time the dispatcher reaches it; before that its code is
    // interpreted. Most code at boot runs a few times only, and translating costs as much as
    // interpreting a few hundred instructions. 1 translates everything at once (tests).
    unsigned translate_after = 8;
    // release_idle_memory() gives the code back once there is more than this: beyond what an
    // idle Linux runs (timer interrupt, scheduler, idle loop: a few hundred KiB).
    size_t idle_code_bytes = 1 << 20;
};

// Self-modifying code. RISC-V only promises that stores reach instruction fetch after a
// fence.i (remote ones through the SBI), so each guest page with blocks keeps a copy of the
// bytes they came from; after a fence.i a page is compared with its copy when control next
// reaches it from the dispatcher, and its blocks are dropped if it changed. Writes by any hart
// or device are covered alike. Chained jumps never leave a page, and the jump cache is emptied
// by fence.i, so no block runs unchecked after one.
struct CodePage {
    std::vector<uint8_t> bytes;
    uint64_t checked_epoch;
    std::vector<BlockTable::Key> blocks;
};

class Translator final : public cpu::ExecutionEngine {
public:
    explicit Translator(cpu::Hart& hart, TranslatorOptions options = {});
    cpu::HartExit run(uint64_t budget) override;
    std::string summary() const override;
    // Drops the translated code and the block tables once they hold more than
    // options.idle_code_bytes (most of it is the boot's code, run once).
    bool release_idle_memory() override;

private:
    // Code for the block at the hart's pc, translating it if need be; nullptr when the
    // instruction there must be interpreted (MMIO, page-crossing) or the fetch trapped.
    // nullptr with `cold` set when the block is not worth translating yet.
    const uint8_t* block_at_pc(bool& fetch_trapped, bool& cold);
    void flush_code();
    // False (after dropping the page's blocks) when the guest page no longer holds the bytes
    // its blocks were translated from.
    bool page_unchanged(const uint8_t* page);

    cpu::Hart& m_hart;
    TranslatorOptions m_options;
    CodeBuffer m_buffer;
    BlockCompiler m_compiler;
    std::unique_ptr<RuntimeState> m_state;
    // Blocks by the guest pc they were translated at and where that pc's bytes are in guest RAM:
    // the code holds pc-relative results (auipc, jal's link), so the same bytes mapped at
    // another address are another block.
    BlockTable m_blocks;
    std::unordered_map<const uint8_t*, CodePage> m_pages;
    uint64_t m_fence_epoch = 0; // fence.i count
    std::deque<isa::DecodedInstruction> m_fallbacks;
    uint64_t m_tlb_generation = 0;
    TranslatorStats m_stats;
};

} // namespace rvisor::jit
