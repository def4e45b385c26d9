#pragma once
#include "isa/instruction.h"

#include <cstdint>
#include <string>

namespace rvisor::isa {

// "addi a0,sp,16" (objdump's style): ABI register names, branch and jump targets as absolute
// addresses computed from pc.
std::string disassemble(const DecodedInstruction& instruction, uint64_t pc);

std::string_view x_register_name(unsigned index);
std::string_view f_register_name(unsigned index);
// The CSR's name from the privileged spec, or empty when the address names none we know.
std::string_view csr_name(uint32_t address);

} // namespace rvisor::isa
