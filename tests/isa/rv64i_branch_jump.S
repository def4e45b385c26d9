/* RV64I control transfer: every conditional branch taken and not taken over signed and
 * unsigned boundaries, backward branches, long branches, JAL/JALR link values and targets. */
#include "test_macros.h"

.macro BR_TAKEN n, op, a, b
    TESTNUM \n
    li a1, \a
    li a2, \b
    \op a1, a2, .Ltaken\@
    j test_fail
.Ltaken\@:
.endm

.macro BR_NOT_TAKEN n, op, a, b
    TESTNUM \n
    li a1, \a
    li a2, \b
    \op a1, a2, .Lwrong\@
    j .Lfallthrough\@
.Lwrong\@:
    j test_fail
.Lfallthrough\@:
.endm

TEST_BEGIN
    /* beq */
    BR_TAKEN 1, beq, 0x0, 0x0
    BR_NOT_TAKEN 2, beq, 0x1, 0x0
    BR_NOT_TAKEN 3, beq, 0x0, 0x1
    BR_NOT_TAKEN 4, beq, 0xffffffffffffffff, 0x0
    BR_NOT_TAKEN 5, beq, 0x0, 0xffffffffffffffff
    BR_TAKEN 6, beq, 0xffffffffffffffff, 0xffffffffffffffff
    BR_NOT_TAKEN 7, beq, 0x8000000000000000, 0x7fffffffffffffff
    BR_NOT_TAKEN 8, beq, 0x7fffffffffffffff, 0x8000000000000000
    BR_NOT_TAKEN 9, beq, 0x100000000, 0x0
    BR_NOT_TAKEN 10, beq, 0xfffffffe, 0xffffffff
    /* bne */
    BR_NOT_TAKEN 11, bne, 0x0, 0x0
    BR_TAKEN 12, bne, 0x1, 0x0
    BR_TAKEN 13, bne, 0x0, 0x1
    BR_TAKEN 14, bne, 0xffffffffffffffff, 0x0
    BR_TAKEN 15, bne, 0x0, 0xffffffffffffffff
    BR_NOT_TAKEN 16, bne, 0xffffffffffffffff, 0xffffffffffffffff
    BR_TAKEN 17, bne, 0x8000000000000000, 0x7fffffffffffffff
    BR_TAKEN 18, bne, 0x7fffffffffffffff, 0x8000000000000000
    BR_TAKEN 19, bne, 0x100000000, 0x0
    BR_TAKEN 20, bne, 0xfffffffe, 0xffffffff
    /* blt */
    BR_NOT_TAKEN 21, blt, 0x0, 0x0
    BR_NOT_TAKEN 22, blt, 0x1, 0x0
    BR_TAKEN 23, blt, 0x0, 0x1
    BR_TAKEN 24, blt, 0xffffffffffffffff, 0x0
    BR_NOT_TAKEN 25, blt, 0x0, 0xffffffffffffffff
    BR_NOT_TAKEN 26, blt, 0xffffffffffffffff, 0xffffffffffffffff
    BR_TAKEN 27, blt, 0x8000000000000000, 0x7fffffffffffffff
    BR_NOT_TAKEN 28, blt, 0x7fffffffffffffff, 0x8000000000000000
    BR_NOT_TAKEN 29, blt, 0x100000000, 0x0
    BR_TAKEN 30, blt, 0xfffffffe, 0xffffffff
    /* bge */
    BR_TAKEN 31, bge, 0x0, 0x0
    BR_TAKEN 32, bge, 0x1, 0x0
    BR_NOT_TAKEN 33, bge, 0x0, 0x1
    BR_NOT_TAKEN 34, bge, 0xffffffffffffffff, 0x0
    BR_TAKEN 35, bge, 0x0, 0xffffffffffffffff
    BR_TAKEN 36, bge, 0xffffffffffffffff, 0xffffffffffffffff
    BR_NOT_TAKEN 37, bge, 0x8000000000000000, 0x7fffffffffffffff
    BR_TAKEN 38, bge, 0x7fffffffffffffff, 0x8000000000000000
    BR_TAKEN 39, bge, 0x100000000, 0x0
    BR_NOT_TAKEN 40, bge, 0xfffffffe, 0xffffffff
    /* bltu */
    BR_NOT_TAKEN 41, bltu, 0x0, 0x0
    BR_NOT_TAKEN 42, bltu, 0x1, 0x0
    BR_TAKEN 43, bltu, 0x0, 0x1
    BR_NOT_TAKEN 44, bltu, 0xffffffffffffffff, 0x0
    BR_TAKEN 45, bltu, 0x0, 0xffffffffffffffff
    BR_NOT_TAKEN 46, bltu, 0xffffffffffffffff, 0xffffffffffffffff
    BR_NOT_TAKEN 47, bltu, 0x8000000000000000, 0x7fffffffffffffff
    BR_TAKEN 48, bltu, 0x7fffffffffffffff, 0x8000000000000000
    BR_NOT_TAKEN 49, bltu, 0x100000000, 0x0
    BR_TAKEN 50, bltu, 0xfffffffe, 0xffffffff
    /* bgeu */
    BR_TAKEN 51, bgeu, 0x0, 0x0
    BR_TAKEN 52, bgeu, 0x1, 0x0
    BR_NOT_TAKEN 53, bgeu, 0x0, 0x1
    BR_TAKEN 54, bgeu, 0xffffffffffffffff, 0x0
    BR_NOT_TAKEN 55, bgeu, 0x0, 0xffffffffffffffff
    BR_TAKEN 56, bgeu, 0xffffffffffffffff, 0xffffffffffffffff
    BR_TAKEN 57, bgeu, 0x8000000000000000, 0x7fffffffffffffff
    BR_NOT_TAKEN 58, bgeu, 0x7fffffffffffffff, 0x8000000000000000
    BR_TAKEN 59, bgeu, 0x100000000, 0x0
    BR_NOT_TAKEN 60, bgeu, 0xfffffffe, 0xffffffff

    /* a backward branch loop runs the expected number of times */
    TESTNUM 61
    li a0, 0
    li a1, 10
