/* RV64A: every AMO in .w and .d form (old value returned sign-extended for .w, the upper
 * word of memory untouched by .w, upper bits of rs2 ignored by .w), aq/rl variants, rd = x0,
 * and LR/SC success, failure without a reservation, failure after the reservation is used,
 * failure on another address, and an LR/SC increment loop. */
#include "test_macros.h"

/* memory dword starts as init; rd must be expect_rd and memory expect_mem afterwards */
.macro TEST_AMO n, op, init, operand, expect_rd, expect_mem
    TESTNUM \n
    la a1, amo_buf
    li t0, \init
    sd t0, 0(a1)
    li a2, \operand
    \op a0, a2, (a1)
    CHECK_EQ a0, \expect_rd
    ld a3, 0(a1)
    CHECK_EQ a3, \expect_mem
.endm

TEST_BEGIN
    /* amoswap */
    TEST_AMO 1, amoswap.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a57fffffff
    TEST_AMO 2, amoswap.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a500000010
    TEST_AMO 3, amoswap.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a500000003
    TEST_AMO 4, amoswap.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a587654321
    TEST_AMO 5, amoswap.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x7fffffffffffffff
    TEST_AMO 6, amoswap.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x10
    TEST_AMO 7, amoswap.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0x3
    TEST_AMO 8, amoswap.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0xfedcba9876543210
    /* amoadd */
    TEST_AMO 9, amoadd.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a500000000
    TEST_AMO 10, amoadd.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a580000000
    TEST_AMO 11, amoadd.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a500000001
    TEST_AMO 12, amoadd.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a599999999
    TEST_AMO 13, amoadd.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x0
    TEST_AMO 14, amoadd.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x8000000000000000
    TEST_AMO 15, amoadd.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0x1
    TEST_AMO 16, amoadd.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0x1111111111111100
    /* amoxor */
    TEST_AMO 17, amoxor.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a5fffffffe
    TEST_AMO 18, amoxor.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a57fffffe0
    TEST_AMO 19, amoxor.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a5fffffffd
    TEST_AMO 20, amoxor.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a595511559
    TEST_AMO 21, amoxor.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0xfffffffffffffffe
    TEST_AMO 22, amoxor.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x7fffffffffffffe0
    TEST_AMO 23, amoxor.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0xfffffffffffffffd
    TEST_AMO 24, amoxor.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0xece8ece0ece8ece0
    /* amoand */
    TEST_AMO 25, amoand.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a500000001
    TEST_AMO 26, amoand.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a500000010
    TEST_AMO 27, amoand.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a500000002
    TEST_AMO 28, amoand.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a502244220
    TEST_AMO 29, amoand.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x1
    TEST_AMO 30, amoand.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x10
    TEST_AMO 31, amoand.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0x2
    TEST_AMO 32, amoand.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0x1214121812141210
    /* amoor */
    TEST_AMO 33, amoor.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a5ffffffff
    TEST_AMO 34, amoor.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a57ffffff0
    TEST_AMO 35, amoor.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a5ffffffff
    TEST_AMO 36, amoor.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a597755779
    TEST_AMO 37, amoor.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0xffffffffffffffff
    TEST_AMO 38, amoor.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x7ffffffffffffff0
    TEST_AMO 39, amoor.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0xffffffffffffffff
    TEST_AMO 40, amoor.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0xfefcfef8fefcfef0
    /* amomin */
    TEST_AMO 41, amomin.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a580000001
    TEST_AMO 42, amomin.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a500000010
    TEST_AMO 43, amomin.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a5fffffffe
    TEST_AMO 44, amomin.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a587654321
    TEST_AMO 45, amomin.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x8000000000000001
    TEST_AMO 46, amomin.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x10
    TEST_AMO 47, amomin.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0xfffffffffffffffe
    TEST_AMO 48, amomin.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0xfedcba9876543210
    /* amomax */
    TEST_AMO 49, amomax.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a57fffffff
    TEST_AMO 50, amomax.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a57ffffff0
    TEST_AMO 51, amomax.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a500000003
    TEST_AMO 52, amomax.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a512345678
    TEST_AMO 53, amomax.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x7fffffffffffffff
    TEST_AMO 54, amomax.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x7ffffffffffffff0
    TEST_AMO 55, amomax.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0x3
    TEST_AMO 56, amomax.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0x123456789abcdef0
    /* amominu */
    TEST_AMO 57, amominu.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a57fffffff
    TEST_AMO 58, amominu.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a500000010
    TEST_AMO 59, amominu.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a500000003
    TEST_AMO 60, amominu.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a512345678
    TEST_AMO 61, amominu.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x7fffffffffffffff
    TEST_AMO 62, amominu.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x10
    TEST_AMO 63, amominu.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0x3
    TEST_AMO 64, amominu.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0x123456789abcdef0
    /* amomaxu */
    TEST_AMO 65, amomaxu.w, 0xa5a5a5a580000001, 0xdead00007fffffff, 0xffffffff80000001, 0xa5a5a5a580000001
    TEST_AMO 66, amomaxu.w, 0xa5a5a5a57ffffff0, 0xdead000000000010, 0x7ffffff0, 0xa5a5a5a57ffffff0
    TEST_AMO 67, amomaxu.w, 0xa5a5a5a5fffffffe, 0xdead000000000003, 0xfffffffffffffffe, 0xa5a5a5a5fffffffe
    TEST_AMO 68, amomaxu.w, 0xa5a5a5a512345678, 0xdead000087654321, 0x12345678, 0xa5a5a5a587654321
    TEST_AMO 69, amomaxu.d, 0x8000000000000001, 0x7fffffffffffffff, 0x8000000000000001, 0x8000000000000001
    TEST_AMO 70, amomaxu.d, 0x7ffffffffffffff0, 0x10, 0x7ffffffffffffff0, 0x7ffffffffffffff0
    TEST_AMO 71, amomaxu.d, 0xfffffffffffffffe, 0x3, 0xfffffffffffffffe, 0xfffffffffffffffe
    TEST_AMO 72, amomaxu.d, 0x123456789abcdef0, 0xfedcba9876543210, 0x123456789abcdef0, 0xfedcba9876543210

    /* ordering bits do not change results */
    TEST_AMO 73, amoadd.w.aq, 0x100000001, 2, 1, 0x100000003
    TEST_AMO 74, amoadd.d.rl, 0x100000001, 2, 0x100000001, 0x100000003
    TEST_AMO 75, amoor.d.aqrl, 0xf0, 0x0f, 0xf0, 0xff

    /* rd = x0 still updates memory */
    TESTNUM 76
    la a1, amo_buf
    li t0, 40
    sd t0, 0(a1)
    li a2, 2
    amoadd.d x0, a2, (a1)
    ld a3, 0(a1)
    CHECK_EQ a3, 42

    /* rd = rs2: the old value lands in rd, memory gets the old rs2 */
    TESTNUM 77
    la a1, amo_buf
    li t0, 5
    sd t0, 0(a1)
    li a2, 9
    amoswap.d a2, a2, (a1)
    CHECK_EQ a2, 5
    ld a3, 0(a1)
    CHECK_EQ a3, 9

    /* LR/SC success: sc writes 0 and stores */
    TESTNUM 78
    la a1, amo_buf
    li t0, 100
    sd t0, 0(a1)
    lr.d a0, (a1)
    CHECK_EQ a0, 100
    li a2, 123
    sc.d a3, a2, (a1)
    CHECK_EQ a3, 0
    ld a4, 0(a1)
    CHECK_EQ a4, 123

    /* a second sc without a new lr fails (non-zero) and does not store */
    TESTNUM 79
    li a2, 456
    sc.d a3, a2, (a1)
    beqz a3, test_fail
    ld a4, 0(a1)
    CHECK_EQ a4, 123

    /* lr.w sign-extends, sc.w stores only the low word */
    TESTNUM 80
    li t0, 0x1234567880000000
    sd t0, 0(a1)
    lr.w a0, (a1)
    CHECK_EQ a0, 0xffffffff80000000
    li a2, 0xffffffff00000007
    sc.w a3, a2, (a1)
    CHECK_EQ a3, 0
    ld a4, 0(a1)
    CHECK_EQ a4, 0x1234567800000007

    /* sc.w failure leaves memory alone */
    TESTNUM 81
    li a2, 99
    sc.w a3, a2, (a1)
    beqz a3, test_fail
    ld a4, 0(a1)
    CHECK_EQ a4, 0x1234567800000007

    /* sc to an address outside the reserved set (another page) fails */
    TESTNUM 82
    la a1, amo_buf
    la a5, amo_far
    li t0, 11
    sd t0, 0(a5)
    lr.d a0, (a1)
    li a2, 22
    sc.d a3, a2, (a5)
    beqz a3, test_fail
    ld a4, 0(a5)
    CHECK_EQ a4, 11

    /* sc.d with no reservation at all, on fresh memory */
    TESTNUM 83
    la a5, amo_far
    li a2, 33
    sc.d a3, a2, (a5)
    beqz a3, test_fail
    ld a4, 0(a5)
    CHECK_EQ a4, 11

    /* lr.d/sc.d with aq/rl */
    TESTNUM 84
    la a1, amo_buf
    li t0, 7
    sd t0, 0(a1)
    lr.d.aq a0, (a1)
    addi a0, a0, 1
    sc.d.rl a3, a0, (a1)
    CHECK_EQ a3, 0
    ld a4, 0(a1)
    CHECK_EQ a4, 8

    /* an lr/sc increment loop: 1000 increments */
    TESTNUM 85
    la a1, amo_buf
    sd zero, 0(a1)
    li a4, 1000
1:  lr.w a0, (a1)
    addi a0, a0, 1
    sc.w a3, a0, (a1)
    bnez a3, 1b
    addi a4, a4, -1
    bnez a4, 1b
    lw a0, 0(a1)
    CHECK_EQ a0, 1000

    /* amo.w on the upper word of a dword: the lower word is untouched, no carry across */
    TESTNUM 86
    la a1, amo_buf
    li t0, 0x00000001ffffffff
    sd t0, 0(a1)
    addi a5, a1, 4
    li a2, 1
    amoadd.w a0, a2, (a5)
    CHECK_EQ a0, 1
    ld a4, 0(a1)
    CHECK_EQ a4, 0x00000002ffffffff
    /* and on the lower word: the carry out of bit 31 is dropped */
    TESTNUM 87
    amoadd.w a0, a2, (a1)
    CHECK_EQ a0, 0xffffffffffffffff
    ld a4, 0(a1)
    CHECK_EQ a4, 0x0000000200000000
TEST_END

    .data
    .balign 64
amo_buf:
    .dword 0
    .balign 4096
amo_far:
    .dword 0
