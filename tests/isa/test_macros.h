/* Bare-metal ISA test harness for rvisor (RV64GC, M-mode start, HTIF exit).
 *
 * A test file looks like:
 *
 *     #include "test_macros.h"
 *     TEST_BEGIN
 *         TEST_CASE(1, a0, 3, li a1, 1; li a2, 2; add a0, a1, a2)
 *         TEST_TRAP(2, CAUSE_ILLEGAL_INSTRUCTION, .word 0)
 *     TEST_END
 *
 * Protocol (HTIF, as Spike): writing 1 to `tohost` passes; (n << 1) | 1 fails test case n;
 * (1 << 56) | (1 << 48) | c prints character c, after which the host clears tohost and
 * writes a non-zero value to `fromhost`. htif_putchar (a0 = character, clobbers t0-t2),
 * htif_puts (a1 = string) and htif_puthex/htif_putdec (a1 = value) print from M-mode.
 *
 * Conventions:
 *  - gp (x3) holds the number of the running test case (1..255: QEMU and rvisor report it as
 *    the exit status, so a multiple of 256 would read as a pass).
 *  - Check macros clobber t4, t5, t6; mode switches clobber t0, t1. Test code may use any
 *    other register, and sp points at a 16 KiB stack.
 *  - The TEST_* macros written in capitals with parentheses are C preprocessor macros and
 *    take several instructions separated by `;`. The others are assembler macros: GAS splits
 *    a line at `;` before it expands them, so give those a single instruction.
 *  - Every instruction is 4 bytes unless a file says `.option rvc` (the header sets norvc),
 *    so trap addresses are predictable.
 *  - Any trap that the test did not arm for fails the test with the current case number,
 *    after printing mcause/mepc/mtval through HTIF.
 *  - TRAP_ARM arms the handlers (M-mode and S-mode alike) for the next trap. An exception is
 *    recorded in trap_state and execution resumes, in the mode that trapped, at the resume
 *    label 88888 that follows (the local labels 88880..88889 are reserved for the harness).
 *    An interrupt is recorded, its enable bit is cleared in mie (M handler) or sie (S handler)
 *    so it cannot be taken again at once, and execution resumes where it was interrupted;
 *    the handler stays armed, so a sequence of interrupts is logged in order.
 *  - RETURN_TO_M comes back to M-mode from any mode by an ecall that the handlers recognise
 *    (t0 = RETURN_TO_M_MAGIC, t1 = where to continue, which must be identity mapped); it
 *    clobbers t0 (left 0) and t1, and continues with mstatus.MIE clear.
 */
#ifndef RVISOR_ISA_TEST_MACROS_H
#define RVISOR_ISA_TEST_MACROS_H

/* ---------------------------------------------------------------- constants */
#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE (1 << 1)
#define MSTATUS_MIE (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_UBE (1 << 6)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP (1 << 8)
#define MSTATUS_VS (3 << 9)
#define MSTATUS_MPP (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_FS (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN (2 << 13)
#define MSTATUS_FS_DIRTY (3 << 13)
#define MSTATUS_XS (3 << 15)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM (1 << 18)
#define MSTATUS_MXR (1 << 19)
#define MSTATUS_TVM (1 << 20)
#define MSTATUS_TW (1 << 21)
#define MSTATUS_TSR (1 << 22)
#define MSTATUS_UXL (3 << 32)
#define MSTATUS_SXL (3 << 34)
#define MSTATUS_SD (1 << 63)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15

#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define IRQ_M_EXT 11
#define INTERRUPT_CAUSE(irq) ((1 << 63) | (irq))
#define MIP_SSIP (1 << IRQ_S_SOFT)
#define MIP_MSIP (1 << IRQ_M_SOFT)
#define MIP_STIP (1 << IRQ_S_TIMER)
#define MIP_MTIP (1 << IRQ_M_TIMER)
#define MIP_SEIP (1 << IRQ_S_EXT)
#define MIP_MEIP (1 << IRQ_M_EXT)

