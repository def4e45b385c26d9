/* RV64D: double-precision arithmetic with fflags, every static rounding mode and the dynamic
 * mode from frm, canonical NaN results, sNaN/qNaN handling, FMA with a single rounding,
 * fmin/fmax with signed zeros and NaNs, comparisons, fclass, conversions with saturation,
 * single<->double conversion, and NaN-boxing: a single-precision operand that is not a valid
 * NaN-boxed value (e.g. written by fmv.d.x) reads as the canonical NaN. Expected values are
 * computed independently with exact rational arithmetic. */
#include "test_macros.h"

#define FMV_TO_F fmv.d.x
/* rm = none for the exact conversions, which take no rounding mode.
 * Operands are given as bit patterns and moved in with FMV_TO_F; results are read back with
 * fmv.x.d, so a single-precision result must be NaN-boxed (upper 32 bits all ones).
 * Every case also checks fflags, cleared before the operation. */
.macro FLOAD freg, bits
    li t0, \bits
    FMV_TO_F \freg, t0
.endm

.macro CHECK_FP_RESULT n, exp, flags
    frflags a1
    fmv.x.d a0, fa0
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_OP1 n, op, exp, flags, a, rm
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    .ifc \rm, none
    \op fa0, fa1
    .else
    \op fa0, fa1, \rm
    .endif
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP2 n, op, exp, flags, a, b, rm
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op fa0, fa1, fa2, \rm
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP2_NORM n, op, exp, flags, a, b
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op fa0, fa1, fa2
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP3 n, op, exp, flags, a, b, c, rm
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    FLOAD fa3, \c
    fsflags zero
    \op fa0, fa1, fa2, fa3, \rm
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_CMP n, op, exp, flags, a, b
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op a0, fa1, fa2
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_CLASS n, op, exp, a
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    \op a0, fa1
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, 0
.endm

.macro TEST_FP_TO_INT n, op, exp, flags, a, rm
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    \op a0, fa1, \rm
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_FROM_INT n, op, exp, flags, i, rm
    TESTNUM \n
    li a2, \i
    fsflags zero
    .ifc \rm, none
    \op fa0, a2
    .else
    \op fa0, a2, \rm
    .endif
    CHECK_FP_RESULT \n, \exp, \flags
.endm

/* an instruction word that must raise illegal instruction with mtval = its bits */
.macro TEST_ILLEGAL32 n, bits
    TESTNUM \n
    TRAP_ARM
.Lillegal\@:
    .word \bits
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_TVAL \bits
    CHECK_EPC .Lillegal\@
.endm

