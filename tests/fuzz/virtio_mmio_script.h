#pragma once
// The words of a virtio_mmio_fuzz script, shared by the target and the seed generator: after
// the block device's setting byte (fuzzed_block.h), steps of a RegisterOp byte and its fields.
#include <cstdint>

namespace rvisor::fuzz {

enum class RegisterOp : uint8_t {
    Write, // u8 size code (1 << code % 4), u16 offset (% 0x200), u8 ValueKind, u64 operand
    Read, // u8 size code, u16 offset
    WriteRam, // u32 offset (% RAM size), u64 value: rings and requests, as a hart stores them
    Count
};

enum class ValueKind : uint8_t {
    Raw, // the operand
    GuestAddress, // RAM's base + operand % RAM size: for the queue address registers
    Small, // operand % 16: a queue index, a select, a Status bit pattern
    Count
};

} // namespace rvisor::fuzz
