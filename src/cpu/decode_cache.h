#pragma once
#include "isa/decoder.h"

#include <array>
#include <cstdint>

namespace rvisor::cpu {

// Decoded instructions, direct-mapped by the address they were fetched from, each entry
// checked against the instruction's bits. Decoding depends only on the bits, so an entry whose
// bits match is right whatever wrote the memory since (self-modifying code, a new mapping);
// indexing by pc keeps a loop's instructions in neighbouring entries.
class DecodeCache {
public:
    DecodeCache()
    {
        for (auto& entry : m_entries)
            entry.opcode = isa::Opcode::count; // never a decoded opcode: forces the first decode
    }

    const isa::DecodedInstruction& decode(uint64_t pc, uint32_t bits)
    {
        auto& entry = m_entries[(pc >> 1) & (kSize - 1)];
        if (entry.bits != bits || entry.opcode == isa::Opcode::count) [[unlikely]]
            entry = isa::decode(bits);
        return entry;
    }

private:
    static constexpr size_t kSize = 4096;
    std::array<isa::DecodedInstruction, kSize> m_entries;
};

} // namespace rvisor::cpu
