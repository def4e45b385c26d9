/* Trap delegation to S-mode: medeleg sends exceptions from U and S to stvec with scause,
 * sepc, stval, and the sstatus stack (SPP, SPIE, SIE); exceptions in M are never delegated;
 * mideleg sends supervisor interrupts to S; sret returns to SPP's mode and pops SIE; the
 * sstatus view of mstatus shows and writes only the supervisor fields; vectored stvec. */
#include "test_macros.h"

#define SSTATUS_FIELDS (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR)

.macro DELEGATE_ONLY bits
    li t0, \bits
    csrw medeleg, t0
.endm

TEST_BEGIN
    /* ---- ecall from U, delegated */
    DELEGATE_ONLY (1 << CAUSE_USER_ECALL)
    TESTNUM 1
    TRAP_ARM
    ENTER_U
ecall_u:
    ecall
88888:
    RETURN_TO_M                 /* itself delegated: the S handler passes it on to M */
    CHECK_TRAP CAUSE_USER_ECALL
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_U
    CHECK_EPC ecall_u
    CHECK_TVAL 0
    /* the sstatus the S handler saw: SPP = U, SIE = 0 */
    TESTNUM 2
    la t5, trap_state
    ld a0, TS_STATUS(t5)
    andi a1, a0, MSTATUS_SPP
    CHECK_EQ a1, 0
    andi a1, a0, MSTATUS_SIE
    CHECK_EQ a1, 0
    /* scause and stval hold the values, readable in M */
    TESTNUM 3
    csrr a0, scause
    CHECK_EQ a0, CAUSE_USER_ECALL
    csrr a0, stval
    CHECK_EQ a0, 0
    /* ---- ecall from S is not delegated by bit 8 */
    TESTNUM 4
    TRAP_ARM
    ENTER_S
    ecall
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_SUPERVISOR_ECALL
    CHECK_LEVEL PRV_M

    /* ---- illegal instruction from U and from S, delegated; not from M */
    DELEGATE_ONLY (1 << CAUSE_ILLEGAL_INSTRUCTION) | (1 << CAUSE_BREAKPOINT)
    TESTNUM 5
    TRAP_ARM
    ENTER_U
illegal_u:
    csrr a0, sstatus
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_U
    CHECK_EPC illegal_u
    CHECK_TVAL_INSN illegal_u
    TESTNUM 6
    TRAP_ARM
    ENTER_S
illegal_s:
    csrr a0, mstatus
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_S
    CHECK_EPC illegal_s
    CHECK_TVAL_INSN illegal_s
    la t5, trap_state
    ld a0, TS_STATUS(t5)
    andi a1, a0, MSTATUS_SPP
    CHECK_EQ a1, MSTATUS_SPP
    TESTNUM 7
    TRAP_ARM
illegal_m:
    .word 0x1234506b
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_LEVEL PRV_M
    CHECK_TVAL 0x1234506b
    TESTNUM 8
    TRAP_ARM
    ENTER_S
ebreak_s:
    ebreak
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_LEVEL PRV_S
    CHECK_EPC ebreak_s
    /* with the bit clear again, the same trap goes to M */
    csrw medeleg, zero
    TESTNUM 9
    TRAP_ARM
    ENTER_S
    ebreak
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_LEVEL PRV_M
    CHECK_PRIV PRV_S

    /* ---- the S trap stack: SIE -> SPIE, SIE = 0; sret pops it */
    DELEGATE_ONLY (1 << CAUSE_ILLEGAL_INSTRUCTION)
    TESTNUM 10
    csrsi sstatus, MSTATUS_SIE
    TRAP_ARM
    ENTER_S
    .word 0x1234506b
88888:
    csrr a5, sstatus            /* after the handler's sret, still in S */
    RETURN_TO_M
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    la t5, trap_state
    ld a0, TS_STATUS(t5)
    andi a1, a0, MSTATUS_SIE
    CHECK_EQ a1, 0
    andi a1, a0, MSTATUS_SPIE
    CHECK_EQ a1, MSTATUS_SPIE
    TESTNUM 11
    andi a1, a5, MSTATUS_SIE    /* sret: SIE = SPIE = 1, SPIE = 1, SPP = U */
    CHECK_EQ a1, MSTATUS_SIE
    andi a1, a5, MSTATUS_SPIE
    CHECK_EQ a1, MSTATUS_SPIE
    andi a1, a5, MSTATUS_SPP
    CHECK_EQ a1, 0
    csrci sstatus, MSTATUS_SIE

    /* ---- sret to U: a supervisor CSR read afterwards is illegal, taken from U */
    TESTNUM 12
    TRAP_ARM
    ENTER_S
    li a0, MSTATUS_SPP
    csrc sstatus, a0
    la a0, sret_to_u
    csrw sepc, a0
    sret
    j test_fail
sret_to_u:
    csrr a0, sstatus
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_PRIV PRV_U
    CHECK_LEVEL PRV_S
    CHECK_EPC sret_to_u
    /* sret to S: the same read works */
    TESTNUM 13
    ENTER_S
    li a0, MSTATUS_SPP
    csrs sstatus, a0
    la a0, sret_to_s
    csrw sepc, a0
    sret
    j test_fail
