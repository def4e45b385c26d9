/* Synchronous traps into M-mode: ecall from M/S/U (causes 11/9/8), ebreak (3), illegal
 * instructions (2) with mtval = the instruction bits, privileged instructions used from too
 * low a mode, access faults (1/5/7) with mtval = the address, the mstatus stack
 * (MIE/MPIE/MPP) on trap and mret, MPRV cleared by mret, and vectored mtvec: exceptions go
 * to the base, interrupt n to base + 4n, with mepc = the next instruction to run. */
#include "test_macros.h"

#define UNMAPPED_ADDRESS 0x100

/* Check that mtval is either 0 or the address of label (both allowed for ebreak) */
.macro CHECK_TVAL_ZERO_OR label
    la t5, trap_state
    ld t4, TS_TVAL(t5)
    beqz t4, .Lok\@
    la t6, \label
    CHECK_SAME t4, t6
.Lok\@:
.endm

/* One entry of the vector table: note the vector number, then run the normal handler */
.macro VECTOR_STUB i
vector_stub_\i:
    addi sp, sp, -16
    sd t0, 0(sp)
    sd t1, 8(sp)
    li t0, \i
    la t1, vector_hit
    sd t0, 0(t1)
    ld t0, 0(sp)
    ld t1, 8(sp)
    addi sp, sp, 16
    j trap_entry_m
.endm

TEST_BEGIN
    /* ---- environment calls */
    TESTNUM 1
    TRAP_ARM
ecall_m:
    ecall
88888:
    CHECK_TRAP CAUSE_MACHINE_ECALL
    CHECK_EPC ecall_m
    CHECK_TVAL 0
    CHECK_PRIV PRV_M

    TESTNUM 2
    TRAP_ARM
    ENTER_S
ecall_s:
    ecall
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_SUPERVISOR_ECALL
    CHECK_EPC ecall_s
    CHECK_TVAL 0
    CHECK_PRIV PRV_S
    CHECK_LEVEL PRV_M

    TESTNUM 3
    TRAP_ARM
    ENTER_U
ecall_u:
    ecall
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_USER_ECALL
    CHECK_EPC ecall_u
    CHECK_TVAL 0
    CHECK_PRIV PRV_U

    /* registers survive a trap and return (the handler restores all of them) */
    TESTNUM 4
    li s2, 0x1111
    li s3, 0x2222
    li a7, 0x3333
    TRAP_ARM
    ecall
88888:
    CHECK_EQ s2, 0x1111
    CHECK_EQ s3, 0x2222
    CHECK_EQ a7, 0x3333

    /* ---- breakpoints */
    TESTNUM 5
    TRAP_ARM
ebreak_m:
    ebreak
88888:
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC ebreak_m
    CHECK_TVAL_ZERO_OR ebreak_m

    TESTNUM 6
    TRAP_ARM
    ENTER_U
ebreak_u:
    ebreak
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_EPC ebreak_u
    CHECK_PRIV PRV_U

    /* ---- illegal instructions: mtval holds the instruction bits */
    TESTNUM 7
    TRAP_ARM
illegal_reserved_opcode:
    .word 0x1234506b            /* major opcode 1101011 is reserved */
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_EPC illegal_reserved_opcode
    CHECK_TVAL 0x1234506b

    TESTNUM 8
    TRAP_ARM
illegal_zero:
    .word 0
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_EPC illegal_zero
    CHECK_TVAL 0

    TESTNUM 9
    TRAP_ARM
illegal_system:
    .word 0x7ff00073            /* SYSTEM, funct3 0, unknown funct12 */
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_TVAL 0x7ff00073

    TEST_ILLEGAL_IN 10, PRV_U, mret
    TEST_ILLEGAL_IN 11, PRV_U, sret
    TEST_ILLEGAL_IN 12, PRV_S, mret
    TEST_ILLEGAL_IN 13, PRV_U, sfence.vma
    TEST_ILLEGAL_IN 14, PRV_U, .word 0x1234506b
    /* mstatus.TSR makes sret illegal in S-mode */
    li a1, MSTATUS_TSR
    csrs mstatus, a1
    TEST_ILLEGAL_IN 15, PRV_S, sret
    li a1, MSTATUS_TSR
    csrc mstatus, a1

    /* ---- access faults: nothing is mapped at UNMAPPED_ADDRESS */
    TESTNUM 16
    TRAP_ARM
    li a1, UNMAPPED_ADDRESS
load_fault:
    ld a0, 0(a1)
88888:
    CHECK_TRAP CAUSE_LOAD_ACCESS
    CHECK_EPC load_fault
    CHECK_TVAL UNMAPPED_ADDRESS
    TESTNUM 17
    TRAP_ARM
    li a1, UNMAPPED_ADDRESS
store_fault:
    sw a0, 8(a1)
88888:
    CHECK_TRAP CAUSE_STORE_ACCESS
    CHECK_EPC store_fault
    CHECK_TVAL UNMAPPED_ADDRESS + 8
    TESTNUM 18
    TRAP_ARM
    li a1, UNMAPPED_ADDRESS
    jalr ra, 0(a1)
88888:
    CHECK_TRAP CAUSE_FETCH_ACCESS
    CHECK_TVAL UNMAPPED_ADDRESS
    la t5, trap_state
    ld t4, TS_EPC(t5)
    CHECK_EQ t4, UNMAPPED_ADDRESS
    /* amo to unmapped memory is a store/AMO access fault */
    TESTNUM 19
    TRAP_ARM
    li a1, UNMAPPED_ADDRESS
    amoadd.w a0, a0, (a1)
