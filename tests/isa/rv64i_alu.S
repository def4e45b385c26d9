/* RV64I integer computation: register-register, register-immediate, the 32-bit W forms,
 * LUI/AUIPC, and x0 as source and destination. Expected values computed independently. */
#include "test_macros.h"

/* rd = a0, rs1 = a1, rs2 = a2 */
#define TEST_RR(n, op, expected, a, b) \
    TEST_CASE(n, a0, expected, li a1, a; li a2, b; op a0, a1, a2)
#define TEST_RI(n, op, expected, a, imm) \
    TEST_CASE(n, a0, expected, li a1, a; op a0, a1, imm)

TEST_BEGIN
    /* add */
    TEST_RR(1, add, 0x0, 0x0, 0x0)
    TEST_RR(2, add, 0x2, 0x1, 0x1)
    TEST_RR(3, add, 0xa, 0x3, 0x7)
    TEST_RR(4, add, 0x0, 0xffffffffffffffff, 0x1)
    TEST_RR(5, add, 0x8000000000000000, 0x7fffffffffffffff, 0x1)
    TEST_RR(6, add, 0x0, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(7, add, 0x2222222222222211, 0x123456789abcdef0, 0xfedcba987654321)
    TEST_RR(8, add, 0x100000000, 0xffffffff, 0x1)
    /* sub */
    TEST_RR(9, sub, 0x0, 0x0, 0x0)
    TEST_RR(10, sub, 0x0, 0x1, 0x1)
    TEST_RR(11, sub, 0xfffffffffffffffc, 0x3, 0x7)
    TEST_RR(12, sub, 0xffffffffffffffff, 0x0, 0x1)
    TEST_RR(13, sub, 0x7fffffffffffffff, 0x8000000000000000, 0x1)
    TEST_RR(14, sub, 0x8000000000000000, 0x7fffffffffffffff, 0xffffffffffffffff)
    TEST_RR(15, sub, 0x2468acf13579bcf, 0x123456789abcdef0, 0xfedcba987654321)
    /* and */
    TEST_RR(16, and, 0xf000f000f000f00, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0)
    TEST_RR(17, and, 0x123456789abcdef0, 0xffffffffffffffff, 0x123456789abcdef0)
    TEST_RR(18, and, 0x0, 0x0, 0xffffffffffffffff)
    /* or */
    TEST_RR(19, or, 0xfff0fff0fff0fff0, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0)
    TEST_RR(20, or, 0x123456789abcdef0, 0x0, 0x123456789abcdef0)
    TEST_RR(21, or, 0x8000000000000001, 0x8000000000000000, 0x1)
    /* xor */
    TEST_RR(22, xor, 0xf0f0f0f0f0f0f0f0, 0xff00ff00ff00ff00, 0xff00ff00ff00ff0)
    TEST_RR(23, xor, 0xedcba9876543210f, 0xffffffffffffffff, 0x123456789abcdef0)
    TEST_RR(24, xor, 0x0, 0x5555, 0x5555)
    /* sll */
    TEST_RR(25, sll, 0x1, 0x1, 0x0)
    TEST_RR(26, sll, 0x2, 0x1, 0x1)
    TEST_RR(27, sll, 0x8000000000000000, 0x1, 0x3f)
    TEST_RR(28, sll, 0xffffffff00000000, 0xffffffffffffffff, 0x20)
    TEST_RR(29, sll, 0x23456789abcdef00, 0x123456789abcdef0, 0x4)
    TEST_RR(30, sll, 0x1, 0x1, 0x40)
    TEST_RR(31, sll, 0x2, 0x1, 0xffffffffffffffc1)
    /* srl */
    TEST_RR(32, srl, 0x8000000000000000, 0x8000000000000000, 0x0)
    TEST_RR(33, srl, 0x4000000000000000, 0x8000000000000000, 0x1)
    TEST_RR(34, srl, 0x1, 0x8000000000000000, 0x3f)
    TEST_RR(35, srl, 0xffffffff, 0xffffffffffffffff, 0x20)
    TEST_RR(36, srl, 0x123456789abcdef, 0x123456789abcdef0, 0x4)
    TEST_RR(37, srl, 0x4000000000000000, 0x8000000000000000, 0x41)
    /* sra */
    TEST_RR(38, sra, 0x8000000000000000, 0x8000000000000000, 0x0)
    TEST_RR(39, sra, 0xc000000000000000, 0x8000000000000000, 0x1)
    TEST_RR(40, sra, 0xffffffffffffffff, 0x8000000000000000, 0x3f)
    TEST_RR(41, sra, 0x1, 0x7fffffffffffffff, 0x3e)
    TEST_RR(42, sra, 0xff23456789abcdef, 0xf23456789abcdef0, 0x4)
    TEST_RR(43, sra, 0xf800000000000000, 0x8000000000000000, 0xffffffffffffffc4)
    /* slt */
    TEST_RR(44, slt, 0x0, 0x0, 0x0)
    TEST_RR(45, slt, 0x1, 0x0, 0x1)
    TEST_RR(46, slt, 0x0, 0x1, 0x0)
    TEST_RR(47, slt, 0x1, 0xffffffffffffffff, 0x0)
    TEST_RR(48, slt, 0x0, 0x0, 0xffffffffffffffff)
    TEST_RR(49, slt, 0x1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(50, slt, 0x0, 0x7fffffffffffffff, 0x8000000000000000)
    /* sltu */
    TEST_RR(51, sltu, 0x0, 0x0, 0x0)
    TEST_RR(52, sltu, 0x1, 0x0, 0x1)
    TEST_RR(53, sltu, 0x0, 0x1, 0x0)
    TEST_RR(54, sltu, 0x0, 0xffffffffffffffff, 0x0)
    TEST_RR(55, sltu, 0x1, 0x0, 0xffffffffffffffff)
    TEST_RR(56, sltu, 0x0, 0x8000000000000000, 0x7fffffffffffffff)
    /* addw */
    TEST_RR(57, addw, 0x0, 0x0, 0x0)
    TEST_RR(58, addw, 0xffffffff80000000, 0x7fffffff, 0x1)
    TEST_RR(59, addw, 0x0, 0xffffffff, 0x1)
    TEST_RR(60, addw, 0x22222211, 0x123456789abcdef0, 0xfedcba987654321)
    TEST_RR(61, addw, 0x0, 0xffffffff80000000, 0xffffffff80000000)
    TEST_RR(62, addw, 0x5, 0x100000000, 0x5)
    /* subw */
    TEST_RR(63, subw, 0xffffffffffffffff, 0x0, 0x1)
    TEST_RR(64, subw, 0x7fffffff, 0x80000000, 0x1)
    TEST_RR(65, subw, 0xffffffffffffffff, 0x100000000, 0x1)
    TEST_RR(66, subw, 0x13579bcf, 0x123456789abcdef0, 0xfedcba987654321)
    /* sllw */
    TEST_RR(67, sllw, 0xffffffff80000000, 0x1, 0x1f)
    TEST_RR(68, sllw, 0x1, 0x1, 0x20)
    TEST_RR(69, sllw, 0xfffffffffffffff0, 0xffffffff, 0x4)
    TEST_RR(70, sllw, 0x23456780, 0x12345678, 0x24)
    TEST_RR(71, sllw, 0x1, 0x100000001, 0x0)
    /* srlw */
    TEST_RR(72, srlw, 0x1, 0x80000000, 0x1f)
    TEST_RR(73, srlw, 0xffffffff80000000, 0x80000000, 0x0)
    TEST_RR(74, srlw, 0x8000000, 0xffffffff80000000, 0x4)
    TEST_RR(75, srlw, 0x123456, 0x1234567812345678, 0x28)
    /* sraw */
    TEST_RR(76, sraw, 0xffffffffffffffff, 0x80000000, 0x1f)
    TEST_RR(77, sraw, 0xffffffff80000000, 0x80000000, 0x0)
    TEST_RR(78, sraw, 0x7ffffff, 0x7fffffff, 0x4)
    TEST_RR(79, sraw, 0xfffffffff8000000, 0xffffffff80000000, 0x4)
    TEST_RR(80, sraw, 0xffffffffff000000, 0x12345678f0000000, 0x24)
    /* addi */
    TEST_RI(81, addi, 0x0, 0x0, 0)
    TEST_RI(82, addi, 0x2, 0x1, 1)
    TEST_RI(83, addi, 0x4, 0x5, -1)
    TEST_RI(84, addi, 0x0, 0xffffffffffffffff, 1)
    TEST_RI(85, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_RI(86, addi, 0x7ff, 0x0, 2047)
    TEST_RI(87, addi, 0xfffffffffffff800, 0x0, -2048)
    TEST_RI(88, addi, 0x123456789abcdeef, 0x123456789abcdef0, -1)
    /* andi */
    TEST_RI(89, andi, 0x0, 0xff00ff00ff00ff00, 240)
    TEST_RI(90, andi, 0xfffffffffffff800, 0xffffffffffffffff, -2048)
    TEST_RI(91, andi, 0x123456789abcdef0, 0x123456789abcdef0, -1)
    /* ori */
    TEST_RI(92, ori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 240)
    TEST_RI(93, ori, 0xfffffffffffff800, 0x0, -2048)
    TEST_RI(94, ori, 0x8000000000000001, 0x8000000000000000, 1)
    /* xori */
    TEST_RI(95, xori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 240)
    TEST_RI(96, xori, 0xedcba9876543210f, 0x123456789abcdef0, -1)
    TEST_RI(97, xori, 0x0, 0xff, 255)
    /* slti */
    TEST_RI(98, slti, 0x0, 0x0, 0)
    TEST_RI(99, slti, 0x1, 0x0, 1)
    TEST_RI(100, slti, 0x1, 0xffffffffffffffff, 0)
    TEST_RI(101, slti, 0x0, 0x0, -1)
    TEST_RI(102, slti, 0x1, 0x8000000000000000, 2047)
    TEST_RI(103, slti, 0x0, 0x7fffffffffffffff, -2048)
    /* sltiu */
    TEST_RI(104, sltiu, 0x0, 0x0, 0)
    TEST_RI(105, sltiu, 0x1, 0x0, 1)
    TEST_RI(106, sltiu, 0x0, 0x1, 1)
    TEST_RI(107, sltiu, 0x0, 0xffffffffffffffff, -1)
    TEST_RI(108, sltiu, 0x1, 0xfffffffffffffffe, -1)
    TEST_RI(109, sltiu, 0x1, 0x0, -2048)
    TEST_RI(110, sltiu, 0x0, 0x5, 0)
    /* slli */
    TEST_RI(111, slli, 0x1, 0x1, 0)
    TEST_RI(112, slli, 0x8000000000000000, 0x1, 63)
    TEST_RI(113, slli, 0xffffffff00000000, 0xffffffffffffffff, 32)
    TEST_RI(114, slli, 0x23456789abcdef00, 0x123456789abcdef0, 4)
    /* srli */
    TEST_RI(115, srli, 0x1, 0x8000000000000000, 63)
    TEST_RI(116, srli, 0xffffffff, 0xffffffffffffffff, 32)
    TEST_RI(117, srli, 0x123456789abcdef, 0x123456789abcdef0, 4)
    TEST_RI(118, srli, 0x8000000000000000, 0x8000000000000000, 0)
    /* srai */
    TEST_RI(119, srai, 0xffffffffffffffff, 0x8000000000000000, 63)
    TEST_RI(120, srai, 0xc000000000000000, 0x8000000000000000, 1)
    TEST_RI(121, srai, 0x1, 0x7fffffffffffffff, 62)
    TEST_RI(122, srai, 0xff23456789abcdef, 0xf23456789abcdef0, 4)
    /* addiw */
    TEST_RI(123, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(124, addiw, 0x0, 0xffffffff, 1)
    TEST_RI(125, addiw, 0xffffffff9abcdef0, 0x123456789abcdef0, 0)
    TEST_RI(126, addiw, 0xffffffffffffffff, 0x0, -1)
    TEST_RI(127, addiw, 0x7fffffff, 0x80000000, -1)
    /* slliw */
    TEST_RI(128, slliw, 0xffffffff80000000, 0x1, 31)
    TEST_RI(129, slliw, 0xfffffffffffffff0, 0xffffffff, 4)
    TEST_RI(130, slliw, 0x1, 0x100000001, 0)
    TEST_RI(131, slliw, 0x56780000, 0x12345678, 16)
    /* srliw */
    TEST_RI(132, srliw, 0x1, 0x80000000, 31)
    TEST_RI(133, srliw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RI(134, srliw, 0x8000000, 0xffffffff80000000, 4)
    TEST_RI(135, srliw, 0x123456, 0x1234567812345678, 8)
    /* sraiw */
    TEST_RI(136, sraiw, 0xffffffffffffffff, 0x80000000, 31)
    TEST_RI(137, sraiw, 0xffffffff80000000, 0x80000000, 0)
    TEST_RI(138, sraiw, 0x7ffffff, 0x7fffffff, 4)
    TEST_RI(139, sraiw, 0xfffffffff8000000, 0xffffffff80000000, 4)
    TEST_RI(140, sraiw, 0xffffffffff800000, 0x1234567880000000, 8)

    /* operand and destination registers that coincide */
    TEST_CASE(141, a1, 0x10, li a1, 8; add a1, a1, a1)
    TEST_CASE(142, a1, 0, li a1, 0x1234; sub a1, a1, a1)
    TEST_CASE(143, a1, 0x100, li a1, 8; li a2, 5; sll a1, a1, a2)
    TEST_CASE(144, a2, 0xfffffffffffffff0, li a2, -1; slli a2, a2, 4)

    /* x0 reads as zero and ignores writes */
    TEST_CASE(145, a0, 0, li a0, 0x55; add a0, x0, x0)
    TEST_CASE(146, a0, 0x55, li a0, 0x55; addi x0, a0, 1; add a0, a0, x0)
    TEST_CASE(147, a0, 0, li a1, 7; add x0, a1, a1; mv a0, x0)
    TEST_CASE(148, a0, 0, lui x0, 0x12345; mv a0, x0)
    TEST_CASE(149, a0, 1, li a1, 5; sltu a0, x0, a1)   /* snez */
    TEST_CASE(150, a0, 0xfffffffffffffffb, li a1, 5; sub a0, x0, a1) /* neg */

    /* lui: 20-bit immediate << 12, sign-extended from bit 31 */
    TEST_CASE(151, a0, 0x12345000, lui a0, 0x12345)
    TEST_CASE(152, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(153, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(154, a0, 0, lui a0, 0)
    TEST_CASE(155, a0, 0x7ffff000, lui a0, 0x7ffff)

    /* auipc: pc + (imm << 12) */
    TESTNUM 156
    la a1, auipc_here
auipc_here:
    auipc a0, 0
    CHECK_SAME a0, a1
    TESTNUM 157
    la a1, auipc_there
auipc_there:
    auipc a0, 0x1
    li t0, 0x1000
    add a1, a1, t0
    CHECK_SAME a0, a1
    TESTNUM 158
    la a1, auipc_back
auipc_back:
    auipc a0, 0xfffff /* -4096 */
    li t0, -0x1000
    add a1, a1, t0
    CHECK_SAME a0, a1

    /* the W forms ignore the upper half of their sources */
    TEST_CASE(159, a0, 0x3, li a1, 0xabcdef0100000001; li a2, 0x1234567800000002; addw a0, a1, a2)
    TEST_CASE(160, a0, 0xffffffffffffffff, li a1, 0xffffffff00000000; addiw a0, a1, -1)
    /* sext.w */
    TEST_CASE(161, a0, 0xffffffff89abcdef, li a1, 0x0123456789abcdef; sext.w a0, a1)
    /* shift amounts use only the low 6 (5 for W) bits of rs2 */
    TEST_CASE(162, a0, 0x2, li a1, 1; li a2, 0x41; sll a0, a1, a2)
    TEST_CASE(163, a0, 0x2, li a1, 1; li a2, 0x21; sllw a0, a1, a2)
TEST_END
