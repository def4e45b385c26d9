// libFuzzer target: the ACLINT's MSWI and MTIMER registers (README.md), driven by a script of
// MMIO accesses (mmio_script.h) anywhere in its 64 KiB window, interleaved with the clock
// moving on (any event: by its argument in ticks), on a machine of two harts.
//
// mtime must read the machine's clock, whole or by halves; each mtimecmp must read back what
// was written to it, byte for byte, and be what the hart's timer compares against; each msip
// must read back bit 0 of what was written and be the hart's MSIP wire.
#include "devices/aclint.h"
#include "fuzz_check.h"
#include "host/clock.h"
#include "mmio_script.h"

#include <array>
#include <optional>

namespace {

using rvisor::devices::Aclint;
using rvisor::fuzz::check;

constexpr unsigned kHarts = 2;
constexpr uint64_t kTimerCompareBase = 0x4000;
constexpr uint64_t kTimeOffset = 0xbff8;

uint64_t read_halves(Aclint& aclint, uint64_t offset)
{
    return aclint.read(offset, 4) | aclint.read(offset + 4, 4) << 32;
}

void check_registers(Aclint& aclint, const rvisor::host::Clock& clock,
    const std::array<rvisor::cpu::InterruptLines, kHarts>& harts)
{
    check(aclint.read(kTimeOffset, 8) == clock.ticks(), "mtime is the clock");
    check(read_halves(aclint, kTimeOffset) == clock.ticks(), "mtime's halves are the clock");
    for (unsigned hart = 0; hart < kHarts; ++hart) {
        const uint64_t compare = aclint.read(kTimerCompareBase + 8 * hart, 8);
        check(compare == harts[hart].machine_timer_compare(), "the hart compares with mtimecmp");
        check(read_halves(aclint, kTimerCompareBase + 8 * hart) == compare,
            "mtimecmp's halves are mtimecmp");
        const uint64_t software = aclint.read(4 * hart, 4);
        check(software <= 1, "msip has only bit 0");
        const bool wire
            = harts[hart].levels() & rvisor::cpu::bit(rvisor::cpu::Interrupt::MachineSoftware);
        check(software == wire, "msip is the hart's MSIP wire");
    }
}

// The hart whose mtimecmp holds the byte at offset, if one does.
std::optional<uint64_t> timer_compare_hart(uint64_t offset)
{
    if (offset < kTimerCompareBase || offset >= kTimerCompareBase + 8 * kHarts)
        return std::nullopt;
    return (offset - kTimerCompareBase) / 8;
}

// What a write to a register must leave in it.
void check_write(Aclint& aclint, const rvisor::fuzz::MmioStep& step, uint64_t compare_before)
{
    if (step.offset < 4 * kHarts) {
        if (step.offset % 4 == 0)
            check(aclint.read(step.offset, 4) == (step.value & 1), "msip keeps bit 0 written");
        return;
    }
    const auto hart = timer_compare_hart(step.offset);
    if (!hart)
        return;
    const unsigned shift = static_cast<unsigned>(step.offset % 8) * 8;
    const uint64_t mask = step.size == 8 ? UINT64_MAX : ((uint64_t { 1 } << (8 * step.size)) - 1);
    const uint64_t expected = (compare_before & ~(mask << shift)) | ((step.value & mask) << shift);
    check(aclint.read(kTimerCompareBase + 8 * *hart, 8) == expected,
        "mtimecmp holds the bytes written and keeps the others");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using rvisor::fuzz::MmioStep;
    std::array<rvisor::cpu::InterruptLines, kHarts> harts;
    rvisor::host::Clock clock;
    // A stopped clock moves only when the script says so: runs repeat exactly.
    clock.stop();
    clock.set_stopped_ticks(0);
    Aclint aclint(clock, { &harts[0], &harts[1] });
    rvisor::fuzz::MmioScript script(data, size, Aclint::kRegionSize);
    while (const auto step = script.next()) {
        switch (step->kind) {
        case MmioStep::Kind::Read: aclint.read(step->offset, step->size); break;
        case MmioStep::Kind::Write: {
            const uint64_t hart = timer_compare_hart(step->offset).value_or(0);
            const uint64_t compare_before = aclint.read(kTimerCompareBase + 8 * hart, 8);
            aclint.write(step->offset, step->size, step->value);
            check_write(aclint, *step, compare_before);
            break;
        }
        case MmioStep::Kind::Event: clock.set_stopped_ticks(clock.ticks() + step->value); break;
        }
        check_registers(aclint, clock, harts);
    }
    return 0;
}