#define CLINT_BASE 0x02000000
#define CLINT_MSIP (CLINT_BASE + 0x0)
#define CLINT_MTIMECMP (CLINT_BASE + 0x4000)
#define CLINT_MTIME (CLINT_BASE + 0xBFF8)

#define MENVCFG_STCE (1 << 63)
#define SATP_MODE_SV39 (8 << 60)
#define SATP_MODE_SV48 (9 << 60)

#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define RETURN_TO_M_MAGIC 0x52455455524e4d21

/* trap_state layout */
#define TS_ARMED 0
#define TS_RESUME 8
#define TS_COUNT 16
#define TS_CAUSE 24
#define TS_EPC 32
#define TS_TVAL 40
#define TS_PRIV 48   /* privilege the trap came from */
#define TS_LEVEL 56  /* privilege that handled it: 3 = M, 1 = S */
#define TS_STATUS 64 /* mstatus or sstatus as the handler saw it */
#define TS_LOG 72    /* causes of the first 8 traps since TRAP_ARM */
#define TS_LOG_ENTRIES 8
#define TS_SIZE (TS_LOG + 8 * TS_LOG_ENTRIES)

#define HTIF_PUTCHAR_CMD ((1 << 56) | (1 << 48))

/* Built with -DISA_TEST_SYSCON, a test also runs on a virt-style machine without HTIF (such
 * as QEMU's virt): it prints to the ns16550a UART and ends through the syscon (sifive_test). */
#define UART0_BASE 0x10000000
#define SYSCON_BASE 0x100000
#define SYSCON_PASS 0x5555
#define SYSCON_FAIL 0x3333

    .option norvc

/* ---------------------------------------------------------------- test cases */

/* Set the current test case number. */
.macro TESTNUM n
    .if ((\n) < 1) || ((\n) > 255)
    .error "test case numbers must be in 1..255"
    .endif
    li gp, \n
.endm

/* Fail the current case unless reg == expected (a 64-bit constant). */
.macro CHECK_EQ reg, expected
    .ifc \reg, t6
    .error "CHECK_EQ: the register under test must not be t6"
    .endif
    li t6, \expected
    beq \reg, t6, .Lcheck_ok\@
    j test_fail
.Lcheck_ok\@:
.endm

/* Fail unless reg1 == reg2. */
.macro CHECK_SAME reg1, reg2
    beq \reg1, \reg2, .Lcheck_ok\@
    j test_fail
.Lcheck_ok\@:
.endm

/* Fail unless the 64-bit word at symbol equals expected. */
.macro CHECK_MEM symbol, expected
    la t5, \symbol
    ld t4, 0(t5)
    CHECK_EQ t4, \expected
.endm

#define TEST_CASE(n, reg, expected, ...) \
    TESTNUM n;                           \
    __VA_ARGS__;                         \
    CHECK_EQ reg, expected

/* ---------------------------------------------------------------- traps */

/* Arm the trap handlers; an exception resumes at the next label 88888. */
.macro TRAP_ARM
    la t5, trap_state
    la t6, 88888f
    sd t6, TS_RESUME(t5)
    sd zero, TS_COUNT(t5)
    li t6, -1
    sd t6, TS_CAUSE(t5)
    li t6, 1
    sd t6, TS_ARMED(t5)
.endm

/* Arm for interrupts only (no resume label needed: they resume where interrupted). */
.macro TRAP_ARM_INTERRUPTS
    la t5, trap_state
    sd zero, TS_RESUME(t5)
    sd zero, TS_COUNT(t5)
    li t6, -1
    sd t6, TS_CAUSE(t5)
    li t6, 1
    sd t6, TS_ARMED(t5)
.endm

.macro TRAP_DISARM
    la t5, trap_state
    sd zero, TS_ARMED(t5)
.endm

