#pragma once
// The input format the device harnesses share (plic_fuzz, aclint_fuzz, uart_fuzz): a script of
// steps, each an MMIO access or an event of the device's own (an interrupt line, a clock tick,
// a host byte). Fields are little-endian and read in order, so a seed is easy to write by hand
// (tests/fuzz/README.md gives the layout); a step cut short by the end of the input is dropped.
//
//   op (1 byte): bits 1..0  0 read, 1 write, 2 or 3 event
//                bits 3..2  access size 1 << n (read and write)
//                bits 7..2  the event's kind (event)
//   read:  offset (4 bytes, taken modulo the region and aligned down to the size)
//   write: offset (4 bytes, as for read), value (size bytes)
//   event: argument (4 bytes)
#include "byte_reader.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace rvisor::fuzz {

struct MmioStep {
    enum class Kind { Read, Write, Event } kind = Kind::Read;
    uint64_t offset = 0; // read, write
    unsigned size = 0; // read, write
    uint64_t value = 0; // write: the value; event: the argument
    unsigned event = 0; // event: its kind, 0..63
};

class MmioScript {
public:
    MmioScript(const uint8_t* data, size_t size, uint64_t region_size)
        : m_input(data, size)
        , m_region_size(region_size)
    {
    }

    std::optional<MmioStep> next()
    {
        const auto op = little_endian(1);
        if (!op)
            return std::nullopt;
        MmioStep step;
        if ((*op & 3) >= 2) {
            step.kind = MmioStep::Kind::Event;
            step.event = static_cast<unsigned>(*op >> 2);
            const auto argument = little_endian(4);
            if (!argument)
                return std::nullopt;
            step.value = *argument;
            return step;
        }
        step.kind = *op & 1 ? MmioStep::Kind::Write : MmioStep::Kind::Read;
        step.size = 1u << ((*op >> 2) & 3);
        const auto offset = little_endian(4);
        if (!offset)
            return std::nullopt;
        // Devices see only aligned accesses inside their region (mem::MmioDevice).
        step.offset = *offset % m_region_size & ~uint64_t { step.size - 1 };
        if (step.kind == MmioStep::Kind::Write) {
            const auto value = little_endian(step.size);
            if (!value)
                return std::nullopt;
            step.value = *value;
        }
        return step;
    }

private:
    std::optional<uint64_t> little_endian(unsigned bytes) { return m_input.little_endian(bytes); }

    ByteReader m_input;
    uint64_t m_region_size;
};

} // namespace rvisor::fuzz
