#include "virtio_script.h"

#include "virtio_fuzz_machine.h"

namespace rvisor::fuzz {

uint32_t queue_size(uint8_t code, uint16_t device_maximum)
{
    if (code == 0)
        return device_maximum;
    if (code < 16)
        return uint32_t { 1 } << (code - 1);
    return code;
}

ScriptedDescriptor read_descriptor(ScriptReader& script)
{
    ScriptedDescriptor descriptor {};
    descriptor.address_kind
        = static_cast<AddressKind>(script.u8() % static_cast<uint8_t>(AddressKind::Count));
    descriptor.address_operand = script.u64();
    descriptor.length_kind
        = static_cast<LengthKind>(script.u8() % static_cast<uint8_t>(LengthKind::Count));
    descriptor.length_operand = script.u32();
    descriptor.flags = script.u16();
    descriptor.next = script.u16();
    return descriptor;
}

void write_descriptor(ScriptWriter& script, const ScriptedDescriptor& descriptor)
{
    script.u8(static_cast<uint8_t>(descriptor.address_kind))
        .u64(descriptor.address_operand)
        .u8(static_cast<uint8_t>(descriptor.length_kind))
        .u32(descriptor.length_operand)
        .u16(descriptor.flags)
        .u16(descriptor.next);
}

uint64_t resolve_address(AddressKind kind, uint64_t operand)
{
    using Machine = VirtioFuzzMachine;
    switch (kind) {
    case AddressKind::Data: return Machine::kDataBase + operand % Machine::kDataSize;
    case AddressKind::Rings:
        return Machine::kRamBase + operand % (Machine::kDataBase - Machine::kRamBase);
    case AddressKind::NearEnd: return Machine::kRamEnd - 1 - operand % 256;
    case AddressKind::PastEnd: return Machine::kRamEnd + operand % 256;
    case AddressKind::Wrapping: return ~uint64_t { 0 } - operand % 65536;
    case AddressKind::BelowRam: return Machine::kRamBase - 1 - operand % 65536;
    case AddressKind::Raw:
    case AddressKind::Count: break;
    }
    return operand;
}

uint32_t resolve_length(LengthKind kind, uint32_t operand)
{
    switch (kind) {
    case LengthKind::Small: return operand % 256;
    case LengthKind::Sectors: return 512 * (operand % 16);
    case LengthKind::Medium: return operand % 65536;
    case LengthKind::Huge: return ~uint32_t { 0 } - operand % 256;
    case LengthKind::Raw:
    case LengthKind::Count: break;
    }
    return operand;
}

} // namespace rvisor::fuzz
