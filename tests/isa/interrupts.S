/* Interrupts: the machine timer (CLINT mtimecmp) and software (CLINT msip) interrupts and
 * their mip bits, M-level interrupts taken in lower modes whatever MIE says and never in M
 * with MIE = 0, a supervisor software interrupt delegated to S, the priority order of
 * simultaneously pending interrupts (MEI > MSI > MTI > SEI > SSI > STI), WFI waking on an
 * interrupt that is pending and enabled in mie but globally disabled, and Sstc: stimecmp
 * with menvcfg.STCE raising STIP. */
#include "test_macros.h"

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a

.macro MTIMECMP_SET reg
    li t0, CLINT_MTIMECMP
    sd \reg, 0(t0)
.endm

.macro MTIMECMP_OFF
    li t0, CLINT_MTIMECMP
    li t1, -1
    sd t1, 0(t0)
.endm

.macro READ_MTIME reg
    li t0, CLINT_MTIME
    ld \reg, 0(t0)
.endm

.macro MSIP_SET value
    li t0, CLINT_MSIP
    li t1, \value
    sw t1, 0(t0)
.endm

/* fail unless (mip & mask) == expected */
.macro CHECK_MIP mask, expected
    csrr t4, mip
    li t5, \mask
    and t4, t4, t5
    CHECK_EQ t4, \expected
.endm

TEST_BEGIN
    /* ---- mtime runs */
    TESTNUM 1
    READ_MTIME a1
    li a3, 10000000
1:  READ_MTIME a2
    bne a1, a2, 2f
    addi a3, a3, -1
    bnez a3, 1b
    j test_fail
2:  bltu a2, a1, test_fail

    /* ---- MTIP follows mtimecmp */
    TESTNUM 2
    READ_MTIME a1
    li a2, 100000000            /* 10 s ahead */
    add a1, a1, a2
    MTIMECMP_SET a1
    CHECK_MIP MIP_MTIP, 0
    TESTNUM 3
    MTIMECMP_SET zero
    CHECK_MIP MIP_MTIP, MIP_MTIP
    TESTNUM 4
    MTIMECMP_OFF
    CHECK_MIP MIP_MTIP, 0

    /* ---- a machine timer interrupt after a short delay */
    TESTNUM 5
    li a1, MIP_MTIP
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mstatus, MSTATUS_MIE
    READ_MTIME a1
    addi a1, a1, 500            /* 50 us */
    MTIMECMP_SET a1
    WAIT_FOR_TRAPS 1, 100000000
    csrci mstatus, MSTATUS_MIE
    READ_MTIME a2
    MTIMECMP_OFF
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_TIMER)
    CHECK_LEVEL PRV_M
    bltu a2, a1, test_fail      /* not before the deadline */
    TESTNUM 6
    csrr a0, mie                /* the handler masked it */
    CHECK_EQ a0, 0

    /* ---- MSIP follows the CLINT's msip register */
    TESTNUM 7
    MSIP_SET 1
    CHECK_MIP MIP_MSIP, MIP_MSIP
    li t0, CLINT_MSIP
    lw a0, 0(t0)
    CHECK_EQ a0, 1
    MSIP_SET 0
    CHECK_MIP MIP_MSIP, 0
    /* and its interrupt */
    TESTNUM 8
    csrsi mie, MIP_MSIP
    TRAP_ARM_INTERRUPTS
    MSIP_SET 1
    csrsi mstatus, MSTATUS_MIE
msi_here:
    nop
    csrci mstatus, MSTATUS_MIE
    MSIP_SET 0
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_SOFT)
    CHECK_EPC msi_here

    /* ---- pending and enabled in mie, but MIE = 0: not taken in M ... */
    TESTNUM 9
    csrsi mie, MIP_MSIP
    TRAP_ARM_INTERRUPTS
    MSIP_SET 1
    nop
    nop
    nop
    CHECK_TRAP_COUNT 0
    /* ... but taken at once in U and in S, where M interrupts are always enabled */
    TESTNUM 10
    ENTER_U
msi_in_u:
    nop
    RETURN_TO_M
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_SOFT)
    CHECK_PRIV PRV_U
    CHECK_EPC msi_in_u
    TESTNUM 11
    csrsi mie, MIP_MSIP
    TRAP_ARM_INTERRUPTS
    ENTER_S
msi_in_s:
    nop
    RETURN_TO_M
    MSIP_SET 0
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_SOFT)
    CHECK_PRIV PRV_S
    CHECK_EPC msi_in_s

    /* ---- a supervisor software interrupt delegated to S, taken in S with SIE = 1 */
    TESTNUM 12
    li a1, MIP_SSIP
    csrw mideleg, a1
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mip, MIP_SSIP
    ENTER_S
    csrsi sstatus, MSTATUS_SIE
