/* A raw S-mode program for the built-in SBI (run with --raw-kernel): it prints through DBCN
 * and the legacy console, checks BASE and HSM answers, and powers off with SRST. rvisor must
 * print "sbi-calls-ok" and exit 0; any wrong answer shuts down with reason "system failure",
 * which rvisor reports with exit status 1. */
    .equ MESSAGE_LENGTH, 9 /* "sbi-calls" */
    .section .text
    .globl _start
_start:
    mv s0, a0                     /* our hart id */

    /* DBCN console_write(num_bytes, base_lo, base_hi) of the message */
    li a7, 0x4442434E
    li a6, 0
    li a0, MESSAGE_LENGTH
    la a1, message
    li a2, 0
    ecall
    bnez a0, fail
    li t0, MESSAGE_LENGTH
    bne a1, t0, fail

    /* DBCN console_write_byte('-') then legacy putchar "ok\n" */
    li a7, 0x4442434E
    li a6, 2
    li a0, '-'
    ecall
    bnez a0, fail
    li a7, 1
    li a0, 'o'
    ecall
    li a7, 1
    li a0, 'k'
    ecall
    li a7, 1
    li a0, '\n'
    ecall

    /* BASE get_spec_version: 2.0 */
    li a7, 0x10
    li a6, 0
    ecall
    bnez a0, fail
    li t0, 2 << 24
    bne a1, t0, fail

    /* BASE probe_extension(HSM) is 1; probe of an unknown extension is 0 */
    li a7, 0x10
    li a6, 3
    li a0, 0x48534D
    ecall
    li t0, 1
    bne a1, t0, fail
    li a7, 0x10
    li a6, 3
    li a0, 0x12345678
    ecall
    bnez a1, fail

    /* HSM hart_get_status(our hart) is STARTED (0); an unknown hart is INVALID_PARAM (-3) */
    li a7, 0x48534D
    li a6, 2
    mv a0, s0
    ecall
    bnez a0, fail
    bnez a1, fail
    li a7, 0x48534D
    li a6, 2
    li a0, 1000
    ecall
    li t0, -3
    bne a0, t0, fail

    /* SRST system_reset(shutdown, no reason) */
    li a7, 0x53525354
    li a6, 0
    li a0, 0
    li a1, 0
    ecall
1:  j 1b

fail:
    li a7, 0x53525354
    li a6, 0
    li a0, 0
    li a1, 1                      /* system failure */
    ecall
2:  j 2b

    .section .rodata
message:
    .ascii "sbi-calls"
