/* RV64I loads and stores: every width, sign and zero extension, positive and negative
 * offsets, partial stores that must not disturb neighbouring bytes, store-to-load
 * forwarding, x0 as destination, and FENCE.I after modifying code. */
#include "test_macros.h"

/* load from data + offset into a0 */
#define TEST_LOAD(n, op, expected, offset) \
    TEST_CASE(n, a0, expected, la a1, load_data; op a0, offset(a1))

/* fill the 16-byte buffer with 0xee, store value at offset, read back both dwords */
.macro TEST_STORE n, op, value, offset, expect_lo, expect_hi
    TESTNUM \n
    la a1, store_buf
    li t0, 0xeeeeeeeeeeeeeeee
    sd t0, 0(a1)
    sd t0, 8(a1)
    li a2, \value
    \op a2, \offset(a1)
    ld a3, 0(a1)
    CHECK_EQ a3, \expect_lo
    ld a3, 8(a1)
    CHECK_EQ a3, \expect_hi
.endm

TEST_BEGIN
    /* load_data: 80 ff 7f 01 | 00 80 ff ff | 78 56 34 12 f0 de bc 9a | ... */
    TEST_LOAD(1, lb, 0xffffffffffffff80, 0)
    TEST_LOAD(2, lb, 0xffffffffffffffff, 1)
    TEST_LOAD(3, lb, 0x7f, 2)
    TEST_LOAD(4, lb, 0x01, 3)
    TEST_LOAD(5, lbu, 0x80, 0)
    TEST_LOAD(6, lbu, 0xff, 1)
    TEST_LOAD(7, lbu, 0x7f, 2)
    TEST_LOAD(8, lh, 0xffffffffffffff80, 0)   /* 0xff80 */
    TEST_LOAD(9, lh, 0x017f, 2)
    TEST_LOAD(10, lh, 0xffffffffffff8000, 4)
    TEST_LOAD(11, lh, 0xffffffffffffffff, 6)
    TEST_LOAD(12, lhu, 0xff80, 0)
    TEST_LOAD(13, lhu, 0x8000, 4)
    TEST_LOAD(14, lhu, 0xffff, 6)
    TEST_LOAD(15, lw, 0x017fff80, 0)
    TEST_LOAD(16, lw, 0xffffffffffff8000, 4)
    TEST_LOAD(17, lw, 0x12345678, 8)
    TEST_LOAD(18, lw, 0xffffffff9abcdef0, 12)
    TEST_LOAD(19, lwu, 0x017fff80, 0)
    TEST_LOAD(20, lwu, 0xffff8000, 4)
    TEST_LOAD(21, lwu, 0x9abcdef0, 12)
    TEST_LOAD(22, ld, 0xffff8000017fff80, 0)
    TEST_LOAD(23, ld, 0x9abcdef012345678, 8)
    TEST_LOAD(24, ld, 0x8000000000000000, 16)
    /* negative offsets */
    TEST_CASE(25, a0, 0x9abcdef012345678, la a1, load_data + 24; ld a0, -16(a1))
    TEST_CASE(26, a0, 0xffffffffffffff9a, la a1, load_data + 24; lb a0, -9(a1))
    TEST_CASE(27, a0, 0x9abc, la a1, load_data + 24; lhu a0, -10(a1))
    /* largest positive and negative 12-bit offsets */
    TEST_CASE(28, a0, 0x1122334455667788, la a1, load_data - 2047 + 24; ld a0, 2047(a1))
    TEST_CASE(29, a0, 0x1122334455667788, la a1, load_data + 2048 + 24; ld a0, -2048(a1))

    /* stores write exactly their width */
    TEST_STORE 30, sb, 0x1234567890abcdef, 0, 0xeeeeeeeeeeeeeeef, 0xeeeeeeeeeeeeeeee
    TEST_STORE 31, sb, 0x00, 7, 0x00eeeeeeeeeeeeee, 0xeeeeeeeeeeeeeeee
    TEST_STORE 32, sb, 0x81, 8, 0xeeeeeeeeeeeeeeee, 0xeeeeeeeeeeeeee81
    TEST_STORE 33, sh, 0x1234567890abcdef, 0, 0xeeeeeeeeeeeecdef, 0xeeeeeeeeeeeeeeee
    TEST_STORE 34, sh, 0x1234567890abcdef, 6, 0xcdefeeeeeeeeeeee, 0xeeeeeeeeeeeeeeee
    TEST_STORE 35, sw, 0x1234567890abcdef, 0, 0xeeeeeeee90abcdef, 0xeeeeeeeeeeeeeeee
    TEST_STORE 36, sw, 0x1234567890abcdef, 4, 0x90abcdefeeeeeeee, 0xeeeeeeeeeeeeeeee
    TEST_STORE 37, sw, 0x0000000000000000, 8, 0xeeeeeeeeeeeeeeee, 0xeeeeeeee00000000
    TEST_STORE 38, sd, 0x1234567890abcdef, 0, 0x1234567890abcdef, 0xeeeeeeeeeeeeeeee
    TEST_STORE 39, sd, 0x1234567890abcdef, 8, 0xeeeeeeeeeeeeeeee, 0x1234567890abcdef

    /* byte order: a dword store read back by bytes is little-endian */
    TEST_CASE(40, a0, 0xef, la a1, store_buf; li a2, 0x1234567890abcdef; sd a2, 0(a1); lbu a0, 0(a1))
    TEST_CASE(41, a0, 0x12, la a1, store_buf; lbu a0, 7(a1))
    TEST_CASE(42, a0, 0x5678, la a1, store_buf; lhu a0, 4(a1))

    /* store with negative offset, then load through another base */
    TEST_CASE(43, a0, 0xffffffffcafef00d, la a1, store_buf + 16; li a2, 0xcafef00d; sw a2, -12(a1); la a3, store_buf; lw a0, 4(a3))

    /* back-to-back store/load of the same address sees the new value */
    TESTNUM 44
    la a1, store_buf
    li a3, 0
    li a4, 100