ssi_in_s:
    nop
    csrci sstatus, MSTATUS_SIE
    RETURN_TO_M
    csrci mip, MIP_SSIP
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_LEVEL PRV_S
    CHECK_EPC ssi_in_s
    TESTNUM 13
    csrr a0, scause
    CHECK_EQ a0, INTERRUPT_CAUSE(IRQ_S_SOFT)
    csrw mideleg, zero
    csrw mie, zero

    /* ---- priority: all six pending at once, taken one by one in M */
    TESTNUM 14
    MSIP_SET 1
    MTIMECMP_SET zero
    li a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrs mip, a1
    TRAP_ARM_INTERRUPTS
    li a1, MIP_MSIP | MIP_MTIP | MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw mie, a1
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    MSIP_SET 0
    MTIMECMP_OFF
    li a1, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrc mip, a1
    CHECK_TRAP_COUNT 5
    CHECK_LOG 0, INTERRUPT_CAUSE(IRQ_M_SOFT)
    CHECK_LOG 1, INTERRUPT_CAUSE(IRQ_M_TIMER)
    CHECK_LOG 2, INTERRUPT_CAUSE(IRQ_S_EXT)
    CHECK_LOG 3, INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_LOG 4, INTERRUPT_CAUSE(IRQ_S_TIMER)
    /* delegated interrupts yield to M-level ones: from S, MTI (to M) comes before SSI (to S) */
    TESTNUM 15
    li a1, MIP_SSIP
    csrw mideleg, a1
    MTIMECMP_SET zero
    csrsi mip, MIP_SSIP
    TRAP_ARM_INTERRUPTS
    li a1, MIP_MTIP | MIP_SSIP
    csrw mie, a1
    ENTER_S
    csrsi sstatus, MSTATUS_SIE
    nop
    nop
    csrci sstatus, MSTATUS_SIE
    RETURN_TO_M
    MTIMECMP_OFF
    csrci mip, MIP_SSIP
    CHECK_TRAP_COUNT 2
    CHECK_LOG 0, INTERRUPT_CAUSE(IRQ_M_TIMER)
    CHECK_LOG 1, INTERRUPT_CAUSE(IRQ_S_SOFT)
    csrw mideleg, zero
    csrw mie, zero
    TRAP_DISARM

    /* ---- WFI wakes on a pending interrupt enabled in mie, even with MIE = 0 */
    TESTNUM 16
    li a1, MIP_MTIP
    csrw mie, a1
    READ_MTIME a1
    li a2, 20000                /* 2 ms */
    add a1, a1, a2
    MTIMECMP_SET a1
    TRAP_ARM_INTERRUPTS
1:  wfi
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    beqz a0, 1b                 /* WFI may return early: wait again */
    READ_MTIME a2
    MTIMECMP_OFF
    bltu a2, a1, test_fail
    CHECK_TRAP_COUNT 0          /* woke without trapping */
    /* and returns at once when such an interrupt is already pending */
    TESTNUM 17
    MSIP_SET 1
    li a1, MIP_MSIP
    csrw mie, a1
    wfi
    wfi
    MSIP_SET 0
    CHECK_TRAP_COUNT 0
    csrw mie, zero
    TRAP_DISARM

    /* ---- Sstc */
    /* with menvcfg.STCE = 0, stimecmp is not accessible from S */
    csrw CSR_MENVCFG, zero
    TEST_ILLEGAL_IN 18, PRV_S, csrr a0, CSR_STIMECMP
    /* with STCE = 1, STIP is stimecmp <= time, read-only in mip */
    TESTNUM 19
    li a1, MENVCFG_STCE
    csrs CSR_MENVCFG, a1
    csrr a0, CSR_MENVCFG
    srli a0, a0, 63
    CHECK_EQ a0, 1
    li a1, -1
    csrw CSR_STIMECMP, a1
    CHECK_MIP MIP_STIP, 0
    li a1, MIP_STIP
    csrs mip, a1                /* not writable now */
    CHECK_MIP MIP_STIP, 0
    TESTNUM 20
    csrw CSR_STIMECMP, zero
    CHECK_MIP MIP_STIP, MIP_STIP
    li a1, MIP_STIP
    csrc mip, a1
    CHECK_MIP MIP_STIP, MIP_STIP
    TESTNUM 21
    csrr a1, time
    li a2, 100000000
    add a1, a1, a2
    csrw CSR_STIMECMP, a1
    CHECK_MIP MIP_STIP, 0
    /* delegated to S, programmed from S: the interrupt arrives in S */
    TESTNUM 22
    li a1, MIP_STIP
    csrw mideleg, a1
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    ENTER_S
    csrsi sstatus, MSTATUS_SIE
    csrr a1, time
    addi a1, a1, 500
    csrw CSR_STIMECMP, a1
    WAIT_FOR_TRAPS 1, 100000000
    csrci sstatus, MSTATUS_SIE
    li a2, -1
    csrw CSR_STIMECMP, a2
    csrr a2, time
    RETURN_TO_M
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_TIMER)
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_S
    bltu a2, a1, test_fail
    csrw mideleg, zero
    csrw mie, zero
    csrw CSR_MENVCFG, zero
    TRAP_DISARM
TEST_END
