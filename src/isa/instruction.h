#pragma once
// What an instruction is, independent of any machine: its identity in the table and its operands.
#include <cstdint>
#include <span>
#include <string_view>

namespace rvisor::isa {

enum class Opcode : uint16_t {
    illegal,
#define RV_INSN(id, mnemonic, match, mask, immediate, operands) id,
#include "isa/instructions.def"
#undef RV_INSN
    count,
};

enum class ImmediateKind : uint8_t { None, I, S, B, U, J, Shamt, Csr };

struct InstructionInfo {
    Opcode opcode;
    std::string_view mnemonic;
    uint32_t match;
    uint32_t mask;
    ImmediateKind immediate;
    std::string_view operands;
};

// Every row of instructions.def, in table order.
std::span<const InstructionInfo> instruction_table();
const InstructionInfo& info(Opcode opcode);

struct DecodedInstruction {
    Opcode opcode = Opcode::illegal;
    uint8_t rd = 0;
    uint8_t rs1 = 0;
    uint8_t rs2 = 0;
    uint8_t rs3 = 0;
    uint8_t funct3 = 0; // the rounding mode for F/D arithmetic
    uint8_t length = 4; // 2 for a compressed instruction
    int64_t immediate = 0;
    uint32_t bits = 0; // as fetched: 16 significant bits for a compressed instruction
};

} // namespace rvisor::isa