/* Fail unless exactly `count` traps were taken since TRAP_ARM. */
.macro CHECK_TRAP_COUNT count
    la t5, trap_state
    ld t4, TS_COUNT(t5)
    CHECK_EQ t4, \count
.endm

/* Fail unless exactly one trap was taken, with the given cause. */
.macro CHECK_TRAP cause
    CHECK_TRAP_COUNT 1
    ld t4, TS_CAUSE(t5)
    CHECK_EQ t4, \cause
.endm

.macro CHECK_TVAL expected
    la t5, trap_state
    ld t4, TS_TVAL(t5)
    CHECK_EQ t4, \expected
.endm

/* Fail unless the trap's epc is the address of `label`. */
.macro CHECK_EPC label
    la t5, trap_state
    ld t4, TS_EPC(t5)
    la t6, \label
    CHECK_SAME t4, t6
.endm

/* Fail unless the trap's tval is the address of `label` (plus offset). */
.macro CHECK_TVAL_ADDR label, offset=0
    la t5, trap_state
    ld t4, TS_TVAL(t5)
    la t6, \label
    addi t6, t6, \offset
    CHECK_SAME t4, t6
.endm

/* Fail unless the trap's tval holds the 32-bit instruction at `label`. */
.macro CHECK_TVAL_INSN label
    la t5, \label
    lwu t6, 0(t5)
    la t5, trap_state
    ld t4, TS_TVAL(t5)
    CHECK_SAME t4, t6
.endm

/* Fail unless the trap came from privilege `priv`. */
.macro CHECK_PRIV priv
    la t5, trap_state
    ld t4, TS_PRIV(t5)
    CHECK_EQ t4, \priv
.endm

/* Fail unless the trap was handled at privilege `level` (PRV_M or PRV_S). */
.macro CHECK_LEVEL level
    la t5, trap_state
    ld t4, TS_LEVEL(t5)
    CHECK_EQ t4, \level
.endm

/* Fail unless log entry i (0-based) holds cause. */
.macro CHECK_LOG i, cause
    la t5, trap_state
    ld t4, (TS_LOG + 8 * (\i))(t5)
    CHECK_EQ t4, \cause
.endm

/* Run code (in the current mode); it must trap with `cause`. */
#define TEST_TRAP(n, cause, ...) \
    TESTNUM n;                   \
    TRAP_ARM;                    \
    __VA_ARGS__;                 \
88888:;                          \
    CHECK_TRAP cause

/* Run code in privilege mode `mode`; it must trap with `cause`. Back in M-mode afterwards. */
#define TEST_TRAP_IN(n, mode, cause, ...) \
    TESTNUM n;                            \
    TRAP_ARM;                             \
    ENTER_MODE mode;                      \
    __VA_ARGS__;                          \
88888:;                                   \
    RETURN_TO_M;                          \
    CHECK_TRAP cause

/* Run code; it must not trap. */
#define TEST_NO_TRAP(n, ...) \
    TESTNUM n;               \
    __VA_ARGS__

/* Run one instruction in privilege `mode` (from M-mode); it must raise illegal instruction
 * with mepc and mtval naming it. Back in M-mode afterwards. */
.macro TEST_ILLEGAL_IN n, mode, insn:vararg
    TESTNUM \n
    TRAP_ARM
    ENTER_MODE \mode
.Lillegal_insn\@:
    \insn
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_TVAL_INSN .Lillegal_insn\@
    CHECK_EPC .Lillegal_insn\@
    CHECK_PRIV \mode
    CHECK_LEVEL PRV_M
.endm

/* ---------------------------------------------------------------- privilege */

/* From M-mode, continue at the next instruction in privilege `mode` (mret), with
 * mstatus.MIE clear. */
.macro ENTER_MODE mode
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    li t0, ((\mode) << 11)
    csrs mstatus, t0
    la t0, .Lentered\@
    csrw mepc, t0
    mret
.Lentered\@:
.endm

