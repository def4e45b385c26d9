/* Zicond: czero.eqz and czero.nez, including conditions that are non-zero only in the upper
 * word, x0 operands, register aliasing and the conditional-select idiom.
 *
 * The instructions are written with .insn because binutils before 2.41 lacks them. Built with
 * -DZICOND_EMULATE the same cases run on base-ISA sequences instead, which checks the expected
 * values on a hart without Zicond (QEMU 7.2 has none). */
#include "test_macros.h"

/* czero.eqz: rd = (rs2 == 0) ? 0 : rs1;  czero.nez: rd = (rs2 != 0) ? 0 : rs1 */
.macro CZERO_EQZ rd, rs1, rs2
#ifdef ZICOND_EMULATE
    seqz t3, \rs2
    addi t3, t3, -1
    and \rd, \rs1, t3
#else
    .insn r OP, 5, 7, \rd, \rs1, \rs2
#endif
.endm

.macro CZERO_NEZ rd, rs1, rs2
#ifdef ZICOND_EMULATE
    snez t3, \rs2
    addi t3, t3, -1
    and \rd, \rs1, t3
#else
    .insn r OP, 7, 7, \rd, \rs1, \rs2
#endif
.endm

#define TEST_CZ(n, op, expected, value, condition) \
    TEST_CASE(n, a0, expected, li a0, 0x5555; li a1, value; li a2, condition; op a0, a1, a2)

TEST_BEGIN
    TEST_CZ(1, CZERO_EQZ, 0, 0x123456789abcdef0, 0)
    TEST_CZ(2, CZERO_EQZ, 0x123456789abcdef0, 0x123456789abcdef0, 1)
    TEST_CZ(3, CZERO_EQZ, 0x123456789abcdef0, 0x123456789abcdef0, -1)
    TEST_CZ(4, CZERO_EQZ, 0xfedcba9876543210, 0xfedcba9876543210, 0x8000000000000000)
    TEST_CZ(5, CZERO_EQZ, 0xfedcba9876543210, 0xfedcba9876543210, 0x100000000)
    TEST_CZ(6, CZERO_EQZ, 0, 0, 7)
    TEST_CZ(7, CZERO_NEZ, 0x123456789abcdef0, 0x123456789abcdef0, 0)
    TEST_CZ(8, CZERO_NEZ, 0, 0x123456789abcdef0, 1)
    TEST_CZ(9, CZERO_NEZ, 0, 0x123456789abcdef0, -1)
    TEST_CZ(10, CZERO_NEZ, 0, 0xfedcba9876543210, 0x8000000000000000)
    TEST_CZ(11, CZERO_NEZ, 0, 0xfedcba9876543210, 0x100000000)
    TEST_CZ(12, CZERO_NEZ, 0xffffffffffffffff, -1, 0)

    /* x0 as the condition: eqz always zeroes, nez never does */
    TEST_CASE(13, a0, 0, li a0, 1; li a1, 0x77; CZERO_EQZ a0, a1, zero)
    TEST_CASE(14, a0, 0x77, li a0, 1; li a1, 0x77; CZERO_NEZ a0, a1, zero)
    /* x0 as the value */
    TEST_CASE(15, a0, 0, li a0, 1; li a2, 5; CZERO_EQZ a0, zero, a2)
    /* rd = rs1 and rd = rs2 */
    TEST_CASE(16, a1, 0x99, li a1, 0x99; li a2, 3; CZERO_EQZ a1, a1, a2)
    TEST_CASE(17, a1, 0, li a1, 0x99; li a2, 3; CZERO_NEZ a1, a1, a2)
    TEST_CASE(18, a2, 0x99, li a1, 0x99; li a2, 3; CZERO_EQZ a2, a1, a2)
    TEST_CASE(19, a2, 0, li a1, 0x99; li a2, 0; CZERO_EQZ a2, a1, a2)
    /* rs1 = rs2: eqz gives the value itself, nez gives 0 */
    TEST_CASE(20, a0, 0x42, li a1, 0x42; CZERO_EQZ a0, a1, a1)
    TEST_CASE(21, a0, 0, li a1, 0x42; CZERO_NEZ a0, a1, a1)

    /* select: a0 = c ? a1 : a2 */
    TESTNUM 22
    li a1, 111
    li a2, 222
    li a3, 0x10000000000 /* c true */
    CZERO_EQZ a4, a1, a3
    CZERO_NEZ a5, a2, a3
    or a0, a4, a5
    CHECK_EQ a0, 111
    TESTNUM 23
    li a3, 0 /* c false */
    CZERO_EQZ a4, a1, a3
    CZERO_NEZ a5, a2, a3
    or a0, a4, a5
    CHECK_EQ a0, 222
TEST_END