88888:
    CHECK_TRAP CAUSE_STORE_ACCESS
    CHECK_TVAL UNMAPPED_ADDRESS

    /* ---- the mstatus stack: trap pushes MIE into MPIE and clears MIE; mret pops */
    TESTNUM 20
    csrw mie, zero
    csrsi mstatus, MSTATUS_MIE
    TRAP_ARM
    ecall
88888:
    la t5, trap_state
    ld a0, TS_STATUS(t5)        /* mstatus in the handler */
    andi a1, a0, MSTATUS_MIE
    CHECK_EQ a1, 0
    andi a1, a0, MSTATUS_MPIE
    CHECK_EQ a1, MSTATUS_MPIE
    li a2, MSTATUS_MPP
    and a1, a0, a2
    CHECK_EQ a1, MSTATUS_MPP
    TESTNUM 21
    csrr a0, mstatus            /* after mret: MIE = 1 again, MPIE = 1, MPP = U */
    andi a1, a0, MSTATUS_MIE
    CHECK_EQ a1, MSTATUS_MIE
    andi a1, a0, MSTATUS_MPIE
    CHECK_EQ a1, MSTATUS_MPIE
    li a2, MSTATUS_MPP
    and a1, a0, a2
    CHECK_EQ a1, 0
    csrci mstatus, MSTATUS_MIE
    TESTNUM 22
    TRAP_ARM
    ecall
88888:
    la t5, trap_state
    ld a0, TS_STATUS(t5)
    andi a1, a0, MSTATUS_MPIE   /* MIE was 0 */
    CHECK_EQ a1, 0
    csrr a0, mstatus
    andi a1, a0, MSTATUS_MIE
    CHECK_EQ a1, 0

    /* mret to a mode below M clears MPRV */
    TESTNUM 23
    li a1, MSTATUS_MPRV
    csrs mstatus, a1            /* MPP = U after the last mret: loads would use U... */
    li a1, MSTATUS_MPP
    csrs mstatus, a1            /* ...so set MPP = M first thing after */
    ENTER_U
    RETURN_TO_M
    csrr a0, mstatus
    li a2, MSTATUS_MPRV
    and a1, a0, a2
    CHECK_EQ a1, 0
    /* mret to M keeps MPRV */
    TESTNUM 24
    li a1, MSTATUS_MPP
    csrs mstatus, a1
    li a1, MSTATUS_MPRV
    csrs mstatus, a1
    ENTER_MODE PRV_M
    csrr a0, mstatus
    li a2, MSTATUS_MPRV
    and a1, a0, a2
    csrc mstatus, a2
    CHECK_EQ a1, MSTATUS_MPRV

    /* ---- vectored mtvec */
    la a1, vector_table
    ori a1, a1, 1
    csrw mtvec, a1
    /* exceptions still go to the base */
    TESTNUM 25
    la a1, vector_hit
    li a2, -1
    sd a2, 0(a1)
    TRAP_ARM
    ecall
88888:
    CHECK_TRAP CAUSE_MACHINE_ECALL
    CHECK_MEM vector_hit, 0
    /* machine software interrupt -> base + 4 * 3, mepc = the instruction after the enable */
    TESTNUM 26
    la a1, vector_hit
    li a2, -1
    sd a2, 0(a1)
    li a1, CLINT_MSIP
    li a2, 1
    sw a2, 0(a1)
    csrsi mie, MIP_MSIP
    TRAP_ARM_INTERRUPTS
    csrsi mstatus, MSTATUS_MIE
msi_taken_here:
    nop
    csrci mstatus, MSTATUS_MIE
    li a1, CLINT_MSIP
    sw zero, 0(a1)
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_SOFT)
    CHECK_EPC msi_taken_here
    CHECK_MEM vector_hit, 3
    /* machine timer interrupt -> base + 4 * 7 */
    TESTNUM 27
    la a1, vector_hit
    li a2, -1
    sd a2, 0(a1)
    li a1, CLINT_MTIMECMP
    sd zero, 0(a1)
    li a1, MIP_MTIP
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mstatus, MSTATUS_MIE
mti_taken_here:
    nop
    csrci mstatus, MSTATUS_MIE
    li a1, CLINT_MTIMECMP
    li a2, -1
    sd a2, 0(a1)
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_M_TIMER)
    CHECK_EPC mti_taken_here
    CHECK_MEM vector_hit, 7
    /* supervisor software interrupt, not delegated, -> base + 4 * 1 */
    TESTNUM 28
    la a1, vector_hit
    li a2, -1
    sd a2, 0(a1)
    csrsi mip, MIP_SSIP
    csrsi mie, MIP_SSIP
    TRAP_ARM_INTERRUPTS
    csrsi mstatus, MSTATUS_MIE
ssi_taken_here:
    nop
    csrci mstatus, MSTATUS_MIE
    csrci mip, MIP_SSIP
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_EPC ssi_taken_here
    CHECK_MEM vector_hit, 1
    CHECK_PRIV PRV_M
    TRAP_DISARM
    csrw mie, zero
    la a1, trap_entry_m
    csrw mtvec, a1
    /* direct mode again: interrupts go to the base */
    TESTNUM 29
    csrsi mip, MIP_SSIP
    csrsi mie, MIP_SSIP
    TRAP_ARM_INTERRUPTS
    csrsi mstatus, MSTATUS_MIE
    nop
    csrci mstatus, MSTATUS_MIE
    csrci mip, MIP_SSIP
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    TRAP_DISARM
TEST_END

    .text
    .balign 256
vector_table:
    .irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    j vector_stub_\i
    .endr
    .irp i, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    VECTOR_STUB \i
    .endr

    .data
    .balign 8
vector_hit:
    .dword -1