/* From M-mode, continue at `label` in privilege `mode` (mret), with mstatus.MIE clear. */
.macro ENTER_MODE_AT mode, label
    li t0, MSTATUS_MPP | MSTATUS_MPIE
    csrc mstatus, t0
    li t0, ((\mode) << 11)
    csrs mstatus, t0
    la t0, \label
    csrw mepc, t0
    mret
.endm

.macro ENTER_S
    ENTER_MODE PRV_S
.endm

.macro ENTER_U
    ENTER_MODE PRV_U
.endm

/* From any mode, continue at the next instruction in M-mode. */
.macro RETURN_TO_M
    li t0, RETURN_TO_M_MAGIC
    la t1, .Lreturned\@
    ecall
.Lreturned\@:
.endm

/* Busy-wait until at least `count` traps were recorded, at most `spins` iterations. */
.macro WAIT_FOR_TRAPS count, spins=100000
    li t4, \spins
.Lwait\@:
    la t5, trap_state
    ld t6, TS_COUNT(t5)
    addi t6, t6, -(\count)
    bgez t6, .Lwaited\@
    addi t4, t4, -1
    bnez t4, .Lwait\@
.Lwaited\@:
.endm

/* ---------------------------------------------------------------- HTIF */

.macro SAVE_FRAME base
    .irp r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    sd x\r, (8 * \r)(\base)
    .endr
.endm

.macro RESTORE_FRAME base
    .irp r, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    ld x\r, (8 * \r)(\base)
    .endr
.endm

/* Record a trap seen by a handler in trap_state. In: a0 cause, a1 epc, a2 tval, a3 status,
 * a4 previous privilege, a5 handling level. Out: t0 = &trap_state. Clobbers t1-t3. */
.macro RECORD_TRAP
    la t0, trap_state
    sd a0, TS_CAUSE(t0)
    sd a1, TS_EPC(t0)
    sd a2, TS_TVAL(t0)
    sd a3, TS_STATUS(t0)
    sd a4, TS_PRIV(t0)
    sd a5, TS_LEVEL(t0)
    ld t2, TS_COUNT(t0)
    addi t3, t2, 1
    sd t3, TS_COUNT(t0)
    li t3, TS_LOG_ENTRIES
    bgeu t2, t3, .Lno_log\@
    slli t2, t2, 3
    add t2, t2, t0
    sd a0, TS_LOG(t2)
.Lno_log\@:
.endm

/* ---------------------------------------------------------------- program frame */

.macro TEST_BEGIN
    .section .text.init, "ax", @progbits
    .globl _start
_start:
    .irp r, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
    li x\r, 0
    .endr
    csrr t0, mhartid
    bnez t0, harness_park
    /* PMP may be absent: guard its setup with a temporary trap vector. */
    la t0, harness_pmp_done
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f /* NAPOT, R W X: all of memory for S and U */
    csrw pmpcfg0, t0
    .balign 4
harness_pmp_done:
    la t0, trap_entry_m
    csrw mtvec, t0
    la t0, harness_frame_m
    csrw mscratch, t0
    la t0, trap_entry_s
    csrw stvec, t0
    la t0, harness_frame_s
    csrw sscratch, t0
    csrw medeleg, zero
    csrw mideleg, zero
    csrw mie, zero
    csrw mip, zero
    csrw satp, zero
    li t0, MSTATUS_FS_INITIAL
    csrw mstatus, t0
    csrw fcsr, zero
    li t0, 7
    csrw mcounteren, t0
    csrw scounteren, t0
    li t0, CLINT_MSIP
    sw zero, 0(t0)
    li t0, CLINT_MTIMECMP
    li t1, -1
    sd t1, 0(t0)
    la sp, _stack_top
    li t0, 0
    li t1, 0
    j test_body

harness_park:
    wfi
    j harness_park

    /* ---- M-mode trap handler */
    .balign 64
