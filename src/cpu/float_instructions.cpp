// F and D instruction semantics: register access with NaN-boxing, rounding-mode selection and
// fflags accumulation around the arithmetic in fpu.cpp.
#include "cpu/fpu.h"
#include "cpu/hart.h"

#include <array>

namespace rvisor::cpu {

namespace {

using isa::Opcode;

constexpr uint64_t kBoxMask = 0xffffffff00000000ull;
constexpr uint32_t kSingleSign = 0x80000000u;
constexpr uint64_t kDoubleSign = 0x8000000000000000ull;

int64_t sext32(uint32_t value) { return static_cast<int32_t>(value); }

// Which instructions carry a rounding-mode field: the table's operand template says so.
const std::array<bool, static_cast<size_t>(Opcode::count)>& rounding_mode_users()
{
    static const auto table = [] {
        std::array<bool, static_cast<size_t>(Opcode::count)> uses {};
        for (const auto& row : isa::instruction_table())
            uses[static_cast<size_t>(row.opcode)]
                = row.operands.find('m') != std::string_view::npos;
        return uses;
    }();
    return table;
}

} // namespace

bool Hart::execute_float(const isa::DecodedInstruction& insn)
{
    using namespace fpu;
    const uint64_t x1 = m_state.x[insn.rs1];
    // A single is valid only NaN-boxed in its 64-bit register; otherwise it reads as the
    // canonical NaN.
    auto s = [&](unsigned index) -> uint32_t {
        const uint64_t value = m_state.f[index];
        return (value & kBoxMask) == kBoxMask ? static_cast<uint32_t>(value) : kCanonicalNan32;
    };
    auto d = [&](unsigned index) { return m_state.f[index]; };
    const uint32_t s1 = s(insn.rs1), s2 = s(insn.rs2), s3 = s(insn.rs3);
    const uint64_t d1 = d(insn.rs1), d2 = d(insn.rs2), d3 = d(insn.rs3);

    uint8_t flags = 0;
    RoundingMode rm = RoundingMode::NearestEven;
    if (rounding_mode_users()[static_cast<size_t>(insn.opcode)]) {
        const unsigned mode = insn.funct3 == 7 ? m_state.frm : insn.funct3;
        if (mode > 4) {
            raise_exception(Exception::IllegalInstruction, insn.bits);
            return false;
        }
        rm = static_cast<RoundingMode>(mode);
    }
    auto write_single = [&](uint32_t value) {
        m_state.f[insn.rd] = kBoxMask | value;
        mark_float_dirty();
    };
    auto write_double = [&](uint64_t value) {
        m_state.f[insn.rd] = value;
        mark_float_dirty();
    };
    auto write_x = [&](uint64_t value) { m_state.x[insn.rd] = value; };

    switch (insn.opcode) {
    case Opcode::flw: {
        auto value = load<uint32_t>(x1 + insn.immediate);
        if (!value)
            return false;
        write_single(*value);
        break;
    }
    case Opcode::fld: {
        auto value = load<uint64_t>(x1 + insn.immediate);
        if (!value)
            return false;
        write_double(*value);
        break;
    }
    case Opcode::fsw:
        if (!store<uint32_t>(x1 + insn.immediate, static_cast<uint32_t>(m_state.f[insn.rs2])))
            return false;
        break;
    case Opcode::fsd:
        if (!store<uint64_t>(x1 + insn.immediate, m_state.f[insn.rs2]))
            return false;
        break;

#define RV_FMA(op, negate_product, negate_addend)                                                  \
    case Opcode::op##_s:                                                                           \
        write_single(                                                                              \
            fused_multiply_add<uint32_t>(s1, s2, s3, negate_product, negate_addend, rm, flags));   \
        break;                                                                                     \
    case Opcode::op##_d:                                                                           \
        write_double(                                                                              \
            fused_multiply_add<uint64_t>(d1, d2, d3, negate_product, negate_addend, rm, flags));   \
        break;
        RV_FMA(fmadd, false, false)
        RV_FMA(fmsub, false, true)
        RV_FMA(fnmsub, true, false)
        RV_FMA(fnmadd, true, true)
#undef RV_FMA

#define RV_FP_ARITHMETIC(op, function)                                                             \
    case Opcode::op##_s: write_single(function<uint32_t>(s1, s2, rm, flags)); break;               \
    case Opcode::op##_d: write_double(function<uint64_t>(d1, d2, rm, flags)); break;
        RV_FP_ARITHMETIC(fadd, add)
        RV_FP_ARITHMETIC(fsub, sub)
        RV_FP_ARITHMETIC(fmul, mul)
        RV_FP_ARITHMETIC(fdiv, div)
#undef RV_FP_ARITHMETIC
    case Opcode::fsqrt_s: write_single(fpu::sqrt<uint32_t>(s1, rm, flags)); break;
    case Opcode::fsqrt_d: write_double(fpu::sqrt<uint64_t>(d1, rm, flags)); break;

    case Opcode::fsgnj_s: write_single((s1 & ~kSingleSign) | (s2 & kSingleSign)); break;
    case Opcode::fsgnjn_s: write_single((s1 & ~kSingleSign) | (~s2 & kSingleSign)); break;
    case Opcode::fsgnjx_s: write_single(s1 ^ (s2 & kSingleSign)); break;
    case Opcode::fsgnj_d: write_double((d1 & ~kDoubleSign) | (d2 & kDoubleSign)); break;
    case Opcode::fsgnjn_d: write_double((d1 & ~kDoubleSign) | (~d2 & kDoubleSign)); break;
    case Opcode::fsgnjx_d: write_double(d1 ^ (d2 & kDoubleSign)); break;

    case Opcode::fmin_s: write_single(fpu::min<uint32_t>(s1, s2, flags)); break;
    case Opcode::fmax_s: write_single(fpu::max<uint32_t>(s1, s2, flags)); break;
    case Opcode::fmin_d: write_double(fpu::min<uint64_t>(d1, d2, flags)); break;
    case Opcode::fmax_d: write_double(fpu::max<uint64_t>(d1, d2, flags)); break;

#define RV_FP_COMPARE(op, function)                                                                \
    case Opcode::op##_s: write_x(function<uint32_t>(s1, s2, flags)); break;                        \
    case Opcode::op##_d: write_x(function<uint64_t>(d1, d2, flags)); break;
        RV_FP_COMPARE(feq, equal)
        RV_FP_COMPARE(flt, less)
        RV_FP_COMPARE(fle, less_or_equal)
#undef RV_FP_COMPARE
    case Opcode::fclass_s: write_x(classify<uint32_t>(s1)); break;
    case Opcode::fclass_d:
        write_x(classify<uint64_t>(d1));
        break;

        // Float to integer: W results are sign-extended to 64 bits, unsigned ones included.
#define RV_FP_TO_INT(op, function, widen)                                                          \
    case Opcode::op##_s: write_x(widen(function<uint32_t>(s1, rm, flags))); break;                 \
    case Opcode::op##_d: write_x(widen(function<uint64_t>(d1, rm, flags))); break;
        RV_FP_TO_INT(fcvt_w, to_int32, sext32)
        RV_FP_TO_INT(fcvt_wu, to_uint32, sext32)
        RV_FP_TO_INT(fcvt_l, to_int64, uint64_t)
        RV_FP_TO_INT(fcvt_lu, to_uint64, uint64_t)
#undef RV_FP_TO_INT
#define RV_INT_TO_FP(single_op, double_op, function, narrow)                                       \
    case Opcode::single_op: write_single(function<uint32_t>(narrow(x1), rm, flags)); break;        \
    case Opcode::double_op: write_double(function<uint64_t>(narrow(x1), rm, flags)); break;
        RV_INT_TO_FP(fcvt_s_w, fcvt_d_w, from_int32, int32_t)
        RV_INT_TO_FP(fcvt_s_wu, fcvt_d_wu, from_uint32, uint32_t)
        RV_INT_TO_FP(fcvt_s_l, fcvt_d_l, from_int64, int64_t)
        RV_INT_TO_FP(fcvt_s_lu, fcvt_d_lu, from_uint64, uint64_t)
#undef RV_INT_TO_FP
    case Opcode::fcvt_s_d: write_single(double_to_single(d1, rm, flags)); break;
    case Opcode::fcvt_d_s: write_double(single_to_double(s1, flags)); break;

    // Moves copy bits: no NaN-box check, no canonicalisation.
    case Opcode::fmv_x_w: write_x(sext32(static_cast<uint32_t>(m_state.f[insn.rs1]))); break;
    case Opcode::fmv_w_x: write_single(static_cast<uint32_t>(x1)); break;
    case Opcode::fmv_x_d: write_x(m_state.f[insn.rs1]); break;
    case Opcode::fmv_d_x: write_double(x1); break;

    default: raise_exception(Exception::IllegalInstruction, insn.bits); return false;
    }
    if (flags) {
        m_state.fflags |= flags;
        mark_float_dirty();
    }
    return true;
}

} // namespace rvisor::cpu
