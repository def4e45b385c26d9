// Jumps and branches: every one ends its block.
#include "jit/block_compiler.h"

namespace rvisor::jit {

using isa::Opcode;

bool BlockCompiler::emit_control(const Insn& insn)
{
    const uint64_t next = m_pc + insn.length;
    const uint64_t target = m_pc + static_cast<uint64_t>(insn.immediate);
    switch (insn.opcode) {
    case Opcode::jal:
        if (insn.rd != 0) {
            mov(rax, next);
            store_x(insn.rd, rax);
        }
        exit_to(target);
        return true;
    case Opcode::jalr:
        mov(rax, x(insn.rs1));
        if (insn.immediate != 0)
            add(rax, static_cast<int32_t>(insn.immediate));
        and_(rax, -2);
        if (insn.rd != 0) {
            mov(rcx, next);
            store_x(insn.rd, rcx);
        }
        retire_pending(1);
        exit_indirect();
        return true;
    default: break;
    }

    Xbyak::Label taken;
    mov(rax, x(insn.rs1));
    cmp(rax, x(insn.rs2));
    switch (insn.opcode) {
    case Opcode::beq: je(taken, T_NEAR); break;
    case Opcode::bne: jne(taken, T_NEAR); break;
    case Opcode::blt: jl(taken, T_NEAR); break;
    case Opcode::bge: jge(taken, T_NEAR); break;
    case Opcode::bltu: jb(taken, T_NEAR); break;
    case Opcode::bgeu: jae(taken, T_NEAR); break;
    default: return false;
    }
    exit_to(next);
    L(taken);
    exit_to(target);
    return true;
}

} // namespace rvisor::jit
