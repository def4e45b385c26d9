#pragma once
// The words of a per-device virtio fuzz script (virtio_device_fuzzer.h), shared by the targets
// that read scripts and the seed generator that writes them.
//
// A script: the device's own settings (FuzzedDevice factories read them), the driver's bring-up
// (a 64-bit mask of offered features the driver declines, then one queue-size code per
// queue), then steps, each an Op byte and the Op's fields.
#include "script.h"

#include <cstdint>

namespace rvisor::fuzz {

enum class Op : uint8_t {
    SetDescriptor, // u8 queue, u16 index, descriptor: an entry of the queue's table
    SetTableEntry, // u16 data offset, descriptor: an entry of an indirect table in the data area
    WriteData, // u16 data offset, u8 length, bytes: request headers, payloads, PFN arrays
    Publish, // u8 queue, u16 head: puts head in the next available slot and publishes it
    Advance, // u8 queue, u16 count: moves the available index over slots as they are
    Notify, // u8 queue (not reduced: out-of-range queues too)
    HostSide, // FuzzedDevice::act_on_host_side's fields
    AcknowledgeInterrupts, // u32 InterruptACK value
    ReadConfig, // u8 offset, u8 size code (1 << code % 4)
    WriteConfig, // u8 offset, u8 size code, u64 value
    SetAvailableFlags, // u8 queue, u16 flags
    SetUsedEvent, // u8 queue, u16 used_event
    PauseAndResume, // (none): the VM pausing, as for a snapshot
    Restart, // a bring-up's fields: reset, and bring the device up again on fresh rings
    // u16 data offset, u16 count, descriptor: `count % 8192` copies of an indirect table entry
    // from the offset on, each chained to the next and the last ending the chain, so that a
    // script of a few bytes makes the longest chains a table can hold
    RepeatTableEntry,
    Count
};

// Where a descriptor points: an address kind byte and a u64 operand, which the kind reduces.
enum class AddressKind : uint8_t {
    Data, // the data area + operand
    Rings, // the rings + operand: buffers over a queue's own rings
    NearEnd, // the last (operand % 256 + 1)th byte of RAM
    PastEnd, // operand % 256 bytes past the end of RAM: 0 is one byte past
    Wrapping, // operand % 65536 + 1 bytes below 2^64, so that address + length wraps
    BelowRam, // operand % 65536 + 1 bytes below RAM
    Raw, // the operand itself
    Count
};

// A descriptor's length: a kind byte and a u32 operand.
enum class LengthKind : uint8_t {
    Small, // operand % 256
    Sectors, // operand % 16 sectors of 512 bytes
    Medium, // operand % 65536
    Huge, // 2^32 - 1 - operand % 256
    Raw, // the operand itself
    Count
};

// A descriptor as a script spells it.
struct ScriptedDescriptor {
    AddressKind address_kind;
    uint64_t address_operand;
    LengthKind length_kind;
    uint32_t length_operand;
    uint16_t flags;
    uint16_t next;
};

// The queue-size code of a bring-up: 0 is the device's maximum; 1 to 15 are powers of two
// (1 << (code - 1)); anything else is the size itself, mostly one the device must refuse.
uint32_t queue_size(uint8_t code, uint16_t device_maximum);

ScriptedDescriptor read_descriptor(ScriptReader&);
void write_descriptor(ScriptWriter&, const ScriptedDescriptor&);

// What a scripted address and length mean in VirtioFuzzMachine's RAM.
uint64_t resolve_address(AddressKind, uint64_t operand);
uint32_t resolve_length(LengthKind, uint32_t operand);

} // namespace rvisor::fuzz