TEST_BEGIN

    /* add/sub/mul/div/sqrt, round to nearest even, with exceptions flags */
    TEST_FP_OP2 1, fadd.d, 0x4008000000000000, 0x0, 0x3ff0000000000000, 0x4000000000000000, rne
    TEST_FP_OP2 2, fadd.d, 0x3fe8000000000000, 0x0, 0x3fe0000000000000, 0x3fd0000000000000, rne
    TEST_FP_OP2 3, fadd.d, 0x412e84800083126f, 0x1, 0x412e848000000000, 0x3f50624dd2f1a9fc, rne
    TEST_FP_OP2 4, fadd.d, 0xc002492492492492, 0x1, 0xc008000000000000, 0x3fe6db6db6db6db7, rne
    TEST_FP_OP2 5, fadd.d, 0x3f54b68893948800, 0x0, 0x4009249249249249, 0xc00921fb78121fb8, rne
    TEST_FP_OP2 6, fadd.d, 0x0, 0x0, 0x3ff0000000000000, 0xbff0000000000000, rne
    TEST_FP_OP2 7, fadd.d, 0x8000000000000000, 0x0, 0x8000000000000000, 0x8000000000000000, rne
    TEST_FP_OP2 8, fadd.d, 0x0, 0x0, 0x0, 0x8000000000000000, rne
    TEST_FP_OP2 9, fadd.d, 0x7ff0000000000000, 0x5, 0x7fefffffffffffff, 0x7fefffffffffffff, rne
    TEST_FP_OP2 10, fadd.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0xfff0000000000000, rne
    TEST_FP_OP2 11, fadd.d, 0x7ff0000000000000, 0x0, 0x7ff0000000000000, 0x4014000000000000, rne
    TEST_FP_OP2 12, fadd.d, 0x7ff8000000000000, 0x0, 0x7ff8000000000000, 0x3ff0000000000000, rne
    TEST_FP_OP2 13, fadd.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000001, 0x3ff0000000000000, rne
    TEST_FP_OP2 14, fadd.d, 0x7ff8000000000000, 0x0, 0x7ff8000000001234, 0x3ff0000000000000, rne
    TEST_FP_OP2 15, fsub.d, 0x4000000000000000, 0x0, 0x4008000000000000, 0x3ff0000000000000, rne
    TEST_FP_OP2 16, fsub.d, 0xc000000000000000, 0x0, 0x3ff0000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 17, fsub.d, 0xbfcddddddddddddd, 0x0, 0x3fb999999999999a, 0x3fd5555555555555, rne
    TEST_FP_OP2 18, fsub.d, 0x3ff0000000000000, 0x1, 0x3ff0000000000000, 0x3c90000000000000, rne
    TEST_FP_OP2 19, fsub.d, 0x0, 0x0, 0x4000000000000000, 0x4000000000000000, rne
    TEST_FP_OP2 20, fsub.d, 0x8000000000000000, 0x0, 0x8000000000000000, 0x0, rne
    TEST_FP_OP2 21, fsub.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0x7ff0000000000000, rne
    TEST_FP_OP2 22, fmul.d, 0x4035000000000000, 0x0, 0x4008000000000000, 0x401c000000000000, rne
    TEST_FP_OP2 23, fmul.d, 0x3f847ae147ae147c, 0x1, 0x3fb999999999999a, 0x3fb999999999999a, rne
    TEST_FP_OP2 24, fmul.d, 0xbfd5555555555555, 0x0, 0xbff0000000000000, 0x3fd5555555555555, rne
    TEST_FP_OP2 25, fmul.d, 0xc002000000000000, 0x0, 0x3ff8000000000000, 0xbff8000000000000, rne
    TEST_FP_OP2 26, fmul.d, 0x15555555555555, 0x0, 0x30000000000000, 0x3fd5555555555555, rne
    TEST_FP_OP2 27, fmul.d, 0x8000000000000, 0x0, 0x10000000000000, 0x3fe0000000000000, rne
    TEST_FP_OP2 28, fmul.d, 0x7ff0000000000000, 0x5, 0x7fe0000000000000, 0x4010000000000000, rne
    TEST_FP_OP2 29, fmul.d, 0x7ff8000000000000, 0x10, 0x0, 0x7ff0000000000000, rne
    TEST_FP_OP2 30, fmul.d, 0x8000000000000000, 0x0, 0x8000000000000000, 0x4014000000000000, rne
    TEST_FP_OP2 31, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 32, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 33, fdiv.d, 0x4009249249249249, 0x1, 0x4036000000000000, 0x401c000000000000, rne
    TEST_FP_OP2 34, fdiv.d, 0x3fc0000000000000, 0x0, 0x3fe0000000000000, 0x4010000000000000, rne
    TEST_FP_OP2 35, fdiv.d, 0x4000000000000000, 0x0, 0x4018000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 36, fdiv.d, 0x3fb999999999999a, 0x1, 0x3ff0000000000000, 0x4024000000000000, rne
    TEST_FP_OP2 37, fdiv.d, 0x7ff0000000000000, 0x8, 0x3ff0000000000000, 0x0, rne
    TEST_FP_OP2 38, fdiv.d, 0xfff0000000000000, 0x8, 0xbff0000000000000, 0x0, rne
    TEST_FP_OP2 39, fdiv.d, 0xfff0000000000000, 0x8, 0x3ff0000000000000, 0x8000000000000000, rne
    TEST_FP_OP2 40, fdiv.d, 0x7ff8000000000000, 0x10, 0x0, 0x0, rne
    TEST_FP_OP2 41, fdiv.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0x7ff0000000000000, rne
    TEST_FP_OP2 42, fdiv.d, 0x0, 0x0, 0x3ff0000000000000, 0x7ff0000000000000, rne
    TEST_FP_OP2 43, fdiv.d, 0x7ff0000000000000, 0x0, 0x7ff0000000000000, 0x0, rne
    TEST_FP_OP1 44, fsqrt.d, 0x4000000000000000, 0x0, 0x4010000000000000, rne
    TEST_FP_OP1 45, fsqrt.d, 0x3ff6a09e667f3bcd, 0x1, 0x4000000000000000, rne
    TEST_FP_OP1 46, fsqrt.d, 0x3fe0000000000000, 0x0, 0x3fd0000000000000, rne
    TEST_FP_OP1 47, fsqrt.d, 0x3ffbb67ae8584caa, 0x1, 0x4008000000000000, rne
    TEST_FP_OP1 48, fsqrt.d, 0x408f40010624d8e4, 0x1, 0x412e848200000000, rne
    TEST_FP_OP1 49, fsqrt.d, 0x1e60000000000000, 0x0, 0x1, rne
    TEST_FP_OP1 50, fsqrt.d, 0x8000000000000000, 0x0, 0x8000000000000000, rne
    TEST_FP_OP1 51, fsqrt.d, 0x7ff8000000000000, 0x10, 0xbff0000000000000, rne
    TEST_FP_OP1 52, fsqrt.d, 0x7ff0000000000000, 0x0, 0x7ff0000000000000, rne
    TEST_FP_OP1 53, fsqrt.d, 0x7ff8000000000000, 0x10, 0xfff0000000000000, rne
    TEST_FP_OP1 54, fsqrt.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000001, rne

    /* static rounding modes */
    TEST_FP_OP2 55, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 56, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, rne
    TEST_FP_OP2 57, fadd.d, 0x3ff0000000000000, 0x1, 0x3ff0000000000000, 0x3ca0000000000000, rne
    TEST_FP_OP2 58, fadd.d, 0x3ff0000000000002, 0x1, 0x3ff0000000000000, 0x3cb8000000000000, rne
    TEST_FP_OP2 59, fmul.d, 0x7ff0000000000000, 0x5, 0x7fe0000000000000, 0x4000000000000000, rne
    TEST_FP_OP2 60, fmul.d, 0xfff0000000000000, 0x5, 0xffe0000000000000, 0x4000000000000000, rne
    TEST_FP_OP2 61, fsub.d, 0x0, 0x0, 0x4000000000000000, 0x4000000000000000, rne
    TEST_FP_OP1 62, fsqrt.d, 0x3ff6a09e667f3bcd, 0x1, 0x4000000000000000, rne
    TEST_FP_OP2 63, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, rtz
    TEST_FP_OP2 64, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, rtz
    TEST_FP_OP2 65, fadd.d, 0x3ff0000000000000, 0x1, 0x3ff0000000000000, 0x3ca0000000000000, rtz
    TEST_FP_OP2 66, fadd.d, 0x3ff0000000000001, 0x1, 0x3ff0000000000000, 0x3cb8000000000000, rtz
    TEST_FP_OP2 67, fmul.d, 0x7fefffffffffffff, 0x5, 0x7fe0000000000000, 0x4000000000000000, rtz
    TEST_FP_OP2 68, fmul.d, 0xffefffffffffffff, 0x5, 0xffe0000000000000, 0x4000000000000000, rtz
    TEST_FP_OP1 69, fsqrt.d, 0x3ff6a09e667f3bcc, 0x1, 0x4000000000000000, rtz
    TEST_FP_OP2 70, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, rdn
    TEST_FP_OP2 71, fdiv.d, 0xbfd5555555555556, 0x1, 0xbff0000000000000, 0x4008000000000000, rdn
    TEST_FP_OP2 72, fadd.d, 0x3ff0000000000000, 0x1, 0x3ff0000000000000, 0x3ca0000000000000, rdn
    TEST_FP_OP2 73, fadd.d, 0x3ff0000000000001, 0x1, 0x3ff0000000000000, 0x3cb8000000000000, rdn
    TEST_FP_OP2 74, fmul.d, 0x7fefffffffffffff, 0x5, 0x7fe0000000000000, 0x4000000000000000, rdn
    TEST_FP_OP2 75, fmul.d, 0xfff0000000000000, 0x5, 0xffe0000000000000, 0x4000000000000000, rdn
    TEST_FP_OP2 76, fsub.d, 0x8000000000000000, 0x0, 0x4000000000000000, 0x4000000000000000, rdn
    TEST_FP_OP1 77, fsqrt.d, 0x3ff6a09e667f3bcc, 0x1, 0x4000000000000000, rdn
    TEST_FP_OP2 78, fdiv.d, 0x3fd5555555555556, 0x1, 0x3ff0000000000000, 0x4008000000000000, rup
    TEST_FP_OP2 79, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, rup
    TEST_FP_OP2 80, fadd.d, 0x3ff0000000000001, 0x1, 0x3ff0000000000000, 0x3ca0000000000000, rup
    TEST_FP_OP2 81, fadd.d, 0x3ff0000000000002, 0x1, 0x3ff0000000000000, 0x3cb8000000000000, rup
    TEST_FP_OP2 82, fmul.d, 0x7ff0000000000000, 0x5, 0x7fe0000000000000, 0x4000000000000000, rup
    TEST_FP_OP2 83, fmul.d, 0xffefffffffffffff, 0x5, 0xffe0000000000000, 0x4000000000000000, rup
    TEST_FP_OP1 84, fsqrt.d, 0x3ff6a09e667f3bcd, 0x1, 0x4000000000000000, rup
    TEST_FP_OP2 85, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, rmm
    TEST_FP_OP2 86, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, rmm
    TEST_FP_OP2 87, fadd.d, 0x3ff0000000000001, 0x1, 0x3ff0000000000000, 0x3ca0000000000000, rmm
    TEST_FP_OP2 88, fadd.d, 0x3ff0000000000002, 0x1, 0x3ff0000000000000, 0x3cb8000000000000, rmm
    TEST_FP_OP2 89, fmul.d, 0x7ff0000000000000, 0x5, 0x7fe0000000000000, 0x4000000000000000, rmm
    TEST_FP_OP2 90, fmul.d, 0xfff0000000000000, 0x5, 0xffe0000000000000, 0x4000000000000000, rmm
    TEST_FP_OP1 91, fsqrt.d, 0x3ff6a09e667f3bcd, 0x1, 0x4000000000000000, rmm

    /* dynamic rounding mode from frm */
    fsrmi 0
    TEST_FP_OP2 92, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, dyn
    TEST_FP_OP2 93, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, dyn
    fsrmi 1
    TEST_FP_OP2 94, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, dyn
    TEST_FP_OP2 95, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, dyn
    fsrmi 2
    TEST_FP_OP2 96, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, dyn
    TEST_FP_OP2 97, fdiv.d, 0xbfd5555555555556, 0x1, 0xbff0000000000000, 0x4008000000000000, dyn
    fsrmi 3
    TEST_FP_OP2 98, fdiv.d, 0x3fd5555555555556, 0x1, 0x3ff0000000000000, 0x4008000000000000, dyn
    TEST_FP_OP2 99, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, dyn
    fsrmi 4
    TEST_FP_OP2 100, fdiv.d, 0x3fd5555555555555, 0x1, 0x3ff0000000000000, 0x4008000000000000, dyn
    TEST_FP_OP2 101, fdiv.d, 0xbfd5555555555555, 0x1, 0xbff0000000000000, 0x4008000000000000, dyn
    fsrmi 0

    /* fused multiply-add: one rounding */
    TEST_FP_OP3 102, fmadd.d, 0x3bd0000000000000, 0x0, 0x3ff0000000080000, 0x3ff0000000080000, 0xbff0000000100000, rne
    TEST_FP_OP3 103, fmsub.d, 0x3bd0000000000000, 0x0, 0x3ff0000000080000, 0x3ff0000000080000, 0x3ff0000000100000, rne
    TEST_FP_OP3 104, fnmadd.d, 0xbbd0000000000000, 0x0, 0x3ff0000000080000, 0x3ff0000000080000, 0xbff0000000100000, rne
    TEST_FP_OP3 105, fnmsub.d, 0xbbd0000000000000, 0x0, 0x3ff0000000080000, 0x3ff0000000080000, 0x3ff0000000100000, rne
    TEST_FP_OP3 106, fmadd.d, 0x4024000000000000, 0x0, 0x4000000000000000, 0x4008000000000000, 0x4010000000000000, rne
    TEST_FP_OP3 107, fmsub.d, 0x4000000000000000, 0x0, 0x4000000000000000, 0x4008000000000000, 0x4010000000000000, rne
    TEST_FP_OP3 108, fnmadd.d, 0xc024000000000000, 0x0, 0x4000000000000000, 0x4008000000000000, 0x4010000000000000, rne
    TEST_FP_OP3 109, fnmsub.d, 0xc000000000000000, 0x0, 0x4000000000000000, 0x4008000000000000, 0x4010000000000000, rne
    TEST_FP_OP3 110, fmadd.d, 0xbc90000000000000, 0x0, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, rne
    TEST_FP_OP3 111, fmsub.d, 0x4000000000000000, 0x1, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, rne
    TEST_FP_OP3 112, fnmadd.d, 0x3c90000000000000, 0x0, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, rne
    TEST_FP_OP3 113, fnmsub.d, 0xc000000000000000, 0x1, 0x3fd5555555555555, 0x4008000000000000, 0xbff0000000000000, rne
    TEST_FP_OP3 114, fmadd.d, 0x3fc1111111111110, 0x0, 0xc000000000000000, 0x3fb999999999999a, 0x3fd5555555555555, rne
    TEST_FP_OP3 115, fmsub.d, 0xbfe1111111111111, 0x0, 0xc000000000000000, 0x3fb999999999999a, 0x3fd5555555555555, rne
    TEST_FP_OP3 116, fnmadd.d, 0xbfc1111111111110, 0x0, 0xc000000000000000, 0x3fb999999999999a, 0x3fd5555555555555, rne
    TEST_FP_OP3 117, fnmsub.d, 0x3fe1111111111111, 0x0, 0xc000000000000000, 0x3fb999999999999a, 0x3fd5555555555555, rne
    TEST_FP_OP3 118, fmadd.d, 0x3fdc71c71c71c71b, 0x1, 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555, rtz
    TEST_FP_OP3 119, fmadd.d, 0x3fdc71c71c71c71b, 0x1, 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555, rdn
    TEST_FP_OP3 120, fmadd.d, 0x3fdc71c71c71c71c, 0x1, 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555, rup
    TEST_FP_OP3 121, fmadd.d, 0x3fdc71c71c71c71c, 0x1, 0x3fd5555555555555, 0x3fd5555555555555, 0x3fd5555555555555, rmm
    TEST_FP_OP3 122, fmadd.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0x0, 0x3ff0000000000000, rne
    TEST_FP_OP3 123, fmadd.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0x0, 0x7ff8000000000000, rne
    TEST_FP_OP3 124, fmadd.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000000, 0x3ff0000000000000, 0xfff0000000000000, rne
    TEST_FP_OP3 125, fmadd.d, 0x7ff8000000000000, 0x10, 0x3ff0000000000000, 0x3ff0000000000000, 0x7ff0000000000001, rne
    TEST_FP_OP3 126, fmadd.d, 0x8000000000000000, 0x0, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000, rne

    /* min/max with signed zeros and NaNs */
    TEST_FP_OP2_NORM 127, fmin.d, 0x8000000000000000, 0x0, 0x0, 0x8000000000000000
    TEST_FP_OP2_NORM 128, fmin.d, 0x8000000000000000, 0x0, 0x8000000000000000, 0x0
    TEST_FP_OP2_NORM 129, fmax.d, 0x0, 0x0, 0x0, 0x8000000000000000
    TEST_FP_OP2_NORM 130, fmax.d, 0x0, 0x0, 0x8000000000000000, 0x0
    TEST_FP_OP2_NORM 131, fmin.d, 0xc000000000000000, 0x0, 0x3ff0000000000000, 0xc000000000000000
    TEST_FP_OP2_NORM 132, fmax.d, 0x3ff0000000000000, 0x0, 0x3ff0000000000000, 0xc000000000000000
    TEST_FP_OP2_NORM 133, fmin.d, 0x4008000000000000, 0x0, 0x7ff8000000000000, 0x4008000000000000
    TEST_FP_OP2_NORM 134, fmax.d, 0x4008000000000000, 0x0, 0x4008000000000000, 0x7ff8000000000000
    TEST_FP_OP2_NORM 135, fmin.d, 0x4008000000000000, 0x10, 0x7ff0000000000001, 0x4008000000000000
    TEST_FP_OP2_NORM 136, fmax.d, 0x4008000000000000, 0x10, 0x4008000000000000, 0x7ff0000000000001
    TEST_FP_OP2_NORM 137, fmin.d, 0x7ff8000000000000, 0x0, 0x7ff8000000000000, 0x7ff8000000000000
    TEST_FP_OP2_NORM 138, fmax.d, 0x7ff8000000000000, 0x10, 0x7ff0000000000001, 0x7ff8000000000000
    TEST_FP_OP2_NORM 139, fmin.d, 0x7ff8000000000000, 0x0, 0x7ff8000000001234, 0xfff8000000000000
    TEST_FP_OP2_NORM 140, fmin.d, 0xfff0000000000000, 0x0, 0xfff0000000000000, 0x7ff0000000000000
    TEST_FP_OP2_NORM 141, fmax.d, 0x7ff0000000000000, 0x0, 0xfff0000000000000, 0x7ff0000000000000

    /* sign injection keeps NaN payloads */
    TEST_FP_OP2_NORM 142, fsgnj.d, 0xc008000000000000, 0x0, 0x4008000000000000, 0xbff0000000000000
    TEST_FP_OP2_NORM 143, fsgnj.d, 0x4008000000000000, 0x0, 0xc008000000000000, 0x3ff0000000000000
    TEST_FP_OP2_NORM 144, fsgnjn.d, 0x4008000000000000, 0x0, 0x4008000000000000, 0xbff0000000000000
    TEST_FP_OP2_NORM 145, fsgnjn.d, 0xc008000000000000, 0x0, 0x4008000000000000, 0x3ff0000000000000
    TEST_FP_OP2_NORM 146, fsgnjx.d, 0x4008000000000000, 0x0, 0xc008000000000000, 0xbff0000000000000
    TEST_FP_OP2_NORM 147, fsgnjx.d, 0xc008000000000000, 0x0, 0xc008000000000000, 0x3ff0000000000000
    TEST_FP_OP2_NORM 148, fsgnj.d, 0xfff8000000001235, 0x0, 0x7ff8000000001235, 0x8000000000000000
    TEST_FP_OP2_NORM 149, fsgnjn.d, 0xfff0000000000001, 0x0, 0x7ff0000000000001, 0x7ff0000000000001

    /* compare: feq quiet, flt/fle signaling */
    TEST_FP_CMP 150, feq.d, 1, 0x0, 0x3ff0000000000000, 0x3ff0000000000000
    TEST_FP_CMP 151, feq.d, 0, 0x0, 0x3ff0000000000000, 0x4000000000000000
    TEST_FP_CMP 152, feq.d, 1, 0x0, 0x0, 0x8000000000000000
    TEST_FP_CMP 153, feq.d, 0, 0x0, 0x7ff8000000000000, 0x3ff0000000000000
    TEST_FP_CMP 154, feq.d, 0, 0x0, 0x7ff8000000000000, 0x7ff8000000000000
    TEST_FP_CMP 155, feq.d, 0, 0x10, 0x7ff0000000000001, 0x3ff0000000000000
    TEST_FP_CMP 156, flt.d, 1, 0x0, 0x3ff0000000000000, 0x4000000000000000
    TEST_FP_CMP 157, flt.d, 0, 0x0, 0x4000000000000000, 0x3ff0000000000000
    TEST_FP_CMP 158, flt.d, 0, 0x0, 0x8000000000000000, 0x0
    TEST_FP_CMP 159, flt.d, 1, 0x0, 0xfff0000000000000, 0xbff0000000000000
    TEST_FP_CMP 160, flt.d, 0, 0x10, 0x7ff8000000000000, 0x3ff0000000000000
    TEST_FP_CMP 161, fle.d, 1, 0x0, 0x3ff0000000000000, 0x3ff0000000000000
    TEST_FP_CMP 162, fle.d, 0, 0x0, 0x4000000000000000, 0x3ff0000000000000
    TEST_FP_CMP 163, fle.d, 1, 0x0, 0x8000000000000000, 0x0
    TEST_FP_CMP 164, fle.d, 0, 0x10, 0x3ff0000000000000, 0x7ff8000000000000
    TEST_FP_CMP 165, fle.d, 0, 0x10, 0x7ff0000000000001, 0x7ff0000000000001

    /* classify */
    TEST_FP_CLASS 166, fclass.d, 0x1, 0xfff0000000000000
    TEST_FP_CLASS 167, fclass.d, 0x2, 0xc014000000000000
    TEST_FP_CLASS 168, fclass.d, 0x4, 0x8000000000000001
    TEST_FP_CLASS 169, fclass.d, 0x8, 0x8000000000000000
    TEST_FP_CLASS 170, fclass.d, 0x10, 0x0
    TEST_FP_CLASS 171, fclass.d, 0x20, 0x1
    TEST_FP_CLASS 172, fclass.d, 0x40, 0x4014000000000000
    TEST_FP_CLASS 173, fclass.d, 0x80, 0x7ff0000000000000
    TEST_FP_CLASS 174, fclass.d, 0x100, 0x7ff0000000000001
    TEST_FP_CLASS 175, fclass.d, 0x200, 0x7ff8000000000000
    TEST_FP_CLASS 176, fclass.d, 0x200, 0xfff8000000000000
    TEST_FP_CLASS 177, fclass.d, 0x40, 0x10000000000000
    TEST_FP_CLASS 178, fclass.d, 0x20, 0xfffffffffffff

    /* conversions to integers: rounding and saturation */
    TEST_FP_TO_INT 179, fcvt.w.d, 0x2, 0x1, 0x4004000000000000, rne
    TEST_FP_TO_INT 180, fcvt.w.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rne
    TEST_FP_TO_INT 181, fcvt.l.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rne
    TEST_FP_TO_INT 182, fcvt.w.d, 0x2, 0x1, 0x4004000000000000, rtz
    TEST_FP_TO_INT 183, fcvt.w.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rtz
    TEST_FP_TO_INT 184, fcvt.l.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rtz
    TEST_FP_TO_INT 185, fcvt.w.d, 0x2, 0x1, 0x4004000000000000, rdn
    TEST_FP_TO_INT 186, fcvt.w.d, 0xfffffffffffffffd, 0x1, 0xc004000000000000, rdn
    TEST_FP_TO_INT 187, fcvt.l.d, 0xfffffffffffffffd, 0x1, 0xc004000000000000, rdn
    TEST_FP_TO_INT 188, fcvt.w.d, 0x3, 0x1, 0x4004000000000000, rup
    TEST_FP_TO_INT 189, fcvt.w.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rup
    TEST_FP_TO_INT 190, fcvt.l.d, 0xfffffffffffffffe, 0x1, 0xc004000000000000, rup
    TEST_FP_TO_INT 191, fcvt.w.d, 0x3, 0x1, 0x4004000000000000, rmm
    TEST_FP_TO_INT 192, fcvt.w.d, 0xfffffffffffffffd, 0x1, 0xc004000000000000, rmm
    TEST_FP_TO_INT 193, fcvt.l.d, 0xfffffffffffffffd, 0x1, 0xc004000000000000, rmm
    TEST_FP_TO_INT 194, fcvt.w.d, 0xfffffffffffffff9, 0x0, 0xc01c000000000000, rtz
    TEST_FP_TO_INT 195, fcvt.w.d, 0x7fffffff, 0x10, 0x7ff8000000000000, rtz
    TEST_FP_TO_INT 196, fcvt.w.d, 0x7fffffff, 0x10, 0xfff8000000000000, rtz
    TEST_FP_TO_INT 197, fcvt.w.d, 0x7fffffff, 0x10, 0x7ff0000000000000, rtz
    TEST_FP_TO_INT 198, fcvt.w.d, 0xffffffff80000000, 0x10, 0xfff0000000000000, rtz
    TEST_FP_TO_INT 199, fcvt.w.d, 0x7fffffff, 0x10, 0x41e0000000000000, rtz
    TEST_FP_TO_INT 200, fcvt.w.d, 0xffffffff80000000, 0x0, 0xc1e0000000000000, rtz
    TEST_FP_TO_INT 201, fcvt.w.d, 0xffffffff80000000, 0x10, 0xc200000000000000, rtz
    TEST_FP_TO_INT 202, fcvt.wu.d, 0xffffffffb2d05e00, 0x0, 0x41e65a0bc0000000, rtz
    TEST_FP_TO_INT 203, fcvt.wu.d, 0xffffffffffffffff, 0x10, 0x7ff8000000000000, rtz
    TEST_FP_TO_INT 204, fcvt.wu.d, 0xffffffffffffffff, 0x10, 0x7ff0000000000000, rtz
    TEST_FP_TO_INT 205, fcvt.wu.d, 0x0, 0x10, 0xfff0000000000000, rtz
    TEST_FP_TO_INT 206, fcvt.wu.d, 0x0, 0x10, 0xbff0000000000000, rtz
    TEST_FP_TO_INT 207, fcvt.wu.d, 0x0, 0x1, 0xbfe0000000000000, rtz
    TEST_FP_TO_INT 208, fcvt.wu.d, 0x0, 0x10, 0xbfe0000000000000, rdn
    TEST_FP_TO_INT 209, fcvt.wu.d, 0xffffffffffffffff, 0x10, 0x41f0000000000000, rtz
    TEST_FP_TO_INT 210, fcvt.l.d, 0x7fffffffffffffff, 0x10, 0x7ff8000000000000, rtz
    TEST_FP_TO_INT 211, fcvt.l.d, 0x7fffffffffffffff, 0x10, 0x7ff0000000000000, rtz
    TEST_FP_TO_INT 212, fcvt.l.d, 0x8000000000000000, 0x10, 0xfff0000000000000, rtz
    TEST_FP_TO_INT 213, fcvt.l.d, 0x7fffffffffffffff, 0x10, 0x43e0000000000000, rtz
    TEST_FP_TO_INT 214, fcvt.l.d, 0x8000000000000000, 0x0, 0xc3e0000000000000, rtz
    TEST_FP_TO_INT 215, fcvt.l.d, 0x10000000000, 0x0, 0x4270000000000000, rtz
    TEST_FP_TO_INT 216, fcvt.lu.d, 0xffffffffffffffff, 0x10, 0x7ff8000000000000, rtz
    TEST_FP_TO_INT 217, fcvt.lu.d, 0xffffffffffffffff, 0x10, 0x7ff0000000000000, rtz
    TEST_FP_TO_INT 218, fcvt.lu.d, 0x0, 0x10, 0xfff0000000000000, rtz
    TEST_FP_TO_INT 219, fcvt.lu.d, 0x0, 0x10, 0xc008000000000000, rtz
    TEST_FP_TO_INT 220, fcvt.lu.d, 0x8000000000000000, 0x0, 0x43e0000000000000, rtz
    TEST_FP_TO_INT 221, fcvt.lu.d, 0xffffffffffffffff, 0x10, 0x43f0000000000000, rtz
    TEST_FP_TO_INT 222, fcvt.lu.d, 0x0, 0x1, 0xbfd0000000000000, rne

    /* conversions from integers */
    TEST_FP_FROM_INT 223, fcvt.d.w, 0xbff0000000000000, 0x0, 0xffffffffffffffff, none
    TEST_FP_FROM_INT 224, fcvt.d.w, 0x0, 0x0, 0x0, none
    TEST_FP_FROM_INT 225, fcvt.d.w, 0x41dfffffffc00000, 0x0, 0x7fffffff, none
    TEST_FP_FROM_INT 226, fcvt.d.w, 0x41dfffffffc00000, 0x0, 0x7fffffff, none
    TEST_FP_FROM_INT 227, fcvt.d.w, 0xc1e0000000000000, 0x0, 0xffffffff80000000, none
    TEST_FP_FROM_INT 228, fcvt.d.wu, 0x41efffffffe00000, 0x0, 0xffffffff, none
    TEST_FP_FROM_INT 229, fcvt.d.wu, 0x41efffffffe00000, 0x0, 0xffffffff, none
    TEST_FP_FROM_INT 230, fcvt.d.l, 0x43e0000000000000, 0x1, 0x7fffffffffffffff, rne
    TEST_FP_FROM_INT 231, fcvt.d.l, 0x43dfffffffffffff, 0x1, 0x7fffffffffffffff, rtz
    TEST_FP_FROM_INT 232, fcvt.d.l, 0xc3e0000000000000, 0x0, 0x8000000000000000, rne
    TEST_FP_FROM_INT 233, fcvt.d.l, 0xc0c81c8000000000, 0x0, 0xffffffffffffcfc7, rne
    TEST_FP_FROM_INT 234, fcvt.d.lu, 0x43f0000000000000, 0x1, 0xffffffffffffffff, rne
    TEST_FP_FROM_INT 235, fcvt.d.lu, 0x43efffffffffffff, 0x1, 0xffffffffffffffff, rtz
    TEST_FP_FROM_INT 236, fcvt.d.lu, 0x419d6f3454000000, 0x0, 0x75bcd15, rne
    TEST_FP_FROM_INT 237, fcvt.d.lu, 0x419d6f3454000000, 0x0, 0x75bcd15, rup
    TEST_FP_FROM_INT 238, fcvt.d.w, 0xc000000000000000, 0, 0x12345678fffffffe, none
    TEST_FP_FROM_INT 239, fcvt.d.wu, 0x4008000000000000, 0, 0xffffffff00000003, none

    /* ---- NaN-boxing: 0x0000000040400000 is 3.0f without the box, so single reads it as qNaN */
    TEST_FP_OP2 240, fadd.s, 0xffffffff7fc00000, 0, 0x0000000040400000, 0x0000000040400000, rne
    /* fmv.w.x of the same bits is 3.0f; an unboxed operand still gives the canonical NaN */
    TESTNUM 241
    li t0, 0x40400000
    fmv.w.x fa2, t0
    FLOAD fa1, 0x0000000040400000
    fsflags zero
    fadd.s fa0, fa2, fa1
    CHECK_FP_RESULT 241, 0xffffffff7fc00000, 0
    fadd.s fa0, fa2, fa2
    CHECK_FP_RESULT 241, 0xffffffff40c00000, 0
    /* almost boxed (one upper bit clear) is not boxed */
    TEST_FP_OP2 242, fmul.s, 0xffffffff7fc00000, 0, 0xfffffffe40400000, 0xffffffff40400000, rne
    /* sign injection sees the canonical NaN too, then takes rs2's sign */
    TEST_FP_OP2_NORM 243, fsgnj.s, 0xffffffffffc00000, 0, 0x0000000040400000, 0xffffffffbf800000
    TEST_FP_CLASS 244, fclass.s, 0x200, 0x0000000040400000
    TEST_FP_CMP 245, feq.s, 0, 0, 0x0000000040400000, 0x0000000040400000
    TEST_FP_OP1 246, fcvt.d.s, 0x7ff8000000000000, 0, 0x0000000040400000, none
    TEST_FP_TO_INT 247, fcvt.w.s, 0x7fffffff, 0x10, 0x0000000040400000, rtz

    /* ---- double <-> single */
    TEST_FP_OP1 248, fcvt.s.d, 0xffffffff3eaaaaab, 0x1, 0x3fd5555555555555, rne
    TEST_FP_OP1 249, fcvt.s.d, 0xffffffff3eaaaaaa, 0x1, 0x3fd5555555555555, rtz
    TEST_FP_OP1 250, fcvt.s.d, 0xffffffff7f800000, 0x5, 0x7e37e43c8800759c, rne   /* 1e300: overflow */
    TEST_FP_OP1 251, fcvt.s.d, 0xffffffff00000002, 0x3, 0x36a8000000000000, rne   /* 1.5 * 2^-149: underflow */
    TEST_FP_OP1 252, fcvt.s.d, 0xffffffff7fc00000, 0x10, 0x7ff0000000000001, rne  /* sNaN: canonical, invalid */
    TEST_FP_OP1 254, fcvt.d.s, 0x3fb99999a0000000, 0, 0xffffffff3dcccccd, none   /* 0.1f widened exactly */
    TEST_FP_OP1 255, fcvt.d.s, 0x7ff8000000000000, 0x10, 0xffffffff7f800001, none /* sNaN */

    /* an sNaN moves through fld, fsd and fmv.x.d untouched */
    TESTNUM 253
    la a1, ddata
    fld fa0, 0(a1)
    fsd fa0, 8(a1)
    ld a0, 8(a1)
    CHECK_EQ a0, 0x7ff0000000000001
    fmv.x.d a0, fa0
    CHECK_EQ a0, 0x7ff0000000000001
TEST_END

    .data
    .balign 8
ddata:
    .dword 0x7ff0000000000001, 0
