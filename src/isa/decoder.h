#pragma once
#include "isa/instruction.h"

#include <cstdint>

namespace rvisor::isa {

// The 32-bit instruction a compressed one stands for, or 0 when the 16 bits are reserved or
// illegal (0 is itself an illegal 32-bit instruction, so the value is unambiguous).
uint32_t expand_compressed(uint16_t bits);

// Decodes a 32-bit instruction (length 4) or, when the low two bits are not 11, the compressed
// instruction in the low 16 bits (length 2). Unknown encodings decode as Opcode::illegal.
DecodedInstruction decode(uint32_t bits);

constexpr bool is_compressed(uint32_t bits) { return (bits & 3) != 3; }

} // namespace rvisor::isa
