/* RV64F: single-precision arithmetic with fflags, every static rounding mode and the dynamic
 * mode from frm, reserved rounding modes, canonical NaN results, sNaN/qNaN handling, FMA with
 * a single rounding, fmin/fmax with signed zeros and NaNs, comparisons, fclass, conversions
 * with saturation, NaN-boxing of every result, and the 32-bit transfers. Expected values are
 * computed independently with exact rational arithmetic. */
#include "test_macros.h"

#define FMV_TO_F fmv.w.x
/* rm = none for the exact conversions, which take no rounding mode.
 * Operands are given as bit patterns and moved in with FMV_TO_F; results are read back with
 * fmv.x.d, so a single-precision result must be NaN-boxed (upper 32 bits all ones).
 * Every case also checks fflags, cleared before the operation. */
#include "fp_macros.h"

TEST_BEGIN

    /* add/sub/mul/div/sqrt, round to nearest even, with exceptions flags */
    TEST_FP_OP2 1, fadd.s, 0xffffffff40400000, 0x0, 0x3f800000, 0x40000000, rne
    TEST_FP_OP2 2, fadd.s, 0xffffffff3f400000, 0x0, 0x3f000000, 0x3e800000, rne
    TEST_FP_OP2 3, fadd.s, 0xffffffff49742400, 0x1, 0x49742400, 0x3a83126f, rne
    TEST_FP_OP2 4, fadd.s, 0xffffffffc0124924, 0x1, 0xc0400000, 0x3f36db6e, rne
    TEST_FP_OP2 5, fadd.s, 0xffffffff3aa5b000, 0x0, 0x40492492, 0xc0490fdc, rne
    TEST_FP_OP2 6, fadd.s, 0xffffffff00000000, 0x0, 0x3f800000, 0xbf800000, rne
    TEST_FP_OP2 7, fadd.s, 0xffffffff80000000, 0x0, 0x80000000, 0x80000000, rne
    TEST_FP_OP2 8, fadd.s, 0xffffffff00000000, 0x0, 0x0, 0x80000000, rne
    TEST_FP_OP2 9, fadd.s, 0xffffffff7f800000, 0x5, 0x7f7fffff, 0x7f7fffff, rne
    TEST_FP_OP2 10, fadd.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0xff800000, rne
    TEST_FP_OP2 11, fadd.s, 0xffffffff7f800000, 0x0, 0x7f800000, 0x40a00000, rne
    TEST_FP_OP2 12, fadd.s, 0xffffffff7fc00000, 0x0, 0x7fc00000, 0x3f800000, rne
    TEST_FP_OP2 13, fadd.s, 0xffffffff7fc00000, 0x10, 0x7f800001, 0x3f800000, rne
    TEST_FP_OP2 14, fadd.s, 0xffffffff7fc00000, 0x0, 0x7fc01234, 0x3f800000, rne
    TEST_FP_OP2 15, fsub.s, 0xffffffff40000000, 0x0, 0x40400000, 0x3f800000, rne
    TEST_FP_OP2 16, fsub.s, 0xffffffffc0000000, 0x0, 0x3f800000, 0x40400000, rne
    TEST_FP_OP2 17, fsub.s, 0xffffffffbe6eeef0, 0x1, 0x3dcccccd, 0x3eaaaaab, rne
    TEST_FP_OP2 18, fsub.s, 0xffffffff3f800000, 0x1, 0x3f800000, 0x33000000, rne
    TEST_FP_OP2 19, fsub.s, 0xffffffff00000000, 0x0, 0x40000000, 0x40000000, rne
    TEST_FP_OP2 20, fsub.s, 0xffffffff80000000, 0x0, 0x80000000, 0x0, rne
    TEST_FP_OP2 21, fsub.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0x7f800000, rne
    TEST_FP_OP2 22, fmul.s, 0xffffffff41a80000, 0x0, 0x40400000, 0x40e00000, rne
    TEST_FP_OP2 23, fmul.s, 0xffffffff3c23d70b, 0x1, 0x3dcccccd, 0x3dcccccd, rne
    TEST_FP_OP2 24, fmul.s, 0xffffffffbeaaaaab, 0x0, 0xbf800000, 0x3eaaaaab, rne
    TEST_FP_OP2 25, fmul.s, 0xffffffffc0100000, 0x0, 0x3fc00000, 0xbfc00000, rne
    TEST_FP_OP2 26, fmul.s, 0xffffffff00aaaaab, 0x0, 0x1800000, 0x3eaaaaab, rne
    TEST_FP_OP2 27, fmul.s, 0xffffffff00400000, 0x0, 0x800000, 0x3f000000, rne
    TEST_FP_OP2 28, fmul.s, 0xffffffff7f800000, 0x5, 0x7f000000, 0x40800000, rne
    TEST_FP_OP2 29, fmul.s, 0xffffffff7fc00000, 0x10, 0x0, 0x7f800000, rne
    TEST_FP_OP2 30, fmul.s, 0xffffffff80000000, 0x0, 0x80000000, 0x40a00000, rne
    TEST_FP_OP2 31, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, rne
    TEST_FP_OP2 32, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, rne
    TEST_FP_OP2 33, fdiv.s, 0xffffffff40492492, 0x1, 0x41b00000, 0x40e00000, rne
    TEST_FP_OP2 34, fdiv.s, 0xffffffff3e000000, 0x0, 0x3f000000, 0x40800000, rne
    TEST_FP_OP2 35, fdiv.s, 0xffffffff40000000, 0x0, 0x40c00000, 0x40400000, rne
    TEST_FP_OP2 36, fdiv.s, 0xffffffff3dcccccd, 0x1, 0x3f800000, 0x41200000, rne
    TEST_FP_OP2 37, fdiv.s, 0xffffffff7f800000, 0x8, 0x3f800000, 0x0, rne
    TEST_FP_OP2 38, fdiv.s, 0xffffffffff800000, 0x8, 0xbf800000, 0x0, rne
    TEST_FP_OP2 39, fdiv.s, 0xffffffffff800000, 0x8, 0x3f800000, 0x80000000, rne
    TEST_FP_OP2 40, fdiv.s, 0xffffffff7fc00000, 0x10, 0x0, 0x0, rne
    TEST_FP_OP2 41, fdiv.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0x7f800000, rne
    TEST_FP_OP2 42, fdiv.s, 0xffffffff00000000, 0x0, 0x3f800000, 0x7f800000, rne
    TEST_FP_OP2 43, fdiv.s, 0xffffffff7f800000, 0x0, 0x7f800000, 0x0, rne
    TEST_FP_OP1 44, fsqrt.s, 0xffffffff40000000, 0x0, 0x40800000, rne
    TEST_FP_OP1 45, fsqrt.s, 0xffffffff3fb504f3, 0x1, 0x40000000, rne
    TEST_FP_OP1 46, fsqrt.s, 0xffffffff3f000000, 0x0, 0x3e800000, rne
    TEST_FP_OP1 47, fsqrt.s, 0xffffffff3fddb3d7, 0x1, 0x40400000, rne
    TEST_FP_OP1 48, fsqrt.s, 0xffffffff447a0008, 0x1, 0x49742410, rne
    TEST_FP_OP1 49, fsqrt.s, 0xffffffff1a3504f3, 0x1, 0x1, rne
    TEST_FP_OP1 50, fsqrt.s, 0xffffffff80000000, 0x0, 0x80000000, rne
    TEST_FP_OP1 51, fsqrt.s, 0xffffffff7fc00000, 0x10, 0xbf800000, rne
    TEST_FP_OP1 52, fsqrt.s, 0xffffffff7f800000, 0x0, 0x7f800000, rne
    TEST_FP_OP1 53, fsqrt.s, 0xffffffff7fc00000, 0x10, 0xff800000, rne
    TEST_FP_OP1 54, fsqrt.s, 0xffffffff7fc00000, 0x10, 0x7f800001, rne

    /* static rounding modes */
    TEST_FP_OP2 55, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, rne
    TEST_FP_OP2 56, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, rne
    TEST_FP_OP2 57, fadd.s, 0xffffffff3f800000, 0x1, 0x3f800000, 0x33800000, rne
    TEST_FP_OP2 58, fadd.s, 0xffffffff3f800002, 0x1, 0x3f800000, 0x34400000, rne
    TEST_FP_OP2 59, fmul.s, 0xffffffff7f800000, 0x5, 0x7f000000, 0x40000000, rne
    TEST_FP_OP2 60, fmul.s, 0xffffffffff800000, 0x5, 0xff000000, 0x40000000, rne
    TEST_FP_OP2 61, fsub.s, 0xffffffff00000000, 0x0, 0x40000000, 0x40000000, rne
    TEST_FP_OP1 62, fsqrt.s, 0xffffffff3fb504f3, 0x1, 0x40000000, rne
    TEST_FP_OP2 63, fdiv.s, 0xffffffff3eaaaaaa, 0x1, 0x3f800000, 0x40400000, rtz
    TEST_FP_OP2 64, fdiv.s, 0xffffffffbeaaaaaa, 0x1, 0xbf800000, 0x40400000, rtz
    TEST_FP_OP2 65, fadd.s, 0xffffffff3f800000, 0x1, 0x3f800000, 0x33800000, rtz
    TEST_FP_OP2 66, fadd.s, 0xffffffff3f800001, 0x1, 0x3f800000, 0x34400000, rtz
    TEST_FP_OP2 67, fmul.s, 0xffffffff7f7fffff, 0x5, 0x7f000000, 0x40000000, rtz
    TEST_FP_OP2 68, fmul.s, 0xffffffffff7fffff, 0x5, 0xff000000, 0x40000000, rtz
    TEST_FP_OP1 69, fsqrt.s, 0xffffffff3fb504f3, 0x1, 0x40000000, rtz
    TEST_FP_OP2 70, fdiv.s, 0xffffffff3eaaaaaa, 0x1, 0x3f800000, 0x40400000, rdn
    TEST_FP_OP2 71, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, rdn
    TEST_FP_OP2 72, fadd.s, 0xffffffff3f800000, 0x1, 0x3f800000, 0x33800000, rdn
    TEST_FP_OP2 73, fadd.s, 0xffffffff3f800001, 0x1, 0x3f800000, 0x34400000, rdn
    TEST_FP_OP2 74, fmul.s, 0xffffffff7f7fffff, 0x5, 0x7f000000, 0x40000000, rdn
    TEST_FP_OP2 75, fmul.s, 0xffffffffff800000, 0x5, 0xff000000, 0x40000000, rdn
    TEST_FP_OP2 76, fsub.s, 0xffffffff80000000, 0x0, 0x40000000, 0x40000000, rdn
    TEST_FP_OP1 77, fsqrt.s, 0xffffffff3fb504f3, 0x1, 0x40000000, rdn
    TEST_FP_OP2 78, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, rup
    TEST_FP_OP2 79, fdiv.s, 0xffffffffbeaaaaaa, 0x1, 0xbf800000, 0x40400000, rup
    TEST_FP_OP2 80, fadd.s, 0xffffffff3f800001, 0x1, 0x3f800000, 0x33800000, rup
    TEST_FP_OP2 81, fadd.s, 0xffffffff3f800002, 0x1, 0x3f800000, 0x34400000, rup
    TEST_FP_OP2 82, fmul.s, 0xffffffff7f800000, 0x5, 0x7f000000, 0x40000000, rup
    TEST_FP_OP2 83, fmul.s, 0xffffffffff7fffff, 0x5, 0xff000000, 0x40000000, rup
    TEST_FP_OP1 84, fsqrt.s, 0xffffffff3fb504f4, 0x1, 0x40000000, rup
    TEST_FP_OP2 85, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, rmm
    TEST_FP_OP2 86, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, rmm
    TEST_FP_OP2 87, fadd.s, 0xffffffff3f800001, 0x1, 0x3f800000, 0x33800000, rmm
    TEST_FP_OP2 88, fadd.s, 0xffffffff3f800002, 0x1, 0x3f800000, 0x34400000, rmm
    TEST_FP_OP2 89, fmul.s, 0xffffffff7f800000, 0x5, 0x7f000000, 0x40000000, rmm
    TEST_FP_OP2 90, fmul.s, 0xffffffffff800000, 0x5, 0xff000000, 0x40000000, rmm
    TEST_FP_OP1 91, fsqrt.s, 0xffffffff3fb504f3, 0x1, 0x40000000, rmm

    /* dynamic rounding mode from frm */
    fsrmi 0
    TEST_FP_OP2 92, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, dyn
    TEST_FP_OP2 93, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, dyn
    fsrmi 1
    TEST_FP_OP2 94, fdiv.s, 0xffffffff3eaaaaaa, 0x1, 0x3f800000, 0x40400000, dyn
    TEST_FP_OP2 95, fdiv.s, 0xffffffffbeaaaaaa, 0x1, 0xbf800000, 0x40400000, dyn
    fsrmi 2
    TEST_FP_OP2 96, fdiv.s, 0xffffffff3eaaaaaa, 0x1, 0x3f800000, 0x40400000, dyn
    TEST_FP_OP2 97, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, dyn
    fsrmi 3
    TEST_FP_OP2 98, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, dyn
    TEST_FP_OP2 99, fdiv.s, 0xffffffffbeaaaaaa, 0x1, 0xbf800000, 0x40400000, dyn
    fsrmi 4
    TEST_FP_OP2 100, fdiv.s, 0xffffffff3eaaaaab, 0x1, 0x3f800000, 0x40400000, dyn
    TEST_FP_OP2 101, fdiv.s, 0xffffffffbeaaaaab, 0x1, 0xbf800000, 0x40400000, dyn
    fsrmi 0

    /* fused multiply-add: one rounding */
    TEST_FP_OP3 102, fmadd.s, 0xffffffff2d800000, 0x0, 0x3f800020, 0x3f800020, 0xbf800040, rne
    TEST_FP_OP3 103, fmsub.s, 0xffffffff2d800000, 0x0, 0x3f800020, 0x3f800020, 0x3f800040, rne
    TEST_FP_OP3 104, fnmadd.s, 0xffffffffad800000, 0x0, 0x3f800020, 0x3f800020, 0xbf800040, rne
    TEST_FP_OP3 105, fnmsub.s, 0xffffffffad800000, 0x0, 0x3f800020, 0x3f800020, 0x3f800040, rne
    TEST_FP_OP3 106, fmadd.s, 0xffffffff41200000, 0x0, 0x40000000, 0x40400000, 0x40800000, rne
    TEST_FP_OP3 107, fmsub.s, 0xffffffff40000000, 0x0, 0x40000000, 0x40400000, 0x40800000, rne
    TEST_FP_OP3 108, fnmadd.s, 0xffffffffc1200000, 0x0, 0x40000000, 0x40400000, 0x40800000, rne
    TEST_FP_OP3 109, fnmsub.s, 0xffffffffc0000000, 0x0, 0x40000000, 0x40400000, 0x40800000, rne
    TEST_FP_OP3 110, fmadd.s, 0xffffffff33000000, 0x0, 0x3eaaaaab, 0x40400000, 0xbf800000, rne
    TEST_FP_OP3 111, fmsub.s, 0xffffffff40000000, 0x1, 0x3eaaaaab, 0x40400000, 0xbf800000, rne
    TEST_FP_OP3 112, fnmadd.s, 0xffffffffb3000000, 0x0, 0x3eaaaaab, 0x40400000, 0xbf800000, rne
    TEST_FP_OP3 113, fnmsub.s, 0xffffffffc0000000, 0x1, 0x3eaaaaab, 0x40400000, 0xbf800000, rne
    TEST_FP_OP3 114, fmadd.s, 0xffffffff3e088889, 0x0, 0xc0000000, 0x3dcccccd, 0x3eaaaaab, rne
    TEST_FP_OP3 115, fmsub.s, 0xffffffffbf088889, 0x1, 0xc0000000, 0x3dcccccd, 0x3eaaaaab, rne
    TEST_FP_OP3 116, fnmadd.s, 0xffffffffbe088889, 0x0, 0xc0000000, 0x3dcccccd, 0x3eaaaaab, rne
    TEST_FP_OP3 117, fnmsub.s, 0xffffffff3f088889, 0x1, 0xc0000000, 0x3dcccccd, 0x3eaaaaab, rne
    TEST_FP_OP3 118, fmadd.s, 0xffffffff3ee38e39, 0x1, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, rtz
    TEST_FP_OP3 119, fmadd.s, 0xffffffff3ee38e39, 0x1, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, rdn
    TEST_FP_OP3 120, fmadd.s, 0xffffffff3ee38e3a, 0x1, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, rup
    TEST_FP_OP3 121, fmadd.s, 0xffffffff3ee38e39, 0x1, 0x3eaaaaab, 0x3eaaaaab, 0x3eaaaaab, rmm
    TEST_FP_OP3 122, fmadd.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0x0, 0x3f800000, rne
    TEST_FP_OP3 123, fmadd.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0x0, 0x7fc00000, rne
    TEST_FP_OP3 124, fmadd.s, 0xffffffff7fc00000, 0x10, 0x7f800000, 0x3f800000, 0xff800000, rne
    TEST_FP_OP3 125, fmadd.s, 0xffffffff7fc00000, 0x10, 0x3f800000, 0x3f800000, 0x7f800001, rne
    TEST_FP_OP3 126, fmadd.s, 0xffffffff80000000, 0x0, 0x40000000, 0x80000000, 0x80000000, rne

    /* min/max with signed zeros and NaNs */
    TEST_FP_OP2_NORM 127, fmin.s, 0xffffffff80000000, 0x0, 0x0, 0x80000000
    TEST_FP_OP2_NORM 128, fmin.s, 0xffffffff80000000, 0x0, 0x80000000, 0x0
    TEST_FP_OP2_NORM 129, fmax.s, 0xffffffff00000000, 0x0, 0x0, 0x80000000
    TEST_FP_OP2_NORM 130, fmax.s, 0xffffffff00000000, 0x0, 0x80000000, 0x0
    TEST_FP_OP2_NORM 131, fmin.s, 0xffffffffc0000000, 0x0, 0x3f800000, 0xc0000000
    TEST_FP_OP2_NORM 132, fmax.s, 0xffffffff3f800000, 0x0, 0x3f800000, 0xc0000000
    TEST_FP_OP2_NORM 133, fmin.s, 0xffffffff40400000, 0x0, 0x7fc00000, 0x40400000
    TEST_FP_OP2_NORM 134, fmax.s, 0xffffffff40400000, 0x0, 0x40400000, 0x7fc00000
    TEST_FP_OP2_NORM 135, fmin.s, 0xffffffff40400000, 0x10, 0x7f800001, 0x40400000
    TEST_FP_OP2_NORM 136, fmax.s, 0xffffffff40400000, 0x10, 0x40400000, 0x7f800001
    TEST_FP_OP2_NORM 137, fmin.s, 0xffffffff7fc00000, 0x0, 0x7fc00000, 0x7fc00000
    TEST_FP_OP2_NORM 138, fmax.s, 0xffffffff7fc00000, 0x10, 0x7f800001, 0x7fc00000
    TEST_FP_OP2_NORM 139, fmin.s, 0xffffffff7fc00000, 0x0, 0x7fc01234, 0xffc00000
    TEST_FP_OP2_NORM 140, fmin.s, 0xffffffffff800000, 0x0, 0xff800000, 0x7f800000
    TEST_FP_OP2_NORM 141, fmax.s, 0xffffffff7f800000, 0x0, 0xff800000, 0x7f800000

    /* sign injection keeps NaN payloads */
    TEST_FP_OP2_NORM 142, fsgnj.s, 0xffffffffc0400000, 0x0, 0x40400000, 0xbf800000
    TEST_FP_OP2_NORM 143, fsgnj.s, 0xffffffff40400000, 0x0, 0xc0400000, 0x3f800000
    TEST_FP_OP2_NORM 144, fsgnjn.s, 0xffffffff40400000, 0x0, 0x40400000, 0xbf800000
    TEST_FP_OP2_NORM 145, fsgnjn.s, 0xffffffffc0400000, 0x0, 0x40400000, 0x3f800000
    TEST_FP_OP2_NORM 146, fsgnjx.s, 0xffffffff40400000, 0x0, 0xc0400000, 0xbf800000
    TEST_FP_OP2_NORM 147, fsgnjx.s, 0xffffffffc0400000, 0x0, 0xc0400000, 0x3f800000
    TEST_FP_OP2_NORM 148, fsgnj.s, 0xffffffffffc01235, 0x0, 0x7fc01235, 0x80000000
    TEST_FP_OP2_NORM 149, fsgnjn.s, 0xffffffffff800001, 0x0, 0x7f800001, 0x7f800001

    /* compare: feq quiet, flt/fle signaling */
    TEST_FP_CMP 150, feq.s, 1, 0x0, 0x3f800000, 0x3f800000
    TEST_FP_CMP 151, feq.s, 0, 0x0, 0x3f800000, 0x40000000
    TEST_FP_CMP 152, feq.s, 1, 0x0, 0x0, 0x80000000
    TEST_FP_CMP 153, feq.s, 0, 0x0, 0x7fc00000, 0x3f800000
    TEST_FP_CMP 154, feq.s, 0, 0x0, 0x7fc00000, 0x7fc00000
    TEST_FP_CMP 155, feq.s, 0, 0x10, 0x7f800001, 0x3f800000
    TEST_FP_CMP 156, flt.s, 1, 0x0, 0x3f800000, 0x40000000
    TEST_FP_CMP 157, flt.s, 0, 0x0, 0x40000000, 0x3f800000
    TEST_FP_CMP 158, flt.s, 0, 0x0, 0x80000000, 0x0
    TEST_FP_CMP 159, flt.s, 1, 0x0, 0xff800000, 0xbf800000
    TEST_FP_CMP 160, flt.s, 0, 0x10, 0x7fc00000, 0x3f800000
    TEST_FP_CMP 161, fle.s, 1, 0x0, 0x3f800000, 0x3f800000
    TEST_FP_CMP 162, fle.s, 0, 0x0, 0x40000000, 0x3f800000
    TEST_FP_CMP 163, fle.s, 1, 0x0, 0x80000000, 0x0
    TEST_FP_CMP 164, fle.s, 0, 0x10, 0x3f800000, 0x7fc00000
    TEST_FP_CMP 165, fle.s, 0, 0x10, 0x7f800001, 0x7f800001

    /* classify */
    TEST_FP_CLASS 166, fclass.s, 0x1, 0xff800000
    TEST_FP_CLASS 167, fclass.s, 0x2, 0xc0a00000
    TEST_FP_CLASS 168, fclass.s, 0x4, 0x80000001
    TEST_FP_CLASS 169, fclass.s, 0x8, 0x80000000
    TEST_FP_CLASS 170, fclass.s, 0x10, 0x0
    TEST_FP_CLASS 171, fclass.s, 0x20, 0x1
    TEST_FP_CLASS 172, fclass.s, 0x40, 0x40a00000
    TEST_FP_CLASS 173, fclass.s, 0x80, 0x7f800000
    TEST_FP_CLASS 174, fclass.s, 0x100, 0x7f800001
    TEST_FP_CLASS 175, fclass.s, 0x200, 0x7fc00000
    TEST_FP_CLASS 176, fclass.s, 0x200, 0xffc00000
    TEST_FP_CLASS 177, fclass.s, 0x40, 0x800000
    TEST_FP_CLASS 178, fclass.s, 0x20, 0x7fffff

    /* conversions to integers: rounding and saturation */
    TEST_FP_TO_INT 179, fcvt.w.s, 0x2, 0x1, 0x40200000, rne
    TEST_FP_TO_INT 180, fcvt.w.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rne
    TEST_FP_TO_INT 181, fcvt.l.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rne
    TEST_FP_TO_INT 182, fcvt.w.s, 0x2, 0x1, 0x40200000, rtz
    TEST_FP_TO_INT 183, fcvt.w.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rtz
    TEST_FP_TO_INT 184, fcvt.l.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rtz
    TEST_FP_TO_INT 185, fcvt.w.s, 0x2, 0x1, 0x40200000, rdn
    TEST_FP_TO_INT 186, fcvt.w.s, 0xfffffffffffffffd, 0x1, 0xc0200000, rdn
    TEST_FP_TO_INT 187, fcvt.l.s, 0xfffffffffffffffd, 0x1, 0xc0200000, rdn
    TEST_FP_TO_INT 188, fcvt.w.s, 0x3, 0x1, 0x40200000, rup
    TEST_FP_TO_INT 189, fcvt.w.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rup
    TEST_FP_TO_INT 190, fcvt.l.s, 0xfffffffffffffffe, 0x1, 0xc0200000, rup
    TEST_FP_TO_INT 191, fcvt.w.s, 0x3, 0x1, 0x40200000, rmm
    TEST_FP_TO_INT 192, fcvt.w.s, 0xfffffffffffffffd, 0x1, 0xc0200000, rmm
    TEST_FP_TO_INT 193, fcvt.l.s, 0xfffffffffffffffd, 0x1, 0xc0200000, rmm
    TEST_FP_TO_INT 194, fcvt.w.s, 0xfffffffffffffff9, 0x0, 0xc0e00000, rtz
    TEST_FP_TO_INT 195, fcvt.w.s, 0x7fffffff, 0x10, 0x7fc00000, rtz
    TEST_FP_TO_INT 196, fcvt.w.s, 0x7fffffff, 0x10, 0xffc00000, rtz
    TEST_FP_TO_INT 197, fcvt.w.s, 0x7fffffff, 0x10, 0x7f800000, rtz
    TEST_FP_TO_INT 198, fcvt.w.s, 0xffffffff80000000, 0x10, 0xff800000, rtz
    TEST_FP_TO_INT 199, fcvt.w.s, 0x7fffffff, 0x10, 0x4f000000, rtz
    TEST_FP_TO_INT 200, fcvt.w.s, 0xffffffff80000000, 0x0, 0xcf000000, rtz
    TEST_FP_TO_INT 201, fcvt.w.s, 0xffffffff80000000, 0x10, 0xd0000000, rtz
    TEST_FP_TO_INT 202, fcvt.wu.s, 0xffffffffb2d05e00, 0x0, 0x4f32d05e, rtz
    TEST_FP_TO_INT 203, fcvt.wu.s, 0xffffffffffffffff, 0x10, 0x7fc00000, rtz
    TEST_FP_TO_INT 204, fcvt.wu.s, 0xffffffffffffffff, 0x10, 0x7f800000, rtz
    TEST_FP_TO_INT 205, fcvt.wu.s, 0x0, 0x10, 0xff800000, rtz
    TEST_FP_TO_INT 206, fcvt.wu.s, 0x0, 0x10, 0xbf800000, rtz
    TEST_FP_TO_INT 207, fcvt.wu.s, 0x0, 0x1, 0xbf000000, rtz
    TEST_FP_TO_INT 208, fcvt.wu.s, 0x0, 0x10, 0xbf000000, rdn
    TEST_FP_TO_INT 209, fcvt.wu.s, 0xffffffffffffffff, 0x10, 0x4f800000, rtz
    TEST_FP_TO_INT 210, fcvt.l.s, 0x7fffffffffffffff, 0x10, 0x7fc00000, rtz
    TEST_FP_TO_INT 211, fcvt.l.s, 0x7fffffffffffffff, 0x10, 0x7f800000, rtz
    TEST_FP_TO_INT 212, fcvt.l.s, 0x8000000000000000, 0x10, 0xff800000, rtz
    TEST_FP_TO_INT 213, fcvt.l.s, 0x7fffffffffffffff, 0x10, 0x5f000000, rtz
    TEST_FP_TO_INT 214, fcvt.l.s, 0x8000000000000000, 0x0, 0xdf000000, rtz
    TEST_FP_TO_INT 215, fcvt.l.s, 0x10000000000, 0x0, 0x53800000, rtz
    TEST_FP_TO_INT 216, fcvt.lu.s, 0xffffffffffffffff, 0x10, 0x7fc00000, rtz
    TEST_FP_TO_INT 217, fcvt.lu.s, 0xffffffffffffffff, 0x10, 0x7f800000, rtz
    TEST_FP_TO_INT 218, fcvt.lu.s, 0x0, 0x10, 0xff800000, rtz
    TEST_FP_TO_INT 219, fcvt.lu.s, 0x0, 0x10, 0xc0400000, rtz
    TEST_FP_TO_INT 220, fcvt.lu.s, 0x8000000000000000, 0x0, 0x5f000000, rtz
    TEST_FP_TO_INT 221, fcvt.lu.s, 0xffffffffffffffff, 0x10, 0x5f800000, rtz
    TEST_FP_TO_INT 222, fcvt.lu.s, 0x0, 0x1, 0xbe800000, rne

    /* conversions from integers */
    TEST_FP_FROM_INT 223, fcvt.s.w, 0xffffffffbf800000, 0x0, 0xffffffffffffffff, rne
    TEST_FP_FROM_INT 224, fcvt.s.w, 0xffffffff00000000, 0x0, 0x0, rne
    TEST_FP_FROM_INT 225, fcvt.s.w, 0xffffffff4f000000, 0x1, 0x7fffffff, rne
    TEST_FP_FROM_INT 226, fcvt.s.w, 0xffffffff4effffff, 0x1, 0x7fffffff, rtz
    TEST_FP_FROM_INT 227, fcvt.s.w, 0xffffffffcf000000, 0x0, 0xffffffff80000000, rne
    TEST_FP_FROM_INT 228, fcvt.s.wu, 0xffffffff4f800000, 0x1, 0xffffffff, rne
    TEST_FP_FROM_INT 229, fcvt.s.wu, 0xffffffff4f7fffff, 0x1, 0xffffffff, rdn
    TEST_FP_FROM_INT 230, fcvt.s.l, 0xffffffff5f000000, 0x1, 0x7fffffffffffffff, rne
    TEST_FP_FROM_INT 231, fcvt.s.l, 0xffffffff5effffff, 0x1, 0x7fffffffffffffff, rtz
    TEST_FP_FROM_INT 232, fcvt.s.l, 0xffffffffdf000000, 0x0, 0x8000000000000000, rne
    TEST_FP_FROM_INT 233, fcvt.s.l, 0xffffffffc640e400, 0x0, 0xffffffffffffcfc7, rne
    TEST_FP_FROM_INT 234, fcvt.s.lu, 0xffffffff5f800000, 0x1, 0xffffffffffffffff, rne
    TEST_FP_FROM_INT 235, fcvt.s.lu, 0xffffffff5f7fffff, 0x1, 0xffffffffffffffff, rtz
    TEST_FP_FROM_INT 236, fcvt.s.lu, 0xffffffff4ceb79a3, 0x1, 0x75bcd15, rne
    TEST_FP_FROM_INT 237, fcvt.s.lu, 0xffffffff4ceb79a3, 0x1, 0x75bcd15, rup
    TEST_FP_FROM_INT 238, fcvt.s.w, 0xffffffffc0000000, 0, 0x12345678fffffffe, rne
    TEST_FP_FROM_INT 239, fcvt.s.wu, 0xffffffff40400000, 0, 0xffffffff00000003, rne

    /* ---- 32-bit transfers */
    /* fmv.x.w sign-extends bit 31 */
    TEST_CASE(240, a0, 0xffffffff80000001, li t0, 0x80000001; fmv.w.x fa0, t0; fmv.x.w a0, fa0)
    TEST_CASE(241, a0, 0x7f800000, li t0, 0x7f800000; fmv.w.x fa0, t0; fmv.x.w a0, fa0)
    /* fmv.w.x ignores the upper half of the integer and NaN-boxes */
    TEST_CASE(242, a0, 0xffffffff9abcdef0, li t0, 0x123456789abcdef0; fmv.w.x fa0, t0; fmv.x.d a0, fa0)
    /* flw NaN-boxes; fsw writes exactly 4 bytes */
    TESTNUM 243
    la a1, fdata
    flw fa0, 0(a1)
    fmv.x.d a0, fa0
    CHECK_EQ a0, 0xffffffff40490fdb
    fsw fa0, 12(a1)
    ld a0, 8(a1)
    CHECK_EQ a0, 0x40490fdbeeeeeeee
    ld a0, 16(a1)
    CHECK_EQ a0, 0xeeeeeeeeeeeeeeee
    /* 32-bit transfers out of a register that is not NaN-boxed take its low 32 bits as is */
    TESTNUM 244
    li t0, 0x123456787f800001
    fmv.d.x fa0, t0
    fmv.x.w a0, fa0
    CHECK_EQ a0, 0x7f800001
    fsw fa0, 8(a1)
    lwu a0, 8(a1)
    CHECK_EQ a0, 0x7f800001

    /* ---- fflags accumulate until cleared; fsflags/frflags/fscsr swap */
    TESTNUM 245
    fsflags zero
    FLOAD fa1, 0x3f800000
    FLOAD fa2, 0x40400000
    fdiv.s fa0, fa1, fa2        /* NX */
    fmv.w.x fa3, zero
    fdiv.s fa0, fa1, fa3        /* DZ */
    frflags a0
    CHECK_EQ a0, 0x09
    fadd.s fa0, fa1, fa1        /* exact: flags unchanged */
    frflags a0
    CHECK_EQ a0, 0x09
    TESTNUM 246
    li a2, 0x1f
    fsflags a0, a2              /* returns the old flags */
    CHECK_EQ a0, 0x09
    fsflagsi a0, 0x2
    CHECK_EQ a0, 0x1f
    frflags a0
    CHECK_EQ a0, 0x2
    fsflags zero

    /* ---- reserved rounding modes */
    TEST_ILLEGAL32 247, 0x00c5d553  /* fadd.s fa0, fa1, fa2 with rm = 5 */
    TEST_ILLEGAL32 248, 0x00c5e553  /* rm = 6 */
    fsrmi 5
    TEST_ILLEGAL32 249, 0x00c5f553  /* rm = dyn with frm = 5 */
    fsrmi 6
    TEST_ILLEGAL32 250, 0x00c5f553
    fsrmi 7
    TEST_ILLEGAL32 251, 0x5805f553  /* fsqrt.s fa0, fa1, dyn with frm = 7 */
    /* instructions that do not round are unaffected by an invalid frm */
    TEST_CASE(252, a0, 0xffffffffbf800000, FLOAD fa1, 0x3f800000; fsgnjn.s fa0, fa1, fa1; fmv.x.d a0, fa0)
    TEST_CASE(253, a0, 1, fle.s a0, fa1, fa1)
    fsrmi 0
TEST_END

    .data
    .balign 8
fdata:
    .word 0x40490fdb, 0
    .dword 0xeeeeeeeeeeeeeeee, 0xeeeeeeeeeeeeeeee