trap_entry_m:
    csrrw sp, mscratch, sp
    SAVE_FRAME sp
    csrr t0, mscratch
    sd t0, 16(sp)
    csrr a0, mcause
    csrr a1, mepc
    csrr a2, mtval
    csrr a3, mstatus
    bltz a0, 2f
    li t0, CAUSE_USER_ECALL
    beq a0, t0, 1f
    li t0, CAUSE_SUPERVISOR_ECALL
    beq a0, t0, 1f
    li t0, CAUSE_MACHINE_ECALL
    bne a0, t0, 2f
1:  /* RETURN_TO_M: continue at saved t1 in M-mode */
    ld t1, 40(sp)
    li t0, RETURN_TO_M_MAGIC
    bne t0, t1, 2f
    ld t1, 48(sp)
    csrw mepc, t1
    sd zero, 40(sp) /* t0 must not stay magic: a later ecall is a real one */
    li t0, MSTATUS_MPP
    csrs mstatus, t0
    li t0, MSTATUS_MPIE /* continue with MIE clear */
    csrc mstatus, t0
    j trap_return_m
2:  la t0, trap_state
    ld t1, TS_ARMED(t0)
    li a5, PRV_M
    beqz t1, trap_unexpected
    srli a4, a3, 11
    andi a4, a4, 3
    RECORD_TRAP
    bgez a0, 3f
    andi t2, a0, 63
    li t3, 1
    sll t3, t3, t2
    csrc mie, t3
    j trap_return_m
3:  sd zero, TS_ARMED(t0)
    ld t1, TS_RESUME(t0)
    csrw mepc, t1
trap_return_m:
    RESTORE_FRAME sp
    csrrw sp, mscratch, sp
    mret

    /* ---- S-mode trap handler */
    .balign 64
trap_entry_s:
    csrrw sp, sscratch, sp
    SAVE_FRAME sp
    csrr t0, sscratch
    sd t0, 16(sp)
    csrr a0, scause
    csrr a1, sepc
    csrr a2, stval
    csrr a3, sstatus
    bltz a0, 2f
    li t0, CAUSE_USER_ECALL
    beq a0, t0, 1f
    li t0, CAUSE_SUPERVISOR_ECALL
    bne a0, t0, 2f
1:  /* RETURN_TO_M from a mode whose ecall is delegated: pass it on to M */
    ld t1, 40(sp)
    li t0, RETURN_TO_M_MAGIC
    bne t0, t1, 2f
    RESTORE_FRAME sp
    csrrw sp, sscratch, sp
    ecall
2:  la t0, trap_state
    ld t1, TS_ARMED(t0)
    li a5, PRV_S
    beqz t1, trap_unexpected
    srli a4, a3, 8
    andi a4, a4, 1
    RECORD_TRAP
    bgez a0, 3f
    andi t2, a0, 63
    li t3, 1
    sll t3, t3, t2
    csrc sie, t3
    j trap_return_s
3:  sd zero, TS_ARMED(t0)
    ld t1, TS_RESUME(t0)
    csrw sepc, t1
trap_return_s:
    RESTORE_FRAME sp
    csrrw sp, sscratch, sp
    sret

    /* ---- an unexpected trap: a0 cause, a1 epc, a2 tval, a5 level; gp still holds the case */
trap_unexpected:
    mv s2, a0
    mv s3, a1
    mv s4, a2
    mv s5, a5
    la a1, harness_msg_trap
    call htif_puts
    li t0, PRV_M
    la a1, harness_msg_cause_m
    beq s5, t0, 1f
    la a1, harness_msg_cause_s
1:  call htif_puts
    mv a1, s2
    call htif_puthex
    la a1, harness_msg_epc
    call htif_puts
    mv a1, s3
    call htif_puthex
    la a1, harness_msg_tval
    call htif_puts
    mv a1, s4
    call htif_puthex
    li a0, '\n'
    call htif_putchar
    j test_fail

    /* ---- HTIF console. htif_putchar: a0 = char; clobbers t0-t2. */
htif_putchar:
#ifdef ISA_TEST_SYSCON
    li t1, UART0_BASE
