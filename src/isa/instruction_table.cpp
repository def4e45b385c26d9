#include "isa/encoding.h"
#include "isa/instruction.h"

#include <array>

namespace rvisor::isa {
namespace {

using namespace encoding;

constexpr std::array kTable = {
#define RV_INSN(id, mnemonic, match, mask, immediate, operands)                                    \
    InstructionInfo { Opcode::id, mnemonic, match, mask, ImmediateKind::immediate, operands },
#include "isa/instructions.def"
#undef RV_INSN
};

constexpr InstructionInfo kIllegal { Opcode::illegal, "illegal", 0, 0, ImmediateKind::None, "" };

static_assert(kTable.size() + 1 == static_cast<size_t>(Opcode::count));

consteval bool every_match_fits_its_mask()
{
    for (const auto& row : kTable) {
        if ((row.match & ~row.mask) != 0)
            return false;
    }
    return true;
}
static_assert(every_match_fits_its_mask(), "an encoding sets bits outside its mask");

} // namespace

std::span<const InstructionInfo> instruction_table() { return kTable; }

const InstructionInfo& info(Opcode opcode)
{
    if (opcode == Opcode::illegal || opcode >= Opcode::count)
        return kIllegal;
    return kTable[static_cast<size_t>(opcode) - 1];
}

} // namespace rvisor::isa
