// libFuzzer target: the virtio-mmio transport (README.md). Each input is a script of register
// reads and writes of every size at any offset of the register window and the configuration
// space, and of stores into guest RAM, run against a block device on the bus as a hart would
// run it. The transport must never leave DRIVER_OK set without FEATURES_OK unless it also
// says DEVICE_NEEDS_RESET, and its identity registers never change.
#include "fuzzed_block.h"
#include "virtio_fuzz_machine.h"
#include "virtio_mmio_script.h"

#include <fmt/format.h>

#include <cstddef>
#include <cstdint>

namespace {

using namespace rvisor::fuzz;
using namespace rvisor::devices::virtio::testing;
using Machine = VirtioFuzzMachine;

constexpr uint64_t kWindow = 0x200;
constexpr unsigned kMaxSteps = 2048;

uint64_t value_of(ValueKind kind, uint64_t operand)
{
    switch (kind) {
    case ValueKind::GuestAddress: return Machine::kRamBase + operand % Machine::kRamSize;
    case ValueKind::Small: return operand % 16;
    case ValueKind::Raw:
    case ValueKind::Count: break;
    }
    return operand;
}

void check_transport(Machine& machine)
{
    const uint32_t status = machine.read_register(kStatus);
    if ((status & kStatusDriverOk) && !(status & (kStatusFeaturesOk | kStatusNeedsReset)))
        report_violation(fmt::format("Status {:#x} has DRIVER_OK without FEATURES_OK", status));
    if (machine.read_register(0x000) != 0x74726976 || machine.read_register(0x004) != 2)
        report_violation("the magic value or the version changed");
}

void perform(Machine& machine, RegisterOp op, ScriptReader& script)
{
    switch (op) {
    case RegisterOp::Write: {
        const unsigned size = 1u << (script.u8() % 4);
        const uint64_t offset = script.u16() % kWindow;
        const auto kind
            = static_cast<ValueKind>(script.u8() % static_cast<uint8_t>(ValueKind::Count));
        machine.bus().write(Machine::kTransportBase + offset, size, value_of(kind, script.u64()));
        // The worker runs between a notification and the next step, never during it, so
        // that a crash replays.
        machine.settle();
        check_transport(machine);
        return;
    }
    case RegisterOp::Read: {
        const unsigned size = 1u << (script.u8() % 4);
        machine.bus().read(Machine::kTransportBase + script.u16() % kWindow, size);
        return;
    }
    case RegisterOp::WriteRam: {
        const uint64_t offset = script.u32() % (Machine::kRamSize - 7);
        machine.bus().write(Machine::kRamBase + offset, 8, script.u64());
        return;
    }
    case RegisterOp::Count: return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // One image for the process: every input gets it back empty.
    static const ScratchImage image;
    ScriptReader script({ data, size });
    Machine machine([&](rvisor::mem::GuestRam&,
                        ScriptReader& settings) { return make_fuzzed_block(image, settings); },
        script);
    for (unsigned step = 0; step < kMaxSteps && !script.done(); ++step)
        perform(machine,
            static_cast<RegisterOp>(script.u8() % static_cast<uint8_t>(RegisterOp::Count)), script);
    check_transport(machine);
    return 0;
}
