/* Prints "hello" through the HTIF console, then passes. */
#include "test_macros.h"

TEST_BEGIN
    TESTNUM 1
    la s0, message
1:  lbu a0, 0(s0)
    beqz a0, 2f
    call htif_putchar
    /* the host must have cleared tohost before answering through fromhost */
    la t0, tohost
    ld t1, 0(t0)
    CHECK_EQ t1, 0
    addi s0, s0, 1
    j 1b
2:
TEST_END

    .data
message:
    .asciz "hello\n"
