#include "devices/plic.h"

namespace rvisor::devices {

namespace {

constexpr uint64_t kPriorityBase = 0x0;
constexpr uint64_t kPendingBase = 0x1000;
constexpr uint64_t kEnableBase = 0x2000;
constexpr uint64_t kEnableStride = 0x80;
constexpr uint64_t kContextBase = 0x200000;
constexpr uint64_t kContextStride = 0x1000;
constexpr uint64_t kClaimOffset = 4;

} // namespace

Plic::Plic(std::vector<cpu::InterruptLines*> harts)
    : m_harts(std::move(harts))
    , m_contexts(m_harts.size() * 2)
{
}

void Plic::assign(SourceBits& bits, unsigned source, bool value)
{
    uint32_t mask = uint32_t { 1 } << (source % 32);
    if (value)
        bits[source / 32] |= mask;
    else
        bits[source / 32] &= ~mask;
}

void Plic::set_source_level(unsigned source, bool level)
{
    if (source == 0 || source >= kSourceCount)
        return;
    std::lock_guard lock(m_mutex);
    assign(m_level, source, level);
    // A level-triggered gateway forwards a request only while its source asks for one; a source
    // that drops its line before being claimed no longer wants service, and claiming it anyway
    // would hand the driver an interrupt with nothing behind it.
    assign(m_pending, source, level && !test(m_claimed, source));
    update_outputs();
}

unsigned Plic::best_source(const Context& context) const
{
    unsigned best = 0;
    uint32_t best_priority = context.threshold;
    for (unsigned word = 0; word < kWordCount; ++word) {
        uint32_t candidates = m_pending[word] & context.enabled[word];
        while (candidates) {
            unsigned source = word * 32 + static_cast<unsigned>(__builtin_ctz(candidates));
            candidates &= candidates - 1;
            // Strictly greater: ties go to the lowest id, which is scanned first.
            if (m_priority[source] > best_priority) {
                best = source;
                best_priority = m_priority[source];
            }
        }
    }
    return best;
}

uint32_t Plic::claim(Context& context)
{
    unsigned source = best_source(context);
    if (source == 0)
        return 0;
    assign(m_pending, source, false);
    assign(m_claimed, source, true);
    update_outputs();
    return source;
}

void Plic::complete(Context& context, uint32_t source)
{
    // The specification ignores completions of sources the context has not enabled; Linux
    // knows this and enables a masked source around its completion.
    if (source == 0 || source >= kSourceCount || !test(context.enabled, source))
        return;
    if (!test(m_claimed, source))
        return;
    assign(m_claimed, source, false);
    assign(m_pending, source, test(m_level, source));
    update_outputs();
}

void Plic::update_outputs()
{
    for (size_t index = 0; index < m_contexts.size(); ++index) {
        Context& context = m_contexts[index];
        bool output = best_source(context) != 0;
        if (output == context.output)
            continue;
        context.output = output;
        auto wire
            = index % 2 == 0 ? cpu::Interrupt::MachineExternal : cpu::Interrupt::SupervisorExternal;
        m_harts[index / 2]->set_level(wire, output);
    }
}

uint32_t Plic::read_word(uint64_t offset)
{
    if (offset < kPendingBase) {
        unsigned source = static_cast<unsigned>((offset - kPriorityBase) / 4);
        return source < kSourceCount ? m_priority[source] : 0;
    }
    if (offset < kEnableBase) {
        uint64_t word = (offset - kPendingBase) / 4;
        return word < kWordCount ? m_pending[word] : 0;
    }
    if (offset < kContextBase) {
        uint64_t context = (offset - kEnableBase) / kEnableStride;
        uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
        if (context >= m_contexts.size() || word >= kWordCount)
            return 0;
        return m_contexts[context].enabled[word];
    }
    uint64_t context = (offset - kContextBase) / kContextStride;
    uint64_t reg = (offset - kContextBase) % kContextStride;
    if (context >= m_contexts.size())
        return 0;
    if (reg == 0)
        return m_contexts[context].threshold;
    if (reg == kClaimOffset)
        return claim(m_contexts[context]);
    return 0;
}

void Plic::write_word(uint64_t offset, uint32_t value)
{
    if (offset < kPendingBase) {
        unsigned source = static_cast<unsigned>((offset - kPriorityBase) / 4);
        if (source == 0 || source >= kSourceCount)
            return;
        m_priority[source] = value & kMaxPriority;
        update_outputs();
        return;
    }
    if (offset < kEnableBase)
        return; // Pending bits belong to the gateways.
    if (offset < kContextBase) {
        uint64_t context = (offset - kEnableBase) / kEnableStride;
        uint64_t word = (offset - kEnableBase) % kEnableStride / 4;
        if (context >= m_contexts.size() || word >= kWordCount)
            return;
        // Source 0 does not exist, so its enable bit is hardwired to zero.
        m_contexts[context].enabled[word] = word == 0 ? value & ~uint32_t { 1 } : value;
        update_outputs();
        return;
    }
    uint64_t context = (offset - kContextBase) / kContextStride;
    uint64_t reg = (offset - kContextBase) % kContextStride;
    if (context >= m_contexts.size())
        return;
    if (reg == 0) {
        m_contexts[context].threshold = value & kMaxPriority;
        update_outputs();
    } else if (reg == kClaimOffset) {
        complete(m_contexts[context], value);
    }
}

// Every register is a 32-bit word. A 64-bit access is taken as its two halves, low first; byte
// and halfword accesses are not defined by the specification and read as zero, write nothing.
uint64_t Plic::read(uint64_t offset, unsigned size)
{
    std::lock_guard lock(m_mutex);
    if (offset % 4 != 0)
        return 0;
    if (size == 4)
        return read_word(offset);
    if (size == 8)
        return read_word(offset) | uint64_t { read_word(offset + 4) } << 32;
    return 0;
}

void Plic::write(uint64_t offset, unsigned size, uint64_t value)
{
    std::lock_guard lock(m_mutex);
    if (offset % 4 != 0)
        return;
    if (size == 4) {
        write_word(offset, static_cast<uint32_t>(value));
    } else if (size == 8) {
        write_word(offset, static_cast<uint32_t>(value));
        write_word(offset + 4, static_cast<uint32_t>(value >> 32));
    }
}

void Plic::save(state::StateWriter& out) const
{
    std::lock_guard lock(m_mutex);
    for (uint32_t priority : m_priority)
        out.u32(priority);
    for (const SourceBits* bits : { &m_level, &m_pending, &m_claimed })
        for (uint32_t word : *bits)
            out.u32(word);
    out.u32(static_cast<uint32_t>(m_contexts.size()));
    for (const Context& context : m_contexts) {
        for (uint32_t word : context.enabled)
            out.u32(word);
        out.u32(context.threshold);
    }
}

void Plic::load(state::StateReader& in)
{
    std::lock_guard lock(m_mutex);
    for (uint32_t& priority : m_priority) {
        priority = in.u32();
        if (priority > kMaxPriority)
            in.fail("a source priority is above the maximum");
    }
    for (SourceBits* bits : { &m_level, &m_pending, &m_claimed })
        for (uint32_t& word : *bits)
            word = in.u32();
    if (in.u32() != m_contexts.size())
        in.fail("the number of contexts differs from this machine's");
    for (Context& context : m_contexts) {
        for (uint32_t& word : context.enabled)
            word = in.u32();
        context.threshold = in.u32();
        if (context.threshold > kMaxPriority)
            in.fail("a context threshold is above the maximum priority");
    }
    // Drive every wire, whatever the harts' lines held before.
    for (size_t index = 0; index < m_contexts.size(); ++index) {
        Context& context = m_contexts[index];
        context.output = best_source(context) != 0;
        auto wire
            = index % 2 == 0 ? cpu::Interrupt::MachineExternal : cpu::Interrupt::SupervisorExternal;
        m_harts[index / 2]->set_level(wire, context.output);
    }
}

} // namespace rvisor::devices
