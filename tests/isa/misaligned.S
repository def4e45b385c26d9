/* Misaligned accesses. The hart under test performs misaligned loads and stores (integer and
 * FP, across 8-byte and page boundaries) without trapping; misaligned AMOs and SC raise
 * store/AMO address misaligned (6) and LR raises load address misaligned (4), with mtval =
 * the address and memory unchanged. (The spec also allows an access fault there.) */
#include "test_macros.h"

/* buffer bytes are 0x00, 0x11, ..., 0xff, 0x00, ... : byte i = (i & 15) * 0x11 */
#define TEST_LOAD(n, op, offset, expected) \
    TEST_CASE(n, a0, expected, la a1, buffer; op a0, offset(a1))

.macro FILL_BUFFER
    la a1, buffer
    li a2, 0x7766554433221100
    li a3, 0xffeeddccbbaa9988
    sd a2, 0(a1)
    sd a3, 8(a1)
    sd a2, 16(a1)
    sd a3, 24(a1)
.endm

/* misaligned atomic at buffer + offset: must trap with cause, tval = the address */
.macro TEST_AMO_MISALIGNED n, cause, offset, insn:vararg
    TESTNUM \n
    FILL_BUFFER
    la a1, buffer + \offset
    li a2, -1
    TRAP_ARM
.Lamo\@:
    \insn
88888:
    CHECK_TRAP \cause
    CHECK_TVAL_ADDR buffer, \offset
    CHECK_EPC .Lamo\@
    la a1, buffer
    ld a0, 0(a1)
    CHECK_EQ a0, 0x7766554433221100
    ld a0, 8(a1)
    CHECK_EQ a0, 0xffeeddccbbaa9988
.endm

TEST_BEGIN
    FILL_BUFFER
    TEST_LOAD(1, lh, 1, 0x2211)
    TEST_LOAD(2, lh, 7, 0xffffffffffff8877)
    TEST_LOAD(3, lhu, 15, 0x00ff)
    TEST_LOAD(4, lw, 1, 0x44332211)
    TEST_LOAD(5, lw, 6, 0xffffffff99887766)
    TEST_LOAD(6, lwu, 6, 0x99887766)
    TEST_LOAD(7, lw, 13, 0x00ffeedd)
    TEST_LOAD(8, ld, 1, 0x8877665544332211)
    TEST_LOAD(9, ld, 4, 0xbbaa998877665544)
    TEST_LOAD(10, ld, 15, 0x66554433221100ff)

    TESTNUM 11
    la a1, buffer
    li a2, 0x0123456789abcdef
    sd a2, 3(a1)
    ld a0, 0(a1)
    CHECK_EQ a0, 0x6789abcdef221100
    ld a0, 8(a1)
    CHECK_EQ a0, 0xffeeddccbb012345
    TESTNUM 12
    FILL_BUFFER
    la a1, buffer
    li a2, 0xcafef00d
    sw a2, 6(a1)
    ld a0, 0(a1)
    CHECK_EQ a0, 0xf00d554433221100
    ld a0, 8(a1)
    CHECK_EQ a0, 0xffeeddccbbaacafe
    TESTNUM 13
    sh a2, 15(a1)
    ld a0, 8(a1)
    CHECK_EQ a0, 0x0deeddccbbaacafe
    ld a0, 16(a1)
    CHECK_EQ a0, 0x77665544332211f0

    /* across a page boundary */
    TESTNUM 14
    la a1, page_end
    li a2, 0x1122334455667788
    sd a2, -3(a1)
    ld a0, -3(a1)
    CHECK_EQ a0, 0x1122334455667788
    lw a0, -2(a1)
    CHECK_EQ a0, 0x44556677
    lbu a0, -3(a1)
    CHECK_EQ a0, 0x88
    lbu a0, 4(a1)
    CHECK_EQ a0, 0x11

    /* FP loads and stores */
    TESTNUM 15
    FILL_BUFFER
    la a1, buffer
    fld fa0, 5(a1)
    fmv.x.d a0, fa0
    CHECK_EQ a0, 0xccbbaa9988776655
    flw fa1, 3(a1)
    fmv.x.d a0, fa1
    CHECK_EQ a0, 0xffffffff66554433
    TESTNUM 16
    fsd fa0, 17(a1)
    ld a0, 16(a1)
    CHECK_EQ a0, 0xbbaa998877665500
    ld a0, 24(a1)
    CHECK_EQ a0, 0xffeeddccbbaa99cc
    fsw fa1, 26(a1)
    ld a0, 24(a1)
    CHECK_EQ a0, 0xffee6655443399cc

    /* compressed loads and stores with a misaligned base */
    TESTNUM 17
    FILL_BUFFER
    la s0, buffer + 1
    .option push
    .option rvc
    c.lw a0, 4(s0)
    CHECK_EQ a0, 0xffffffff88776655
    c.ld a0, 8(s0)
    CHECK_EQ a0, 0x00ffeeddccbbaa99
    li a2, 0x5a5a5a5a
    c.sw a2, 0(s0)
    .option pop
    la a1, buffer
    ld a0, 0(a1)
    CHECK_EQ a0, 0x7766555a5a5a5a00

    /* atomics */
    TEST_AMO_MISALIGNED 18, CAUSE_MISALIGNED_STORE, 2, amoadd.w a0, a2, (a1)
    TEST_AMO_MISALIGNED 19, CAUSE_MISALIGNED_STORE, 4, amoswap.d a0, a2, (a1)
    TEST_AMO_MISALIGNED 20, CAUSE_MISALIGNED_STORE, 1, amoor.w a0, a2, (a1)
    TEST_AMO_MISALIGNED 21, CAUSE_MISALIGNED_STORE, 6, amomaxu.d a0, a2, (a1)
    TEST_AMO_MISALIGNED 22, CAUSE_MISALIGNED_LOAD, 2, lr.w a0, (a1)
    TEST_AMO_MISALIGNED 23, CAUSE_MISALIGNED_LOAD, 4, lr.d a0, (a1)
    TEST_AMO_MISALIGNED 24, CAUSE_MISALIGNED_STORE, 2, sc.w a0, a2, (a1)
    TEST_AMO_MISALIGNED 25, CAUSE_MISALIGNED_STORE, 4, sc.d a0, a2, (a1)
    /* an aligned reservation does not let a misaligned sc through */
    TESTNUM 26
    FILL_BUFFER
    la a1, buffer
    lr.d a0, (a1)
    addi a1, a1, 4
    li a2, -1
    TRAP_ARM
    sc.d a0, a2, (a1)
88888:
    CHECK_TRAP CAUSE_MISALIGNED_STORE
    la a1, buffer
    ld a0, 0(a1)
    CHECK_EQ a0, 0x7766554433221100
TEST_END

    .data
    .balign 64
buffer:
    .skip 64
    .balign 4096
    .skip 4096 - 64
    .skip 64
page_end:
    .skip 64