sret_to_s:
    csrr a0, sstatus
    RETURN_TO_M
    csrw medeleg, zero

    /* ---- sstatus is a view of mstatus */
    TESTNUM 14
    csrr s0, mstatus
    li a1, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
    csrs mstatus, a1
    csrci mstatus, MSTATUS_MIE  /* keep interrupts off in M */
    csrr a0, sstatus
    li a2, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR | MSTATUS_MPRV
    and a3, a0, a2
    CHECK_EQ a3, 0              /* machine fields are invisible */
    srli a3, a0, 32
    andi a3, a3, 3
    CHECK_EQ a3, 2              /* UXL = 64 */
    TESTNUM 15
    li a1, -1
    csrw sstatus, a1
    csrr a0, mstatus
    li a2, SSTATUS_FIELDS
    and a3, a0, a2
    CHECK_EQ a3, SSTATUS_FIELDS
    li a2, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
    and a3, a0, a2
    CHECK_SAME a3, a2           /* machine fields untouched by the sstatus write */
    li a2, MSTATUS_MPRV
    and a3, a0, a2
    CHECK_EQ a3, 0
    TESTNUM 16
    csrw sstatus, zero
    csrr a0, mstatus
    li a2, SSTATUS_FIELDS
    and a3, a0, a2
    CHECK_EQ a3, 0
    li a2, MSTATUS_MPP
    and a3, a0, a2
    CHECK_SAME a3, a2
    csrw mstatus, s0

    /* ---- a delegated supervisor software interrupt */
    li a1, MIP_SSIP
    csrw mideleg, a1
    csrw mie, a1
    /* taken in U even with sstatus.SIE = 0 */
    TESTNUM 17
    csrci sstatus, MSTATUS_SIE
    csrci mip, MIP_SSIP
    li a1, MIP_SSIP
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mip, MIP_SSIP
    ENTER_U
ssi_in_u:
    nop
    nop
    RETURN_TO_M
    csrci mip, MIP_SSIP
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_U
    CHECK_EPC ssi_in_u
    /* not taken in S while SIE = 0, taken once SIE = 1 */
    TESTNUM 18
    li a1, MIP_SSIP
    csrw mie, a1
    csrci sstatus, MSTATUS_SIE
    TRAP_ARM_INTERRUPTS
    csrsi mip, MIP_SSIP
    ENTER_S
    nop
    nop
    la t5, trap_state
    ld a4, TS_COUNT(t5)
    csrsi sstatus, MSTATUS_SIE
ssi_in_s:
    nop
    csrci sstatus, MSTATUS_SIE
    RETURN_TO_M
    csrci mip, MIP_SSIP
    CHECK_EQ a4, 0
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_S
    CHECK_EPC ssi_in_s
    /* a delegated interrupt is never taken in M, even with MIE = 1 */
    TESTNUM 19
    li a1, MIP_SSIP
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mip, MIP_SSIP
    csrsi mstatus, MSTATUS_MIE
    nop
    nop
    csrci mstatus, MSTATUS_MIE
    csrci mip, MIP_SSIP
    CHECK_TRAP_COUNT 0

    /* ---- vectored stvec: the interrupt goes to base + 4 * 1 */
    TESTNUM 20
    la a1, s_vector_table
    ori a1, a1, 1
    csrw stvec, a1
    la a1, s_vector_hit
    li a2, -1
    sd a2, 0(a1)
    li a1, MIP_SSIP
    csrw mie, a1
    TRAP_ARM_INTERRUPTS
    csrsi mip, MIP_SSIP
    ENTER_U
    nop
    nop
    RETURN_TO_M
    csrci mip, MIP_SSIP
    CHECK_TRAP INTERRUPT_CAUSE(IRQ_S_SOFT)
    CHECK_MEM s_vector_hit, 1
    /* exceptions still go to the base */
    TESTNUM 21
    DELEGATE_ONLY (1 << CAUSE_BREAKPOINT)
    TRAP_ARM
    ENTER_U
    ebreak
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_BREAKPOINT
    CHECK_LEVEL PRV_S
    CHECK_MEM s_vector_hit, 0
    la a1, trap_entry_s
    csrw stvec, a1
    csrw medeleg, zero
    csrw mideleg, zero
    csrw mie, zero
    TRAP_DISARM
TEST_END

    .text
    .balign 256
s_vector_table:
    j s_vector_0
    j s_vector_1
    .rept 14
    j test_fail
    .endr
s_vector_0:
    csrw sscratch, t0           /* sscratch is restored from harness_frame_s below */
    li t0, 0
    j s_vector_record
s_vector_1:
    csrw sscratch, t0
    li t0, 1
s_vector_record:
    sd t1, -8(sp)
    la t1, s_vector_hit
    sd t0, 0(t1)
    ld t1, -8(sp)
    csrr t0, sscratch
    /* put back the handler's frame pointer, which was saved below sp */
    sd t0, -16(sp)
    la t0, harness_frame_s
    csrw sscratch, t0
    ld t0, -16(sp)
    j trap_entry_s

    .data
    .balign 8
s_vector_hit:
    .dword -1
