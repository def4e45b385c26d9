// F and D on the host's SSE unit. MXCSR holds the guest's dynamic rounding mode while
// translated code runs and gathers its exception flags, which the dispatcher folds into fflags.
// Where x86 and RISC-V part ways (NaN results, which RISC-V makes canonical; singles that are
// not NaN-boxed; out-of-range conversions; static rounding modes other than round-toward-zero
// for conversions) the instruction is done again by the interpreter, on a slow path.
#include "jit/block_compiler.h"
#include "jit/hart_access.h"
#include "jit/host_float.h"

namespace rvisor::jit {

namespace {

using isa::Opcode;

constexpr unsigned kDynamicRounding = 7;
constexpr unsigned kRoundTowardZero = 1;
constexpr uint64_t kSingleSign = 0x80000000u;
constexpr uint64_t kDoubleSign = 0x8000000000000000ull;

enum class Arithmetic { Add, Sub, Mul, Div, Sqrt };

constexpr uint32_t kFflags = 0x001, kFrm = 0x002, kFcsr = 0x003;

} // namespace

bool BlockCompiler::is_float_csr_access(const Insn& insn)
{
    if (insn.opcode < Opcode::csrrw || insn.opcode > Opcode::csrrci)
        return false;
    const auto address = static_cast<uint32_t>(insn.immediate);
    if (address == kFflags)
        return true;
    // frm and fcsr only read: a new rounding mode goes to the dispatcher, which sets MXCSR.
    const bool set_or_clear = insn.opcode == Opcode::csrrs || insn.opcode == Opcode::csrrc
        || insn.opcode == Opcode::csrrsi || insn.opcode == Opcode::csrrci;
    return (address == kFrm || address == kFcsr) && set_or_clear && insn.rs1 == 0;
}

void BlockCompiler::read_float_flags()
{
    stmxcsr(dword[r12 + offsetof(RuntimeState, mxcsr)]);
    mov(ecx, dword[r12 + offsetof(RuntimeState, mxcsr)]);
    and_(ecx, kMxcsrFlags);
    mov(rdx, reinterpret_cast<uint64_t>(kFflagsOfMxcsr.data()));
    movzx(edx, byte[rdx + rcx]);
    movzx(eax, byte[rbp + m_offsets.fflags]);
    or_(eax, edx);
}

bool BlockCompiler::emit_float_csr(const Insn& insn)
{
    // The block's entry checked mstatus.FS (these count as F instructions there).
    const auto address = static_cast<uint32_t>(insn.immediate);
    read_float_flags(); // eax: fflags, edx: MXCSR's part of them
    if (address == kFflags) {
        const bool immediate_form = insn.opcode >= Opcode::csrrwi;
        if (immediate_form)
            mov(ecx, insn.rs1);
        else
            mov(rcx, x(insn.rs1));
        switch (insn.opcode) {
        case Opcode::csrrw:
        case Opcode::csrrwi: break;
        case Opcode::csrrs:
        case Opcode::csrrsi: or_(ecx, eax); break;
        default:
            not_(ecx);
            and_(ecx, eax);
            break;
        }
        const bool writes
            = insn.opcode == Opcode::csrrw || insn.opcode == Opcode::csrrwi || insn.rs1 != 0;
        if (writes) {
            and_(ecx, 0x1f);
            mov(byte[rbp + m_offsets.fflags], cl);
            // MXCSR's flags may stay (ldmxcsr is slow) when the new value holds them all, as
            // when code saves the flags, compares, and puts them back (GCC's inline sqrt).
            Xbyak::Label kept;
            not_(ecx);
            test(edx, ecx);
            jz(kept);
            and_(dword[r12 + offsetof(RuntimeState, mxcsr)], ~kMxcsrFlags);
            ldmxcsr(dword[r12 + offsetof(RuntimeState, mxcsr)]);
            L(kept);
        }
        store_x(insn.rd, rax);
        return true;
    }
    movzx(ecx, byte[rbp + m_offsets.frm]);
    if (address == kFcsr) {
        shl(ecx, 5);
        or_(ecx, eax);
    }
    store_x(insn.rd, rcx);
    return true;
}

void BlockCompiler::redo_in_interpreter(
    const Insn& insn, RegisterMask dirty, Xbyak::Label& slow, Xbyak::Label& resume)
{
    m_fallbacks->push_back(insn);
    const isa::DecodedInstruction* stored = &m_fallbacks->back();
    const unsigned pending = m_pending;
    const uint64_t pc = m_pc;
    const RegisterMask loaded = m_loaded;
    far([this, stored, pending, pc, slow, resume, loaded, dirty]() mutable {
        const unsigned saved_pending = m_pending;
        const uint64_t saved_pc = m_pc;
        m_pending = pending;
        m_pc = pc;
        L(slow);
        write_back(dirty);
        sync_for_call();
        mov(rdi, rbp);
        mov(rsi, reinterpret_cast<uint64_t>(stored));
        call_helper(reinterpret_cast<const void*>(&HartAccess::interpret));
        test(eax, eax);
        jnz(*m_trap_exit, T_NEAR);
        // The main path counts this instruction once more after resume.
        sub(qword[rbp + m_offsets.instret], static_cast<int32_t>(pending + 1));
        reload(loaded);
        jmp(resume, T_NEAR);
        m_pending = saved_pending;
        m_pc = saved_pc;
    });
}

bool BlockCompiler::emit_float(const Insn& insn)
{
    const unsigned rd = insn.rd, rs1 = insn.rs1, rs2 = insn.rs2, rs3 = insn.rs3;
    const bool dynamic = insn.funct3 == kDynamicRounding;
    // Reserved static rounding modes (5, 6) are illegal: the interpreter raises that.
    if (isa::info(insn.opcode).operands.find('m') != std::string_view::npos && !dynamic
        && insn.funct3 > 4)
        return false;
    Xbyak::Label slow, resume;
    const RegisterMask dirty_before = m_dirty; // when a slow path leaves

    // A single operand into xmm, or to the slow path if it is not NaN-boxed.
    auto load_single = [&](const Xbyak::Xmm& xmm, unsigned index) {
        check_boxed(index, slow);
        read_f(xmm, index, true);
    };
    auto load_double = [&](const Xbyak::Xmm& xmm, unsigned index) { read_f(xmm, index, false); };
    // A source that is not overwritten: its home itself, or loaded into `scratch`.
    auto source = [&](const Xbyak::Xmm& scratch, unsigned index, bool single) {
        if (single)
            check_boxed(index, slow);
        if (const Xbyak::Xmm* home = f_home(index))
            return *home;
        read_f(scratch, index, single);
        return scratch;
    };
    // xmm0 into f[rd], after sending NaN results to the slow path.
    auto store_single = [&] {
        ucomiss(xmm0, xmm0);
        jp(slow, T_NEAR);
        write_f(rd, xmm0, true);
    };
    auto store_double = [&] {
        ucomisd(xmm0, xmm0);
        jp(slow, T_NEAR);
        write_f(rd, xmm0, false);
    };
    auto finish = [&] {
        L(resume);
        redo_in_interpreter(insn, dirty_before, slow, resume);
        return true;
    };
    auto arithmetic = [&](bool single, Arithmetic operation) {
        if (!dynamic)
            return false;
        single ? load_single(xmm0, rs1) : load_double(xmm0, rs1);
        const Xbyak::Xmm second = operation == Arithmetic::Sqrt ? xmm0 : source(xmm1, rs2, single);
        switch (operation) {
        case Arithmetic::Add: single ? addss(xmm0, second) : addsd(xmm0, second); break;
        case Arithmetic::Sub: single ? subss(xmm0, second) : subsd(xmm0, second); break;
        case Arithmetic::Mul: single ? mulss(xmm0, second) : mulsd(xmm0, second); break;
        case Arithmetic::Div: single ? divss(xmm0, second) : divsd(xmm0, second); break;
        case Arithmetic::Sqrt: single ? sqrtss(xmm0, xmm0) : sqrtsd(xmm0, xmm0); break;
        }
        single ? store_single() : store_double();
        return finish();
    };
    // (±rs1·rs2) ± rs3 with one rounding (FMA3). A NaN result takes the slow path, which also
    // covers RISC-V's invalid flag for ∞·0 + qNaN.
    auto fused = [&](bool single, bool negate_product, bool negate_addend) {
        if (!dynamic || !m_host_has_fma)
            return false;
        single ? load_single(xmm0, rs1) : load_double(xmm0, rs1);
        const Xbyak::Xmm factor = source(xmm1, rs2, single);
        const Xbyak::Xmm addend = source(xmm2, rs3, single);
        // xmm0 = ±(xmm0·factor) ± addend
        if (!negate_product && !negate_addend)
            single ? vfmadd213ss(xmm0, factor, addend) : vfmadd213sd(xmm0, factor, addend);
        else if (!negate_product && negate_addend)
            single ? vfmsub213ss(xmm0, factor, addend) : vfmsub213sd(xmm0, factor, addend);
        else if (negate_product && !negate_addend)
            single ? vfnmadd213ss(xmm0, factor, addend) : vfnmadd213sd(xmm0, factor, addend);
        else
            single ? vfnmsub213ss(xmm0, factor, addend) : vfnmsub213sd(xmm0, factor, addend);
        single ? store_single() : store_double();
        return finish();
    };
    // feq (quiet), flt and fle (signalling): unordered compares false.
    auto compare = [&](bool single, Opcode kind) {
        if (single) {
            load_single(xmm0, rs1);
            load_single(xmm1, rs2);
        } else {
            load_double(xmm0, rs1);
            load_double(xmm1, rs2);
        }
        if (kind == Opcode::feq_s || kind == Opcode::feq_d) {
            single ? ucomiss(xmm0, xmm1) : ucomisd(xmm0, xmm1);
            sete(al);
            setnp(cl);
            and_(al, cl);
        } else {
            single ? comiss(xmm1, xmm0) : comisd(xmm1, xmm0);
            if (kind == Opcode::flt_s || kind == Opcode::flt_d)
                seta(al);
            else
                setae(al);
        }
        movzx(eax, al);
        store_x(rd, rax);
        return finish();
    };
    // Sign injection on the raw bits.
    auto sign_inject = [&](bool single, Opcode kind) {
        const uint64_t sign = single ? kSingleSign : kDoubleSign;
        if (single) {
            check_boxed(rs1, slow);
            check_boxed(rs2, slow);
        }
        read_f(rax, rs1);
        read_f(rcx, rs2);
        mov(rdx, sign);
        and_(rcx, rdx); // rs2's sign
        switch (kind) {
        case Opcode::fsgnj_s:
        case Opcode::fsgnj_d:
            not_(rdx);
            and_(rax, rdx);
            or_(rax, rcx);
            break;
        case Opcode::fsgnjn_s:
        case Opcode::fsgnjn_d:
            xor_(rcx, rdx);
            not_(rdx);
            and_(rax, rdx);
            or_(rax, rcx);
            break;
        default: xor_(rax, rcx); break; // fsgnjx
        }
        write_f(rd, rax, single); // a single's inputs were checked boxed, so is its result
        return finish();
    };
    // Integer to float: cvtsi2s[sd] rounds by MXCSR, which holds the dynamic mode.
    auto from_integer = [&](bool single, bool word, bool is_unsigned) {
        if (!dynamic && (single || !word))
            return false; // the result may round, in a mode MXCSR does not hold
        if (word && !is_unsigned)
            movsxd(rax, x32(rs1));
        else if (word)
            mov(eax, x32(rs1));
        else if (is_unsigned)
            return false; // no unsigned 64-bit conversion before AVX-512
        else
            mov(rax, x(rs1));
        single ? cvtsi2ss(xmm0, rax) : cvtsi2sd(xmm0, rax);
        single ? store_single() : store_double();
        return finish();
    };
    // Float to signed integer: x86 answers the "integer indefinite" (the minimum) for NaN and
    // out-of-range values, where RISC-V saturates; that answer goes to the slow path.
    auto to_integer = [&](bool single, bool word) {
        if (!dynamic && insn.funct3 != kRoundTowardZero)
            return false;
        single ? load_single(xmm0, rs1) : load_double(xmm0, rs1);
        const bool truncate = !dynamic;
        if (word) {
            if (truncate)
                single ? cvttss2si(eax, xmm0) : cvttsd2si(eax, xmm0);
            else
                single ? cvtss2si(eax, xmm0) : cvtsd2si(eax, xmm0);
            cmp(eax, 0x80000000);
            je(slow, T_NEAR);
            movsxd(rax, eax);
        } else {
            if (truncate)
                single ? cvttss2si(rax, xmm0) : cvttsd2si(rax, xmm0);
            else
                single ? cvtss2si(rax, xmm0) : cvtsd2si(rax, xmm0);
            mov(rcx, 0x8000000000000000ull);
            cmp(rax, rcx);
            je(slow, T_NEAR);
        }
        store_x(rd, rax);
        return finish();
    };

    switch (insn.opcode) {
    case Opcode::fadd_s: return arithmetic(true, Arithmetic::Add);
    case Opcode::fsub_s: return arithmetic(true, Arithmetic::Sub);
    case Opcode::fmul_s: return arithmetic(true, Arithmetic::Mul);
    case Opcode::fdiv_s: return arithmetic(true, Arithmetic::Div);
    case Opcode::fsqrt_s: return arithmetic(true, Arithmetic::Sqrt);
    case Opcode::fadd_d: return arithmetic(false, Arithmetic::Add);
    case Opcode::fsub_d: return arithmetic(false, Arithmetic::Sub);
    case Opcode::fmul_d: return arithmetic(false, Arithmetic::Mul);
    case Opcode::fdiv_d: return arithmetic(false, Arithmetic::Div);
    case Opcode::fsqrt_d: return arithmetic(false, Arithmetic::Sqrt);
    case Opcode::fmadd_s: return fused(true, false, false);
    case Opcode::fmsub_s: return fused(true, false, true);
    case Opcode::fnmsub_s: return fused(true, true, false);
    case Opcode::fnmadd_s: return fused(true, true, true);
    case Opcode::fmadd_d: return fused(false, false, false);
    case Opcode::fmsub_d: return fused(false, false, true);
    case Opcode::fnmsub_d: return fused(false, true, false);
    case Opcode::fnmadd_d: return fused(false, true, true);
    case Opcode::feq_s:
    case Opcode::flt_s:
    case Opcode::fle_s: return compare(true, insn.opcode);
    case Opcode::feq_d:
    case Opcode::flt_d:
    case Opcode::fle_d: return compare(false, insn.opcode);
    case Opcode::fsgnj_s:
    case Opcode::fsgnjn_s:
    case Opcode::fsgnjx_s: return sign_inject(true, insn.opcode);
    case Opcode::fsgnj_d:
    case Opcode::fsgnjn_d:
    case Opcode::fsgnjx_d: return sign_inject(false, insn.opcode);
    case Opcode::fcvt_s_w: return from_integer(true, true, false);
    case Opcode::fcvt_s_wu: return from_integer(true, true, true);
    case Opcode::fcvt_s_l: return from_integer(true, false, false);
    case Opcode::fcvt_d_w: return from_integer(false, true, false);
    case Opcode::fcvt_d_wu: return from_integer(false, true, true);
    case Opcode::fcvt_d_l: return from_integer(false, false, false);
    case Opcode::fcvt_w_s: return to_integer(true, true);
    case Opcode::fcvt_l_s: return to_integer(true, false);
    case Opcode::fcvt_w_d: return to_integer(false, true);
    case Opcode::fcvt_l_d: return to_integer(false, false);
    case Opcode::fcvt_d_s:
        load_single(xmm0, rs1);
        cvtss2sd(xmm0, xmm0);
        store_double();
        return finish();
    case Opcode::fcvt_s_d:
        if (!dynamic)
            return false;
        load_double(xmm0, rs1);
        cvtsd2ss(xmm0, xmm0);
        store_single();
        return finish();
    case Opcode::fmv_x_w:
        read_f(rax, rs1);
        movsxd(rax, eax);
        store_x(rd, rax);
        return true;
    case Opcode::fmv_x_d:
        read_f(rax, rs1);
        store_x(rd, rax);
        return true;
    case Opcode::fmv_w_x:
        mov(eax, x32(rs1));
        mov(rcx, 0xffffffff00000000ull);
        or_(rax, rcx);
        write_f(rd, rax, true);
        return true;
    case Opcode::fmv_d_x:
        mov(rax, x(rs1));
        write_f(rd, rax, false);
        return true;
    default: return false; // fmin, fmax, fclass, unsigned conversions from float
    }
}

} // namespace rvisor::jit
