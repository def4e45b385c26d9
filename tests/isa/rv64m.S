/* RV64M: multiply (low, high signed/unsigned/mixed), divide and remainder with the
 * division-by-zero and overflow results the spec defines, and the W forms with their
 * sign extension. Expected values computed independently. */
#include "test_macros.h"

#define TEST_RR(n, op, expected, a, b) \
    TEST_CASE(n, a0, expected, li a1, a; li a2, b; op a0, a1, a2)

TEST_BEGIN
    /* mul */
    TEST_RR(1, mul, 0x0, 0x0, 0x0)
    TEST_RR(2, mul, 0x15, 0x3, 0x7)
    TEST_RR(3, mul, 0x1, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(4, mul, 0xffffffffffffffff, 0xffffffffffffffff, 0x1)
    TEST_RR(5, mul, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(6, mul, 0x1, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(7, mul, 0x236d88fe5618cf00, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR(8, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff)
    /* mulh */
    TEST_RR(9, mulh, 0x0, 0x0, 0x0)
    TEST_RR(10, mulh, 0x0, 0x3, 0x7)
    TEST_RR(11, mulh, 0x0, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(12, mulh, 0xffffffffffffffff, 0xffffffffffffffff, 0x1)
    TEST_RR(13, mulh, 0x0, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(14, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(15, mulh, 0xffeb49923cc09532, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR(16, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    /* mulhsu */
    TEST_RR(17, mulhsu, 0x0, 0x0, 0x0)
    TEST_RR(18, mulhsu, 0x0, 0x3, 0x7)
    TEST_RR(19, mulhsu, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(20, mulhsu, 0xffffffffffffffff, 0xffffffffffffffff, 0x1)
    TEST_RR(21, mulhsu, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(22, mulhsu, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(23, mulhsu, 0x121fa00ad77d7422, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR(24, mulhsu, 0xffffffffffffffff, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(25, mulhsu, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffff)
    /* mulhu */
    TEST_RR(26, mulhu, 0x0, 0x0, 0x0)
    TEST_RR(27, mulhu, 0x0, 0x3, 0x7)
    TEST_RR(28, mulhu, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(29, mulhu, 0x0, 0xffffffffffffffff, 0x1)
    TEST_RR(30, mulhu, 0x7fffffffffffffff, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(31, mulhu, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(32, mulhu, 0x121fa00ad77d7422, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR(33, mulhu, 0x1, 0x8000000000000000, 0x2)
    /* mulw */
    TEST_RR(34, mulw, 0x15, 0x3, 0x7)
    TEST_RR(35, mulw, 0xfffffffffffffffe, 0x7fffffff, 0x2)
    TEST_RR(36, mulw, 0xf, 0x100000003, 0x200000005)
    TEST_RR(37, mulw, 0x1, 0xffffffff, 0xffffffff)
    TEST_RR(38, mulw, 0x0, 0x10000, 0x10000)
    /* div */
    TEST_RR(39, div, 0x3, 0x14, 0x6)
    TEST_RR(40, div, 0xfffffffffffffffd, 0xffffffffffffffec, 0x6)
    TEST_RR(41, div, 0xfffffffffffffffd, 0x14, 0xfffffffffffffffa)
    TEST_RR(42, div, 0x3, 0xffffffffffffffec, 0xfffffffffffffffa)
    TEST_RR(43, div, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(44, div, 0x8000000000000000, 0x8000000000000000, 0x1)
    TEST_RR(45, div, 0xffffffffffffffff, 0x5, 0x0)
    TEST_RR(46, div, 0xffffffffffffffff, 0xffffffffffffffff, 0x0)
    TEST_RR(47, div, 0x0, 0x0, 0x5)
    /* divu */
    TEST_RR(48, divu, 0x3, 0x14, 0x6)
    TEST_RR(49, divu, 0x2aaaaaaaaaaaaaa7, 0xffffffffffffffec, 0x6)
    TEST_RR(50, divu, 0x0, 0x14, 0xfffffffffffffffa)
    TEST_RR(51, divu, 0x0, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(52, divu, 0xffffffffffffffff, 0x5, 0x0)
    TEST_RR(53, divu, 0xffffffffffffffff, 0x0, 0x0)
    /* rem */
    TEST_RR(54, rem, 0x2, 0x14, 0x6)
    TEST_RR(55, rem, 0xfffffffffffffffe, 0xffffffffffffffec, 0x6)
    TEST_RR(56, rem, 0x2, 0x14, 0xfffffffffffffffa)
    TEST_RR(57, rem, 0xfffffffffffffffe, 0xffffffffffffffec, 0xfffffffffffffffa)
    TEST_RR(58, rem, 0x0, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(59, rem, 0x5, 0x5, 0x0)
    TEST_RR(60, rem, 0xfffffffffffffffb, 0xfffffffffffffffb, 0x0)
    /* remu */
    TEST_RR(61, remu, 0x2, 0x14, 0x6)
    TEST_RR(62, remu, 0x2, 0xffffffffffffffec, 0x6)
    TEST_RR(63, remu, 0x14, 0x14, 0xfffffffffffffffa)
    TEST_RR(64, remu, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffff)
    TEST_RR(65, remu, 0x5, 0x5, 0x0)
    TEST_RR(66, remu, 0xffffffffffffffff, 0xffffffffffffffff, 0x0)
    /* divw */
    TEST_RR(67, divw, 0x3, 0x14, 0x6)
    TEST_RR(68, divw, 0xfffffffffffffffd, 0xffffffffffffffec, 0x6)
    TEST_RR(69, divw, 0xffffffff80000000, 0xffffffff80000000, 0xffffffffffffffff)
    TEST_RR(70, divw, 0xffffffff80000000, 0x80000000, 0xffffffffffffffff)
    TEST_RR(71, divw, 0xffffffffffffffff, 0x5, 0x0)
    TEST_RR(72, divw, 0x3, 0x1200000014, 0x3400000006)
    /* divuw */
    TEST_RR(73, divuw, 0x3, 0x14, 0x6)
    TEST_RR(74, divuw, 0x2aaaaaa7, 0xffffffffffffffec, 0x6)
    TEST_RR(75, divuw, 0x0, 0x80000000, 0xffffffffffffffff)
    TEST_RR(76, divuw, 0xffffffffffffffff, 0x5, 0x0)
    TEST_RR(77, divuw, 0x3, 0x1200000014, 0x3400000006)
    TEST_RR(78, divuw, 0xffffffffffffffff, 0xffffffff, 0x1)
    /* remw */
    TEST_RR(79, remw, 0x2, 0x14, 0x6)
    TEST_RR(80, remw, 0xfffffffffffffffe, 0xffffffffffffffec, 0x6)
    TEST_RR(81, remw, 0x0, 0xffffffff80000000, 0xffffffffffffffff)
    TEST_RR(82, remw, 0xffffffff80000005, 0x80000005, 0x0)
    TEST_RR(83, remw, 0x2, 0x1200000014, 0x3400000006)
    /* remuw */
    TEST_RR(84, remuw, 0x2, 0x14, 0x6)
    TEST_RR(85, remuw, 0x2, 0xffffffffffffffec, 0x6)
    TEST_RR(86, remuw, 0xffffffff80000005, 0x80000005, 0x0)
    TEST_RR(87, remuw, 0x2, 0x1200000014, 0x3400000006)
    TEST_RR(88, remuw, 0xfffffffffffffff5, 0xfffffff5, 0xfffffff6)

    /* rd aliasing a source */
    TEST_CASE(91, a1, 42, li a1, 6; li a2, 7; mul a1, a1, a2)
    TEST_CASE(92, a2, 3, li a1, 20; li a2, 6; div a2, a1, a2)
    TEST_CASE(93, a1, 0x10000, li a1, 0x100; mul a1, a1, a1)
    /* the high and low halves of one product combine to the full result */
    TESTNUM 94
    li a1, 0xdeadbeefcafebabe
    li a2, 0x0123456789abcdef
    mul a3, a1, a2
    mulhu a4, a1, a2
    CHECK_EQ a3, 0x7eb689f4ea447d62
    CHECK_EQ a4, 0x00fd5bdeeeb2a01d
TEST_END