1:  addi a0, a0, 3
    addi a1, a1, -1
    bnez a1, 1b
    CHECK_EQ a0, 30

    /* a taken branch skips exactly the instructions it jumps over */
    TESTNUM 62
    li a0, 0
    beq zero, zero, 1f
    addi a0, a0, 1
    addi a0, a0, 2
1:  addi a0, a0, 4
    CHECK_EQ a0, 4

    /* branch to the far end of its +-4 KiB range, and back */
    TESTNUM 63
    li a0, 0
    beq zero, zero, far_forward
    j test_fail
far_back:
    addi a0, a0, 2
    j far_done
    .skip 4000
far_forward:
    addi a0, a0, 1
    bne a0, zero, far_back
    j test_fail
far_done:
    CHECK_EQ a0, 3

    /* jal: link is the address of the next instruction, target is reached */
    TESTNUM 64
    li ra, 0
    jal ra, jal_target
jal_return:
    j test_fail
jal_target:
    la a1, jal_return
    CHECK_SAME ra, a1

    /* jal with another link register */
    TESTNUM 65
    jal a5, 1f
2:  j test_fail
1:  la a1, 2b
    CHECK_SAME a5, a1

    /* j (jal x0) does not write a link, and jumps far (> 1 page) */
    TESTNUM 66
    li a0, 7
    jal x0, jal_far
    j test_fail
    .skip 8192
jal_far:
    CHECK_EQ a0, 7
    mv a0, x0
    CHECK_EQ a0, 0

    /* jalr with a positive and a negative offset */
    TESTNUM 67
    la a1, jalr_base
    jalr ra, 8(a1)
jalr_link:
    j test_fail
jalr_base:
    j test_fail
    j test_fail
    la a2, jalr_link /* jalr_base + 8 */
    CHECK_SAME ra, a2

    TESTNUM 68
    la a1, jalr_neg_target
    addi a1, a1, 16
    jalr ra, -16(a1)
    j test_fail
jalr_neg_target:
    la a2, jalr_neg_target
    addi a2, a2, -4
    CHECK_SAME ra, a2

    /* jalr clears bit 0 of the target address */
    TESTNUM 69
    la a1, jalr_odd
    addi a1, a1, 1
    jalr ra, 0(a1)
    j test_fail
jalr_odd:
    TESTNUM 70
    la a1, jalr_odd2
    jalr ra, 1(a1)
    j test_fail
jalr_odd2:

    /* jalr with rd == rs1 reads the target before writing the link */
    TESTNUM 71
    la a0, jalr_same
    jalr a0, 0(a0)
jalr_same_link:
    j test_fail
jalr_same:
    la a1, jalr_same_link
    CHECK_SAME a0, a1

    /* call/ret through a real subroutine, nested */
    TESTNUM 72
    li a0, 5
    call subroutine_outer
    CHECK_EQ a0, 16

    /* jalr x0 (ret) does not write x0 */
    TESTNUM 73
    la a1, 1f
    jalr x0, 0(a1)
    j test_fail
1:  mv a0, x0
    CHECK_EQ a0, 0
TEST_END

    .text
subroutine_outer:
    addi sp, sp, -16
    sd ra, 8(sp)
    call subroutine_inner
    call subroutine_inner
    ld ra, 8(sp)
    addi sp, sp, 16
    addi a0, a0, 1
    ret
subroutine_inner:
    addi a0, a0, 5
    ret
