#pragma once
// The binary translator as an execution engine: a dispatcher that finds (or translates) the
// block at the hart's pc and runs it, chaining blocks to each other as they are found.
// One per hart, on the hart's thread; its code cache is its own.
#include "cpu/execution_engine.h"
#include "jit/block_compiler.h"
#include "jit/code_buffer.h"
#include "jit/runtime_state.h"

#include <cstddef>
#include <deque>
#include <memory>
#include <unordered_map>

namespace rvisor::jit {

struct TranslatorStats {
    uint64_t blocks_translated = 0;
    uint64_t code_flushes = 0; // the whole cache dropped (fence.i, or full)
    size_t code_bytes = 0; // in use now
};

class Translator final : public cpu::ExecutionEngine {
public:
    static constexpr size_t kDefaultCodeCacheSize = 64ull << 20;

    explicit Translator(cpu::Hart& hart, size_t code_cache_size = kDefaultCodeCacheSize);
    cpu::HartExit run(uint64_t budget) override;

    const TranslatorStats& stats() const { return m_stats; }

private:
    // Code for the block at the hart's pc, translating it if need be; nullptr when the
    // instruction there must be interpreted (MMIO, page-crossing) or the fetch trapped.
    const uint8_t* block_at_pc(bool& fetch_trapped);
    void flush_code();

    cpu::Hart& m_hart;
    CodeBuffer m_buffer;
    BlockCompiler m_compiler;
    std::unique_ptr<RuntimeState> m_state;
    // Blocks by the guest pc they were translated at and where that pc's bytes are in guest RAM:
    // the code holds pc-relative results (auipc, jal's link), so the same bytes mapped at
    // another address are another block.
    struct BlockKey {
        uint64_t pc;
        const uint8_t* host;
        bool operator==(const BlockKey&) const = default;
    };
    struct BlockKeyHash {
        size_t operator()(const BlockKey& key) const
        {
            return std::hash<uint64_t> {}(
                key.pc * 0x9e3779b97f4a7c15ull ^ reinterpret_cast<uintptr_t>(key.host));
        }
    };
    std::unordered_map<BlockKey, const uint8_t*, BlockKeyHash> m_blocks;
    std::deque<isa::DecodedInstruction> m_fallbacks;
    uint64_t m_tlb_generation = 0;
    TranslatorStats m_stats;
};

} // namespace rvisor::jit