1:  lbu t2, 5(t1)              /* LSR.THRE */
    andi t2, t2, 0x20
    beqz t2, 1b
    sb a0, 0(t1)
    ret
#else
    andi t0, a0, 0xff
    li t1, HTIF_PUTCHAR_CMD
    or t0, t0, t1
    la t1, tohost
    sd t0, 0(t1)
    la t1, fromhost
1:  ld t2, 0(t1)
    beqz t2, 1b
    sd zero, 0(t1)
    ret
#endif

    /* htif_puts: a1 = NUL-terminated string; clobbers a0, a1, t0-t3. */
htif_puts:
    mv t3, ra
1:  lbu a0, 0(a1)
    beqz a0, 2f
    call htif_putchar
    addi a1, a1, 1
    j 1b
2:  mv ra, t3
    ret

    /* htif_puthex: a1 = value, printed as 0x + 16 digits; clobbers a0, a2, t0-t2, t4. */
htif_puthex:
    mv t4, ra
    li a0, '0'
    call htif_putchar
    li a0, 'x'
    call htif_putchar
    li a2, 60
1:  srl a0, a1, a2
    andi a0, a0, 15
    addi a0, a0, '0'
    li t0, '9'
    ble a0, t0, 2f
    addi a0, a0, 'a' - '0' - 10
2:  call htif_putchar
    addi a2, a2, -4
    bgez a2, 1b
    mv ra, t4
    ret

    /* htif_putdec: a1 = unsigned value; clobbers a0-a3, t0-t2, t4. Uses 24 bytes at harness_digits. */
htif_putdec:
    mv t4, ra
    la a2, harness_digits + 23
    sb zero, 0(a2)
    li a3, 10
1:  addi a2, a2, -1
    remu a0, a1, a3
    addi a0, a0, '0'
    sb a0, 0(a2)
    divu a1, a1, a3
    bnez a1, 1b
2:  lbu a0, 0(a2)
    beqz a0, 3f
    call htif_putchar
    addi a2, a2, 1
    j 2b
3:  mv ra, t4
    ret

    /* ---- end of the test */
test_pass:
    fence
#ifdef ISA_TEST_SYSCON
    li t0, SYSCON_PASS
    li t1, SYSCON_BASE
    sw t0, 0(t1)
#endif
    li t0, 1
    la t1, tohost
    sd t0, 0(t1)
1:  j 1b

test_fail:
    fence
    mv s1, gp
    la a1, harness_msg_fail
    call htif_puts
    mv a1, s1
    call htif_putdec
    li a0, '\n'
    call htif_putchar
    bnez s1, 1f
    li s1, 0x7fff /* a failure before the first case must not read as a pass */
1:
#ifdef ISA_TEST_SYSCON
    slli t0, s1, 16
    li t1, SYSCON_FAIL
    or t0, t0, t1
    li t1, SYSCON_BASE
    sw t0, 0(t1)
#endif
    slli t0, s1, 1
    ori t0, t0, 1
    la t1, tohost
    sd t0, 0(t1)
2:  j 2b

    .text
    .balign 4
test_body:
.endm

.macro TEST_END
    j test_pass

    .section .tohost, "aw", @progbits
    .balign 64
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost:
    .dword 0
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost:
    .dword 0

    .data
    .balign 64
    .globl trap_state
trap_state:
    .fill TS_SIZE / 8, 8, 0
harness_digits:
    .fill 24, 1, 0
harness_msg_fail:
    .asciz "isa test failed: case "
harness_msg_trap:
    .asciz "unexpected trap: "
harness_msg_cause_m:
    .asciz "mcause="
harness_msg_cause_s:
    .asciz "scause="
harness_msg_epc:
    .asciz " epc="
harness_msg_tval:
    .asciz " tval="

    .bss
    .balign 64
harness_frame_m:
    .fill 32, 8, 0
harness_frame_s:
    .fill 32, 8, 0
    .text
.endm

#endif
