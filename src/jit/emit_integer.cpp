// RV64I arithmetic, M, and the Zba/Zbb/Zbs/Zicond instructions compilers emit often. The
// rest of Zbb (clz, ctz, cpop, orc.b) is left to the interpreter.
#include "jit/block_compiler.h"

namespace rvisor::jit {

namespace {

using isa::Opcode;
using namespace Xbyak::util;

enum class DivisionKind { Quotient, Remainder };

} // namespace

bool BlockCompiler::emit_integer(const Insn& insn)
{
    const auto imm = static_cast<int32_t>(insn.immediate);
    const unsigned rd = insn.rd, rs1 = insn.rs1, rs2 = insn.rs2;

    // Where to compute rd: its own host register when it has one, unless a source still to be
    // read after the first instruction is rd itself; else rax.
    auto result = [&](bool rd_read_later) -> Xbyak::Reg64 {
        if (rd != 0 && m_home[rd] >= 0 && !rd_read_later)
            return m_pool[m_home[rd]];
        return rax;
    };
    auto start = [&](const Xbyak::Reg64& target, const Xbyak::Operand& source) {
        if (!(source == target))
            mov(target, source);
    };
    // rd = rs1 op rs2 / rs1 op imm, 64-bit and 32-bit (sign-extending) forms.
    auto register_op = [&](auto op) {
        const Xbyak::Reg64 target = result(rd == rs2 && rd != rs1);
        start(target, x(rs1));
        op(target, x(rs2));
        store_x(rd, target);
    };
    auto immediate_op = [&](auto op) {
        const Xbyak::Reg64 target = result(false);
        start(target, x(rs1));
        op(target, imm);
        store_x(rd, target);
    };
    auto register_op_w = [&](auto op) {
        const Xbyak::Reg64 target = result(rd == rs2 && rd != rs1);
        const Xbyak::Reg32 target32 = target.cvt32();
        mov(target32, x32(rs1));
        op(target32, x32(rs2));
        movsxd(target, target32);
        store_x(rd, target);
    };
    auto shift_op = [&](auto op) {
        mov(rcx, x(rs2));
        const Xbyak::Reg64 target = result(false);
        start(target, x(rs1));
        op(target, cl);
        store_x(rd, target);
    };
    auto shift_op_w = [&](auto op) {
        mov(rcx, x(rs2));
        const Xbyak::Reg64 target = result(false);
        mov(target.cvt32(), x32(rs1));
        op(target.cvt32(), cl);
        movsxd(target, target.cvt32());
        store_x(rd, target);
    };
    auto shift_immediate = [&](auto op) {
        const Xbyak::Reg64 target = result(false);
        start(target, x(rs1));
        op(target, static_cast<uint8_t>(imm));
        store_x(rd, target);
    };
    auto shift_immediate_w = [&](auto op) {
        const Xbyak::Reg64 target = result(false);
        mov(target.cvt32(), x32(rs1));
        op(target.cvt32(), static_cast<uint8_t>(imm));
        movsxd(target, target.cvt32());
        store_x(rd, target);
    };
    auto compare = [&](auto set, bool immediate) {
        mov(rax, x(rs1));
        if (immediate)
            cmp(rax, imm);
        else
            cmp(rax, x(rs2));
        set(al);
        movzx(eax, al);
        store_x(rd, rax);
    };
    auto select = [&](auto conditional_move) { // rd = condition(rs1, rs2) ? rs2 : rs1
        mov(rax, x(rs1));
        mov(rcx, x(rs2));
        cmp(rax, rcx);
        conditional_move(rax, rcx);
        store_x(rd, rax);
    };
    auto shift_add = [&](int scale, bool unsigned_word) {
        if (unsigned_word)
            mov(eax, x32(rs1));
        else
            mov(rax, x(rs1));
        mov(rcx, x(rs2));
        lea(rax, ptr[rcx + rax * scale]);
        store_x(rd, rax);
    };
    // M-extension division: x/0 = all ones, x%0 = x, MIN/-1 = MIN with remainder 0.
    auto divide = [&](bool is_signed, bool word, DivisionKind kind) {
        Xbyak::Label by_zero, by_minus_one, done;
        const Xbyak::Reg64 a = rax, b = rcx;
        if (word) {
            if (is_signed) {
                movsxd(rax, x32(rs1));
                movsxd(rcx, x32(rs2));
            } else {
                mov(eax, x32(rs1));
                mov(ecx, x32(rs2));
            }
        } else {
            mov(a, x(rs1));
            mov(b, x(rs2));
        }
        test(b, b);
        jz(by_zero);
        if (is_signed) {
            cmp(b, -1);
            je(by_minus_one);
        }
        if (is_signed) {
            cqo();
            idiv(b);
        } else {
            xor_(edx, edx);
            div(b);
        }
        if (kind == DivisionKind::Remainder)
            mov(rax, rdx);
        jmp(done);
        if (is_signed) {
            L(by_minus_one);
            if (kind == DivisionKind::Quotient)
                neg(rax); // -MIN wraps to MIN, as the spec wants
            else
                xor_(eax, eax);
            jmp(done);
        }
        L(by_zero);
        if (kind == DivisionKind::Quotient)
            mov(rax, -1);
        // (remainder by zero: the dividend, already in rax)
        L(done);
        if (word)
            movsxd(rax, eax);
        store_x(rd, rax);
    };

#define OP(name) [&](const auto& a, const auto& b) { name(a, b); }
    switch (insn.opcode) {
    case Opcode::lui:
        mov(result(false), insn.immediate);
        store_x(rd, result(false));
        return true;
    case Opcode::auipc:
        mov(result(false), m_pc + insn.immediate);
        store_x(rd, result(false));
        return true;
    case Opcode::addi: immediate_op(OP(add)); return true;
    case Opcode::xori: immediate_op(OP(xor_)); return true;
    case Opcode::ori: immediate_op(OP(or_)); return true;
    case Opcode::andi: immediate_op(OP(and_)); return true;
    case Opcode::slti: compare([&](const auto& r) { setl(r); }, true); return true;
    case Opcode::sltiu: compare([&](const auto& r) { setb(r); }, true); return true;
    case Opcode::slli: shift_immediate(OP(shl)); return true;
    case Opcode::srli: shift_immediate(OP(shr)); return true;
    case Opcode::srai: shift_immediate(OP(sar)); return true;
    case Opcode::add: register_op(OP(add)); return true;
    case Opcode::sub: register_op(OP(sub)); return true;
    case Opcode::xor_: register_op(OP(xor_)); return true;
    case Opcode::or_: register_op(OP(or_)); return true;
    case Opcode::and_: register_op(OP(and_)); return true;
    case Opcode::slt: compare([&](const auto& r) { setl(r); }, false); return true;
    case Opcode::sltu: compare([&](const auto& r) { setb(r); }, false); return true;
    case Opcode::sll: shift_op(OP(shl)); return true;
    case Opcode::srl: shift_op(OP(shr)); return true;
    case Opcode::sra: shift_op(OP(sar)); return true;
    case Opcode::addiw: {
        const Xbyak::Reg64 target = result(false);
        mov(target.cvt32(), x32(rs1));
        add(target.cvt32(), imm);
        movsxd(target, target.cvt32());
        store_x(rd, target);
        return true;
    }
    case Opcode::slliw: shift_immediate_w(OP(shl)); return true;
    case Opcode::srliw: shift_immediate_w(OP(shr)); return true;
    case Opcode::sraiw: shift_immediate_w(OP(sar)); return true;
    case Opcode::addw: register_op_w(OP(add)); return true;
    case Opcode::subw: register_op_w(OP(sub)); return true;
    case Opcode::sllw: shift_op_w(OP(shl)); return true;
    case Opcode::srlw: shift_op_w(OP(shr)); return true;
    case Opcode::sraw: shift_op_w(OP(sar)); return true;
    case Opcode::fence:
        return true; // x86-64 is TSO and devices complete synchronously

    // M
    case Opcode::mul: register_op(OP(imul)); return true;
    case Opcode::mulw: register_op_w(OP(imul)); return true;
    case Opcode::mulh:
    case Opcode::mulhu:
        mov(rax, x(rs1));
        if (insn.opcode == Opcode::mulh)
            imul(x(rs2));
        else
            mul(x(rs2));
        store_x(rd, rdx);
        return true;
    case Opcode::mulhsu: // the unsigned high product, less rs2 when rs1 is negative
        mov(rax, x(rs1));
        mul(x(rs2));
        mov(rcx, x(rs1));
        sar(rcx, 63);
        and_(rcx, x(rs2));
        sub(rdx, rcx);
        store_x(rd, rdx);
        return true;
    case Opcode::div: divide(true, false, DivisionKind::Quotient); return true;
    case Opcode::divu: divide(false, false, DivisionKind::Quotient); return true;
    case Opcode::rem: divide(true, false, DivisionKind::Remainder); return true;
    case Opcode::remu: divide(false, false, DivisionKind::Remainder); return true;
    case Opcode::divw: divide(true, true, DivisionKind::Quotient); return true;
    case Opcode::divuw: divide(false, true, DivisionKind::Quotient); return true;
    case Opcode::remw: divide(true, true, DivisionKind::Remainder); return true;
    case Opcode::remuw: divide(false, true, DivisionKind::Remainder); return true;

    // Zba
    case Opcode::sh1add: shift_add(2, false); return true;
    case Opcode::sh2add: shift_add(4, false); return true;
    case Opcode::sh3add: shift_add(8, false); return true;
    case Opcode::add_uw: shift_add(1, true); return true;
    case Opcode::sh1add_uw: shift_add(2, true); return true;
    case Opcode::sh2add_uw: shift_add(4, true); return true;
    case Opcode::sh3add_uw: shift_add(8, true); return true;
    case Opcode::slli_uw:
        mov(eax, x32(rs1));
        shl(rax, static_cast<uint8_t>(imm));
        store_x(rd, rax);
        return true;

    // Zbb
    case Opcode::andn:
    case Opcode::orn:
        mov(rax, x(rs2));
        not_(rax);
        if (insn.opcode == Opcode::andn)
            and_(rax, x(rs1));
        else
            or_(rax, x(rs1));
        store_x(rd, rax);
        return true;
    case Opcode::xnor:
        mov(rax, x(rs1));
        xor_(rax, x(rs2));
        not_(rax);
        store_x(rd, rax);
        return true;
    case Opcode::min: select(OP(cmovg)); return true;
    case Opcode::max: select(OP(cmovl)); return true;
    case Opcode::minu: select(OP(cmova)); return true;
    case Opcode::maxu: select(OP(cmovb)); return true;
    case Opcode::sext_b:
        mov(rax, x(rs1));
        movsx(rax, al);
        store_x(rd, rax);
        return true;
    case Opcode::sext_h:
        mov(rax, x(rs1));
        movsx(rax, ax);
        store_x(rd, rax);
        return true;
    case Opcode::zext_h:
        mov(rax, x(rs1));
        movzx(eax, ax);
        store_x(rd, rax);
        return true;
    case Opcode::rol: shift_op(OP(rol)); return true;
    case Opcode::ror: shift_op(OP(ror)); return true;
    case Opcode::rolw: shift_op_w(OP(rol)); return true;
    case Opcode::rorw: shift_op_w(OP(ror)); return true;
    case Opcode::rori: shift_immediate(OP(ror)); return true;
    case Opcode::roriw: shift_immediate_w(OP(ror)); return true;
    case Opcode::rev8:
        mov(rax, x(rs1));
        bswap(rax);
        store_x(rd, rax);
        return true;

    // Zbs: x86's bit-test instructions take the bit number modulo 64, as RISC-V does.
    case Opcode::bset: shift_op([&](const auto& a, const auto&) { bts(a, rcx); }); return true;
    case Opcode::bclr: shift_op([&](const auto& a, const auto&) { btr(a, rcx); }); return true;
    case Opcode::binv: shift_op([&](const auto& a, const auto&) { btc(a, rcx); }); return true;
    case Opcode::bseti: shift_immediate(OP(bts)); return true;
    case Opcode::bclri: shift_immediate(OP(btr)); return true;
    case Opcode::binvi: shift_immediate(OP(btc)); return true;
    case Opcode::bext:
    case Opcode::bexti:
        mov(rax, x(rs1));
        if (insn.opcode == Opcode::bext) {
            mov(rcx, x(rs2));
            bt(rax, rcx);
        } else {
            bt(rax, static_cast<uint8_t>(imm));
        }
        setc(al);
        movzx(eax, al);
        store_x(rd, rax);
        return true;

    // Zicond
    case Opcode::czero_eqz:
    case Opcode::czero_nez:
        xor_(ecx, ecx);
        mov(rax, x(rs1));
        cmp(x(rs2), 0);
        if (insn.opcode == Opcode::czero_eqz)
            cmove(rax, rcx);
        else
            cmovne(rax, rcx);
        store_x(rd, rax);
        return true;
    default: return false;
    }
#undef OP
}

} // namespace rvisor::jit
