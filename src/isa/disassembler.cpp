#include "isa/disassembler.h"

#include <fmt/format.h>

#include <array>

namespace rvisor::isa {
namespace {

constexpr std::array<std::string_view, 32> kXNames = { "zero", "ra", "sp", "gp", "tp", "t0", "t1",
    "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6",
    "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6" };
constexpr std::array<std::string_view, 32> kFNames = { "ft0", "ft1", "ft2", "ft3", "ft4", "ft5",
    "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2",
    "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11" };
constexpr std::array<std::string_view, 8> kRoundingModes
    = { "rne", "rtz", "rdn", "rup", "rmm", "rm5", "rm6", "dyn" };

} // namespace

std::string_view x_register_name(unsigned index) { return kXNames.at(index); }
std::string_view f_register_name(unsigned index) { return kFNames.at(index); }

std::string_view csr_name(uint32_t address)
{
    switch (address) {
#define RV_CSR(name, number)                                                                       \
    case number:                                                                                   \
        return #name;
#include "isa/csr_names.def"
#undef RV_CSR
    default: return {};
    }
}

std::string disassemble(const DecodedInstruction& insn, uint64_t pc)
{
    const InstructionInfo& row = info(insn.opcode);
    if (insn.opcode == Opcode::illegal)
        return fmt::format("illegal 0x{:0{}x}", insn.bits, insn.length * 2);
    std::string text(row.mnemonic);
    if (insn.length == 2)
        text.insert(0, "c:");
    if (row.operands.empty())
        return text;
    text += ' ';
    for (char c : row.operands) {
        switch (c) {
        case 'd': text += kXNames[insn.rd]; break;
        case 's': text += kXNames[insn.rs1]; break;
        case 't': text += kXNames[insn.rs2]; break;
        case 'D': text += kFNames[insn.rd]; break;
        case 'S': text += kFNames[insn.rs1]; break;
        case 'T': text += kFNames[insn.rs2]; break;
        case 'R': text += kFNames[insn.rs3]; break;
        case 'i':
        case 'o': text += fmt::format("{}", insn.immediate); break;
        case 'u':
            text += fmt::format("0x{:x}", (static_cast<uint64_t>(insn.immediate) >> 12) & 0xfffff);
            break;
        case 'b':
        case 'j': text += fmt::format("0x{:x}", pc + static_cast<uint64_t>(insn.immediate)); break;
        case 'z': text += fmt::format("{}", insn.rs1); break;
        case 'm': text += kRoundingModes[insn.funct3]; break;
        case 'c': {
            auto name = csr_name(static_cast<uint32_t>(insn.immediate));
            text += name.empty() ? fmt::format("0x{:03x}", insn.immediate) : std::string(name);
            break;
        }
        default: text += c; break;
        }
    }
    return text;
}

} // namespace rvisor::isa