1:  sd a3, 0(a1)
    ld a5, 0(a1)
    CHECK_SAME a3, a5
    addi a3, a3, 7
    addi a4, a4, -1
    bnez a4, 1b

    /* a load into x0 has no effect on x0 */
    TEST_CASE(45, a0, 0, la a1, load_data; ld x0, 0(a1); mv a0, x0)
    /* the base register may be the destination */
    TEST_CASE(46, a1, 0x9abcdef012345678, la a1, load_data; ld a1, 8(a1))

    /* a store buffer copy loop (memcpy) */
    TESTNUM 47
    la a1, load_data
    la a2, copy_buf
    li a3, 32
1:  lbu t0, 0(a1)
    sb t0, 0(a2)
    addi a1, a1, 1
    addi a2, a2, 1
    addi a3, a3, -1
    bnez a3, 1b
    la a1, copy_buf
    ld a0, 8(a1)
    CHECK_EQ a0, 0x9abcdef012345678
    ld a0, 24(a1)
    CHECK_EQ a0, 0x1122334455667788

    /* fence and fence.i are accepted */
    TEST_CASE(48, a0, 1, fence; fence rw, rw; fence.i; fence iorw, iorw; li a0, 1)

    /* modified code runs after fence.i: patch "addi a0, zero, 1" into "addi a0, zero, 2" */
    TESTNUM 49
    call patch_target       /* run it once first so a code cache may hold it */
    CHECK_EQ a0, 1
    la a1, patch_target
    li a2, 0x00200513      /* addi a0, zero, 2 */
    sw a2, 0(a1)
    fence.i
    call patch_target
    CHECK_EQ a0, 2
    TESTNUM 50
    la a1, patch_target
    li a2, 0x02a00513      /* addi a0, zero, 42 */
    sw a2, 0(a1)
    fence.i
    call patch_target
    CHECK_EQ a0, 42
TEST_END

    .text
    .balign 4
patch_target:
    addi a0, zero, 1
    ret

    .data
    .balign 8
load_data:
    .byte 0x80, 0xff, 0x7f, 0x01, 0x00, 0x80, 0xff, 0xff
    .dword 0x9abcdef012345678
    .dword 0x8000000000000000
    .dword 0x1122334455667788
store_buf:
    .dword 0, 0, 0
copy_buf:
    .dword 0, 0, 0, 0
