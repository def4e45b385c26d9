#include "jit/translator.h"

#include "jit/hart_access.h"
#include "jit/host_float.h"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <xmmintrin.h>

namespace rvisor::jit {

namespace {

// How many instructions translated code runs before the dispatcher looks for interrupts,
// remote flushes and timer deadlines: a few microseconds.
constexpr int64_t kSlice = 4096;
constexpr uint64_t kPageSize = 0x1000;
// At most this many instructions of cold code between the dispatcher's looks, even if no jump
// comes: as long as translated code's longest block.
constexpr uint64_t kColdSteps = BlockCompiler::kMaxInstructions;
constexpr size_t kMaxColdBlocks = 1 << 17;

} // namespace

Translator::Translator(cpu::Hart& hart, TranslatorOptions options)
    : m_hart(hart)
    , m_options(options)
    , m_buffer(options.code_cache_size)
    , m_compiler(m_buffer, hart)
    , m_state(std::make_unique<RuntimeState>())
{
    m_tlb_generation = HartAccess::tlb(hart).generation();
}

void Translator::flush_code()
{
    m_compiler.reset();
    // Assigned empty rather than cleared, so that their tables' memory goes too (the block
    // table's clear() gives its memory back itself).
    m_blocks.clear();
    m_pages = {};
    m_fallbacks = {};
    m_state->clear_jump_cache();
}

bool Translator::release_idle_memory()
{
    const size_t used = m_compiler.code_bytes();
    if (used <= m_options.idle_code_bytes)
        return false;
    // Before the flush, which writes the entry stub afresh at the start of the buffer.
    m_buffer.discard(used);
    flush_code();
    ++m_stats.idle_releases;
    return true;
}

bool Translator::page_unchanged(const uint8_t* page)
{
    auto found = m_pages.find(page);
    if (found == m_pages.end())
        return true;
    CodePage& code_page = found->second;
    if (std::memcmp(code_page.bytes.data(), page, kPageSize) == 0) {
        code_page.checked_epoch = m_fence_epoch;
        return true;
    }
    // The code's memory is reclaimed when the cache next fills up; nothing can reach it now.
    for (const BlockTable::Key& key : code_page.blocks)
        m_blocks.erase(key);
    m_pages.erase(found);
    m_state->clear_jump_cache();
    ++m_stats.pages_invalidated;
    return false;
}

const uint8_t* Translator::block_at_pc(bool& fetch_trapped, bool& cold)
{
    cold = false;
    const uint64_t pc = m_hart.pc();
    const uint8_t* host = HartAccess::fetch_pointer(m_hart, fetch_trapped);
    if (!host)
        return nullptr;
    const uint8_t* page = host - (pc & (kPageSize - 1));
    const BlockTable::Key key { pc, host };
    if (const BlockTable::Entry* found = m_blocks.find(key); found && found->code) {
        // A block whose page changed since the last fence.i is dropped with its page.
        if (found->page->checked_epoch == m_fence_epoch || page_unchanged(page))
            return found->code;
    }
    if (m_options.translate_after > 1) {
        if (m_blocks.cold() >= kMaxColdBlocks)
            m_blocks.drop_cold();
        if (++m_blocks.find_or_add(key).visits < m_options.translate_after) {
            cold = true;
            return nullptr;
        }
    }
    if (m_compiler.space_left() < BlockCompiler::kMaxBlockBytes) {
        flush_code();
        ++m_stats.code_flushes;
    }
    // A new block must come from the bytes the page's other blocks came from.
    page_unchanged(page);
    auto [entry, inserted] = m_pages.try_emplace(page);
    if (inserted) {
        entry->second.bytes.assign(page, page + kPageSize);
        entry->second.checked_epoch = m_fence_epoch;
    }
    const auto find_block = [this](uint64_t target_pc, const uint8_t* address) -> const uint8_t* {
        const BlockTable::Entry* found = m_blocks.find({ target_pc, address });
        return found ? found->code : nullptr;
    };
    const BlockSource source { pc, host, 0x1000 - (pc & 0xfff) };
    auto block = m_compiler.compile(source, find_block, m_fallbacks);
    if (!block)
        return nullptr;
    ++m_stats.blocks_translated;
    m_stats.peak_code_bytes = std::max(m_stats.peak_code_bytes, m_compiler.code_bytes());
    m_blocks.set_code(m_blocks.find_or_add(key), block->entry, &entry->second);
    entry->second.blocks.push_back(key);
    return block->entry;
}

std::string Translator::summary() const
{
    return fmt::format("translated {} blocks, code cache peak {:.1f} of {} MiB, {} full flushes, "
                       "{} released while idle, {} pages retranslated after fence.i",
        m_stats.blocks_translated, static_cast<double>(m_stats.peak_code_bytes) / (1 << 20),
        m_options.code_cache_size >> 20, m_stats.code_flushes, m_stats.idle_releases,
        m_stats.pages_invalidated);
}

cpu::HartExit Translator::run(uint64_t budget)
{
    if (HartAccess::tracing(m_hart))
        return m_hart.run(budget); // the tracer sees every instruction, so interpret

    HartAccess::begin_run(m_hart);
    auto remaining = static_cast<int64_t>(budget);
    int64_t since_service = kSlice; // service first
    const uint32_t host_mxcsr = _mm_getcsr();
    // Some instructions in the interpreter; false when that ends run().
    cpu::HartExit interpreter_exit = cpu::HartExit::BudgetExhausted;
    const auto interpret = [&](uint64_t steps, bool until_jump) {
        const uint64_t instret = m_hart.instret();
        interpreter_exit = m_hart.run(steps, until_jump);
        HartAccess::begin_run(m_hart);
        // What ran, as instret counts it (a trap retires nothing; a guest may write minstret).
        const auto executed
            = static_cast<int64_t>(std::clamp<uint64_t>(m_hart.instret() - instret, 1, steps));
        remaining -= executed;
        since_service += executed;
        return interpreter_exit == cpu::HartExit::BudgetExhausted;
    };
    while (remaining > 0) {
        if (since_service >= kSlice || HartAccess::needs_service(m_hart)) {
            since_service = 0;
            if (!HartAccess::service_events(m_hart))
                break;
        }
        if (m_hart.take_code_flush_request()) {
            ++m_fence_epoch;
            m_state->clear_jump_cache();
        }
        const cpu::Tlb& tlb = HartAccess::tlb(m_hart);
        if (tlb.generation() != m_tlb_generation) {
            bool stale = false;
            const bool known = tlb.pages_flushed_since(m_tlb_generation,
                [&](uint64_t page) { stale = stale || m_state->may_hold_page(page); });
            if (!known || stale)
                m_state->clear_jump_cache();
        }

        // RMM has no SSE equivalent: while the guest's dynamic rounding mode is RMM (or
        // invalid), its instructions are interpreted.
        const uint8_t frm = HartAccess::frm_of(m_hart);
        bool fetch_trapped = false;
        // The jump cache first: translated code trusts its entries, so may the dispatcher.
        const auto privilege = static_cast<unsigned>(HartAccess::privilege_of(m_hart));
        auto& entry = m_state->jump_cache[RuntimeState::jump_index(m_hart.pc())];
        const uint64_t tag = RuntimeState::jump_tag(m_hart.pc(), privilege);
        const uint8_t* code = nullptr;
        bool cold = false;
        if (frm < 4)
            code = entry.tag == tag ? entry.code : block_at_pc(fetch_trapped, cold);
        if (fetch_trapped) {
            if (HartAccess::exit_requested(m_hart))
                break;
            continue;
        }
        if (!code) {
            // Cold code runs in the interpreter (which looks after interrupts itself) up to
            // its next jump, so that the dispatcher next sees the start of a block; MMIO and
            // page-crossing instructions run one at a time.
            if (!interpret(cold ? kColdSteps : 1, cold))
                break;
            continue;
        }
        m_state->set_jump(entry, m_hart.pc(), tag, code);

        // Never less than a block's length, or the block could never start.
        const int64_t slice
            = std::max<int64_t>(std::min(remaining, kSlice), BlockCompiler::kMaxInstructions);
        m_state->budget = slice;
        _mm_setcsr(guest_mxcsr(frm));
        uint64_t site = m_compiler.enter()(&m_hart, m_state.get(), code);
        HartAccess::fold_host_float_flags(m_hart);
        _mm_setcsr(host_mxcsr);
        const int64_t executed = slice - m_state->budget;
        remaining -= executed;
        since_service += executed;
        if (HartAccess::exit_requested(m_hart))
            break;
        if (site == 1) { // the block needs its first instruction interpreted (FS off)
            if (!interpret(1, false))
                break;
        } else if (site != 0) {
            // A direct exit within the page: chain it to the block at the new pc.
            const uint64_t flushes = m_stats.code_flushes;
            bool trapped = false, cold = false;
            const uint8_t* target = block_at_pc(trapped, cold);
            if (target && m_stats.code_flushes == flushes)
                BlockCompiler::link(site, target);
        }
    }
    HartAccess::end_run(m_hart);
    if (interpreter_exit != cpu::HartExit::BudgetExhausted)
        return interpreter_exit;
    return HartAccess::exit_reason(m_hart);
}

} // namespace rvisor::jit
