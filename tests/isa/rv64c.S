/* RV64C: every compressed instruction form, checked by its result; 32-bit instructions at
 * halfword alignment and straddling a page boundary; c.ebreak; reserved compressed encodings
 * (the all-zero halfword among them) raising illegal instruction with mtval = the 16 bits. */
#include "test_macros.h"

/* a reserved 16-bit encoding followed by a marker halfword that must not show up in mtval */
.macro TEST_ILLEGAL16 n, bits
    TESTNUM \n
    TRAP_ARM
.Lillegal\@:
    .half \bits
    .half 0xffff
    .balign 4
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_TVAL \bits
    CHECK_EPC .Lillegal\@
.endm

TEST_BEGIN
    .option push
    .option rvc

    /* ---- CI/CR/CA arithmetic */
    TEST_CASE(1, a0, 0xffffffffffffffe0, c.li a0, -32)
    TEST_CASE(2, a0, 31, c.li a0, 31)
    TEST_CASE(3, a0, 0x1f000, c.lui a0, 0x1f)
    TEST_CASE(4, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
    TEST_CASE(5, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
    TEST_CASE(6, a0, 0xffffffffffffffff, c.li a0, 0; c.addi a0, -1)
    TEST_CASE(7, a0, 0x7fffffff + 31, li a0, 0x7fffffff; c.addi a0, 31)
    TEST_CASE(8, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_CASE(9, a0, 0x5, li a0, 0xabcdef0000000005; c.addiw a0, 0)   /* sext.w */
    TEST_CASE(10, a0, 0x8000000000000000, c.li a0, 1; c.slli a0, 63)
    TEST_CASE(11, s0, 0x0000000000000001, li s0, 0x8000000000000000; c.srli s0, 63)
    TEST_CASE(12, s0, 0xffffffffffffffff, li s0, 0x8000000000000000; c.srai s0, 63)
    TEST_CASE(13, s0, 0x7, li s0, 0x7000000000000000; c.srai s0, 60)
    TEST_CASE(14, a1, 0x0f0f0f0f0f0f0f00, li a1, 0x0f0f0f0f0f0f0f0f; c.andi a1, -16)
    TEST_CASE(15, a0, 0x12345, li a1, 0x12345; c.mv a0, a1)
    TEST_CASE(16, a0, 0x3, c.li a0, 1; c.li a1, 2; c.add a0, a1)
    TEST_CASE(17, s0, 0xffffffffffffffff, c.li s0, 1; c.li s1, 2; c.sub s0, s1)
    TEST_CASE(18, s0, 0x6, c.li s0, 5; c.li s1, 3; c.xor s0, s1)
    TEST_CASE(19, s0, 0x7, c.li s0, 5; c.li s1, 3; c.or s0, s1)
    TEST_CASE(20, s0, 0x1, c.li s0, 5; c.li s1, 3; c.and s0, s1)
    TEST_CASE(21, s0, 0xffffffff80000000, li s0, 0x17fffffff; c.li s1, 1; c.addw s0, s1)
    TEST_CASE(22, s0, 0x7fffffff, li s0, 0x80000000; c.li s1, 1; c.subw s0, s1)
    TEST_CASE(23, a0, 0x30, c.li a0, 3; c.slli a0, 4)

    /* ---- stack-pointer forms */
    TESTNUM 24
    mv s2, sp
    c.addi16sp sp, -64
    addi s3, s2, -64
    CHECK_SAME sp, s3
    c.addi16sp sp, 496
    addi s3, s2, 432
    CHECK_SAME sp, s3
    mv sp, s2
    TESTNUM 25
    c.addi4spn a0, sp, 1020
    addi s3, sp, 1020
    CHECK_SAME a0, s3
    c.addi4spn s1, sp, 4
    addi s3, sp, 4
    CHECK_SAME s1, s3

    /* ---- loads and stores */
    TESTNUM 26
    la s0, cdata
    c.lw a0, 4(s0)
    CHECK_EQ a0, 0xffffffff89abcdef
    c.ld a0, 8(s0)
    CHECK_EQ a0, 0x0123456789abcdef
    TESTNUM 27
    li s1, 0x1122334455667788
    c.sd s1, 16(s0)
    c.sw s1, 24(s0)
    ld a0, 16(s0)
    CHECK_EQ a0, 0x1122334455667788
    lwu a0, 24(s0)
    CHECK_EQ a0, 0x55667788
    TESTNUM 28
    mv s2, sp
    la sp, cdata
    c.lwsp a0, 4(sp)
    CHECK_EQ a0, 0xffffffff89abcdef
    c.ldsp a0, 8(sp)
    CHECK_EQ a0, 0x0123456789abcdef
    li a1, 0x0badc0ffee
    c.sdsp a1, 32(sp)
    li a2, 0x7eadbeef
    c.swsp a2, 40(sp)
    mv sp, s2
    ld a0, 32(s0)
    CHECK_EQ a0, 0x0badc0ffee
    lw a0, 40(s0)
    CHECK_EQ a0, 0x7eadbeef
    TESTNUM 29
    c.fld fa0, 8(s0)
    fmv.x.d a0, fa0
    CHECK_EQ a0, 0x0123456789abcdef
    c.fsd fa0, 48(s0)
    ld a0, 48(s0)
    CHECK_EQ a0, 0x0123456789abcdef
    TESTNUM 30
    mv s2, sp
    la sp, cdata
    c.fldsp fa1, 8(sp)
    c.fsdsp fa1, 56(sp)
    mv sp, s2
    ld a0, 56(s0)
    CHECK_EQ a0, 0x0123456789abcdef

    /* ---- control transfer */
    TESTNUM 31
    c.li a0, 0
    c.j 1f
    c.addi a0, 1
1:  c.addi a0, 2
    CHECK_EQ a0, 2
    TESTNUM 32
    c.li s0, 0
    c.beqz s0, 1f
    j test_fail
1:  c.bnez s0, test_fail_near
    c.li s0, 3
    c.bnez s0, 1f
    j test_fail
1:  c.beqz s0, test_fail_near
    /* a backward c.bnez loop */
    TESTNUM 33
    c.li s0, 5
    c.li a0, 0
1:  c.addi a0, 3
    c.addi s0, -1
    c.bnez s0, 1b
    CHECK_EQ a0, 15
    TESTNUM 34
    la a1, 1f
    c.jr a1
    j test_fail
1:  TESTNUM 35
    la a1, c_callee
    li a0, 0
    c.jalr a1
c_jalr_link:
    CHECK_EQ a0, 77
    la a2, c_jalr_link
    CHECK_SAME ra, a2   /* link = address of c.jalr + 2 */
    TESTNUM 36
    li a0, 0
    c.j 2f
1:  c.addi a0, 1
    c.j 3f
2:  c.addi a0, 4
    c.j 1b
3:  CHECK_EQ a0, 5
    TEST_CASE(37, a0, 9, c.li a0, 9; c.nop; c.nop)

    /* ---- 32-bit instructions at halfword alignment */
    TESTNUM 38
    .balign 4
    c.li a0, 1
    .option push
    .option norvc
    addi a0, a0, 2          /* at 2 mod 4 */
    addi a0, a0, 4
    .option pop
    CHECK_EQ a0, 7
    /* a jump to a 32-bit instruction at 2 mod 4 */
    TESTNUM 39
    li a0, 0
    j c_odd_target
    .balign 4
    c.nop
c_odd_target:
    .option push
    .option norvc
    addi a0, a0, 10
    .option pop
    CHECK_EQ a0, 10

    /* a 32-bit instruction straddling a 4 KiB page boundary */
    TESTNUM 40
    li a0, 0
    j c_straddle
    .balign 4096
    .skip 4092
c_straddle:
    c.li a0, 1
    .option push
    .option norvc
    addi a0, a0, 0x100     /* bytes 4094..4097 */
    .option pop
    c.addi a0, 2
    CHECK_EQ a0, 0x103

    /* ---- c.ebreak */
    TESTNUM 41
    TRAP_ARM
c_ebreak_here:
    c.ebreak
    .balign 4
88888:
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC c_ebreak_here

    /* ---- reserved encodings */
    TEST_ILLEGAL16 42, 0x0000   /* all-zero halfword */
    TEST_ILLEGAL16 43, 0x6501   /* c.lui a0, 0 */
    TEST_ILLEGAL16 44, 0x6101   /* c.addi16sp sp, 0 */
    TEST_ILLEGAL16 45, 0x4002   /* c.lwsp x0 */
    TEST_ILLEGAL16 46, 0x6002   /* c.ldsp x0 */
    TEST_ILLEGAL16 47, 0x8002   /* c.jr x0 */
    TEST_ILLEGAL16 48, 0x2001   /* c.addiw x0 */
    TEST_ILLEGAL16 49, 0x0004   /* c.addi4spn s1, sp, 0 */
    TEST_ILLEGAL16 50, 0x9c41   /* RV64C reserved: 100 1 11 ... 10 ... (funct2 = 10, bit 12 set) */

    j c_done
test_fail_near:
    j test_fail
c_callee:
    li a0, 77
    ret
c_done:
    .option pop
TEST_END

    .data
    .balign 8
cdata:
    .word 0x00000000, 0x89abcdef
    .dword 0x0123456789abcdef
    .dword 0, 0, 0, 0, 0, 0, 0
