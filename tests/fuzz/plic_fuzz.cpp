// libFuzzer target: the PLIC's register file (README.md), driven by a script of MMIO accesses
// (mmio_script.h) anywhere in its 6 MiB window, interleaved with interrupt lines going up and
// down (event 2k: source = argument's low byte, level k & 1), on a machine of two harts.
//
// After every step the registers must hold what the PLIC specification allows (priorities and
// thresholds at most 7, no source 0), and each context's output wire must be up exactly when a
// claim would return a source. A claim must return the source the specification names: the
// pending, enabled source of highest priority above the threshold (the lowest id on a tie), or 0.
#include "devices/plic.h"
#include "fuzz_check.h"
#include "mmio_script.h"

#include <array>

namespace {

using rvisor::devices::Plic;
using rvisor::fuzz::check;

constexpr unsigned kHarts = 2;
constexpr unsigned kContexts = 2 * kHarts;
constexpr unsigned kWords = Plic::kSourceCount / 32;
constexpr uint64_t kPendingBase = 0x1000;
constexpr uint64_t kEnableBase = 0x2000;
constexpr uint64_t kEnableStride = 0x80;
constexpr uint64_t kContextBase = 0x200000;
constexpr uint64_t kContextStride = 0x1000;

uint64_t threshold_offset(unsigned context) { return kContextBase + kContextStride * context; }
uint64_t claim_offset(unsigned context) { return threshold_offset(context) + 4; }

// What the registers say, read through the side-effect-free ones. Priorities are read only for
// the sources that are pending, which keeps a step cheap.
struct Registers {
    std::array<uint32_t, Plic::kSourceCount> priority {};
    std::array<uint32_t, kWords> pending {};
    std::array<std::array<uint32_t, kWords>, kContexts> enabled {};
    std::array<uint32_t, kContexts> threshold {};

    explicit Registers(Plic& plic)
    {
        for (unsigned word = 0; word < kWords; ++word)
            pending[word] = static_cast<uint32_t>(plic.read(kPendingBase + 4 * word, 4));
        for (unsigned context = 0; context < kContexts; ++context) {
            for (unsigned word = 0; word < kWords; ++word)
                enabled[context][word] = static_cast<uint32_t>(
                    plic.read(kEnableBase + kEnableStride * context + 4 * word, 4));
            threshold[context] = static_cast<uint32_t>(plic.read(threshold_offset(context), 4));
        }
        for (unsigned source = 0; source < Plic::kSourceCount; ++source) {
            if (test(pending, source))
                priority[source] = static_cast<uint32_t>(plic.read(4 * source, 4));
        }
    }

    static bool test(const std::array<uint32_t, kWords>& bits, unsigned source)
    {
        return bits[source / 32] >> (source % 32) & 1;
    }

    // The source a claim by this context must return now.
    unsigned expected_claim(unsigned context) const
    {
        unsigned best = 0;
        for (unsigned source = 1; source < Plic::kSourceCount; ++source) {
            if (test(pending, source) && test(enabled[context], source)
                && priority[source] > threshold[context]
                && (best == 0 || priority[source] > priority[best]))
                best = source;
        }
        return best;
    }

    void check_invariants(const std::array<rvisor::cpu::InterruptLines, kHarts>& harts) const
    {
        check(!test(pending, 0), "source 0 is never pending");
        for (unsigned context = 0; context < kContexts; ++context) {
            check(!test(enabled[context], 0), "source 0 cannot be enabled");
            check(threshold[context] <= Plic::kMaxPriority, "a threshold is at most 7");
            const auto wire = context % 2 == 0 ? rvisor::cpu::Interrupt::MachineExternal
                                               : rvisor::cpu::Interrupt::SupervisorExternal;
            const bool output = harts[context / 2].levels() & rvisor::cpu::bit(wire);
            check(output == (expected_claim(context) != 0),
                "a context's wire is up exactly when it has a source to claim");
        }
    }
};

// The context whose claim register the access reads, if it reads one.
int claimed_context(uint64_t offset, unsigned size)
{
    for (unsigned context = 0; context < kContexts; ++context) {
        if ((size >= 4 && offset == claim_offset(context))
            || (size == 8 && offset == threshold_offset(context)))
            return static_cast<int>(context);
    }
    return -1;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using rvisor::fuzz::MmioStep;
    std::array<rvisor::cpu::InterruptLines, kHarts> harts;
    Plic plic({ &harts[0], &harts[1] });
    rvisor::fuzz::MmioScript script(data, size, Plic::kRegionSize);
    while (const auto step = script.next()) {
        switch (step->kind) {
        case MmioStep::Kind::Read: {
            const int context = claimed_context(step->offset, step->size);
            if (context < 0) {
                plic.read(step->offset, step->size);
                break;
            }
            const unsigned expected = Registers(plic).expected_claim(context);
            const uint64_t value = plic.read(step->offset, step->size);
            const bool high_half = step->offset == threshold_offset(context);
            const auto source = static_cast<uint32_t>(high_half ? value >> 32 : value);
            check(source == expected,
                "a claim returns the best pending enabled source above the threshold, or 0");
            if (source != 0)
                check(!Registers::test(Registers(plic).pending, source),
                    "a claimed source is no longer pending");
            break;
        }
        case MmioStep::Kind::Write:
            plic.write(step->offset, step->size, step->value);
            if (step->offset < 4 * Plic::kSourceCount) {
                const uint64_t priority = plic.read(step->offset & ~uint64_t { 3 }, 4);
                check(priority <= Plic::kMaxPriority, "a priority is at most 7");
                check(step->offset >= 4 || priority == 0, "source 0 has no priority");
            }
            break;
        case MmioStep::Kind::Event:
            plic.set_source_level(static_cast<unsigned>(step->value & 0xff), step->event & 1);
            break;
        }
        Registers(plic).check_invariants(harts);
    }
    return 0;
}
