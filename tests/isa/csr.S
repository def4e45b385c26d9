/* Machine and supervisor CSRs: read/write masks and read-back of mstatus, misa, medeleg,
 * mideleg, mie, mip, mtvec, mepc/sepc, scratch registers, satp (an unsupported MODE leaves
 * it unchanged), pmpcfg/pmpaddr and the counter enables; cycle/time/instret advance and
 * instret counts exactly; illegal CSR accesses trap with mtval = the instruction bits;
 * fcsr/frm/fflags alias one register; mstatus.FS = Off makes FP instructions illegal and FP
 * writes set FS = Dirty and SD. */
#include "test_macros.h"

#define FIELDS_RW (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | \
                   MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | MSTATUS_SUM | MSTATUS_MXR | \
                   MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)

TEST_BEGIN
    /* ---- identification */
    TEST_CASE(1, a0, 0, csrr a0, mhartid)
    TESTNUM 2
    csrr a0, misa
    srli a1, a0, 62
    CHECK_EQ a1, 2                       /* MXL = 64 */
    li a2, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 5) | (1 << 8) | (1 << 12) | (1 << 18) | (1 << 20)
    and a1, a0, a2
    CHECK_SAME a1, a2                    /* A C D F I M S U */
    /* writing misa's own value back changes nothing */
    TESTNUM 3
    csrw misa, a0
    csrr a1, misa
    CHECK_SAME a0, a1
    TESTNUM 4
    csrr a0, mvendorid
    csrr a0, marchid
    csrr a0, mimpid

    /* ---- CSR instruction forms on mscratch */
    TESTNUM 5
    csrr s0, mscratch                    /* the harness's frame pointer: restored below */
    li a1, 0x0123456789abcdef
    csrw mscratch, a1
    csrr a0, mscratch
    CHECK_EQ a0, 0x0123456789abcdef
    TESTNUM 6
    li a1, 0xf0
    csrrs a0, mscratch, a1               /* returns the old value */
    CHECK_EQ a0, 0x0123456789abcdef
    csrr a0, mscratch
    CHECK_EQ a0, 0x0123456789abcdff
    TESTNUM 7
    li a1, 0x0123000000000000
    csrrc a0, mscratch, a1
    csrr a0, mscratch
    CHECK_EQ a0, 0x0000456789abcdff
    TESTNUM 8
    csrrwi a0, mscratch, 0x15
    CHECK_EQ a0, 0x0000456789abcdff
    csrrsi a0, mscratch, 0x0a
    CHECK_EQ a0, 0x15
    csrrci a0, mscratch, 0x01
    CHECK_EQ a0, 0x1f
    csrr a0, mscratch
    CHECK_EQ a0, 0x1e
    TESTNUM 9
    li a1, 0xfedcba9876543210
    csrw sscratch, a1
    csrr a0, sscratch
    CHECK_EQ a0, 0xfedcba9876543210
    csrw mscratch, s0
    la a1, harness_frame_s
    csrw sscratch, a1

    /* ---- mstatus */
    TESTNUM 10
    csrr s0, mstatus
    li a1, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_MPIE | MSTATUS_SPP | MSTATUS_MPP_S | MSTATUS_FS_DIRTY | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
    csrw mstatus, a1
    csrr a0, mstatus
    li a2, FIELDS_RW
    and a3, a0, a2
    CHECK_SAME a3, a1
    /* SD summarises FS = Dirty; UXL and SXL read as 64-bit */
    TESTNUM 11
    srli a3, a0, 63
    CHECK_EQ a3, 1
    srli a3, a0, 32
    andi a3, a3, 0xf
    CHECK_EQ a3, 0xa
    /* FS = Off clears SD; WPRI bits 0, 2, 4 read as zero */
    TESTNUM 12
    li a1, MSTATUS_MPP | 0x15
    csrw mstatus, a1
    csrr a0, mstatus
    srli a3, a0, 63
    CHECK_EQ a3, 0
    andi a3, a0, 0x15
    CHECK_EQ a3, 0
    li a2, MSTATUS_MPP
    and a3, a0, a2
    CHECK_SAME a3, a2
    li a2, MSTATUS_FS
    and a3, a0, a2
    CHECK_EQ a3, 0
    csrw mstatus, s0

    /* ---- delegation registers */
    TESTNUM 13
    li a1, -1
    csrw medeleg, a1
    csrr a0, medeleg
    li a2, (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 12) | (1 << 13) | (1 << 15)
    and a3, a0, a2
    CHECK_SAME a3, a2
    srli a3, a0, 11                      /* ecall from M cannot be delegated */
    andi a3, a3, 1
    CHECK_EQ a3, 0
    csrw medeleg, zero
    csrr a0, medeleg
    CHECK_EQ a0, 0
    TESTNUM 14
    li a1, -1
    csrw mideleg, a1
    csrr a0, mideleg
    slli a0, a0, 52
    srli a0, a0, 52
    CHECK_EQ a0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrw mideleg, zero
    csrr a0, mideleg
    CHECK_EQ a0, 0

    /* ---- interrupt enable and pending */
    TESTNUM 15
    li a1, -1
    csrw mie, a1
    csrr a0, mie
    csrw mie, zero
    slli a0, a0, 52
    srli a0, a0, 52
    CHECK_EQ a0, 0xaaa
    /* mip: SSIP, STIP, SEIP are writable from M; MSIP, MTIP, MEIP are not (they follow the CLINT/PLIC) */
    TESTNUM 16
    li a1, 0xfff
    csrw mip, a1
    csrr a0, mip
    csrw mip, zero
    slli a0, a0, 52
    srli a0, a0, 52
    CHECK_EQ a0, MIP_SSIP | MIP_STIP | MIP_SEIP
    csrr a0, mip
    slli a0, a0, 52
    srli a0, a0, 52
    CHECK_EQ a0, 0
    /* sie/sip show only the delegated bits */
    TESTNUM 17
    li a1, MIP_SSIP
    csrw mideleg, a1
    li a1, MIP_SSIP | MIP_STIP | MIP_MTIP
    csrw mie, a1
    csrr a0, sie
    CHECK_EQ a0, MIP_SSIP
    csrs mip, MIP_SSIP
    csrr a0, sip
    CHECK_EQ a0, MIP_SSIP
    csrc sip, MIP_SSIP                   /* SSIP is writable through sip when delegated */
    csrr a0, mip
    andi a0, a0, MIP_SSIP
    CHECK_EQ a0, 0
    csrw mie, zero
    csrw mideleg, zero

    /* ---- trap vector and exception pc */
    TESTNUM 18
    csrr s0, mtvec
    li a1, 0x80001230
    csrw mtvec, a1
    csrr a0, mtvec
    CHECK_EQ a0, 0x80001230
    li a1, 0x80001201                    /* vectored */
    csrw mtvec, a1
    csrr a0, mtvec
    CHECK_EQ a0, 0x80001201
    csrw mtvec, s0
    TESTNUM 19
    csrr s0, stvec
    li a1, 0x80004441
    csrw stvec, a1
    csrr a0, stvec
    CHECK_EQ a0, 0x80004441
    csrw stvec, s0
    /* epc bit 0 is always zero; bit 1 is kept because C is supported */
    TEST_CASE(20, a0, 0x0123456789abcde2, li a1, 0x0123456789abcde3; csrw mepc, a1; csrr a0, mepc)
    TEST_CASE(21, a0, 0xfffffffffffffffe, li a1, -1; csrw sepc, a1; csrr a0, sepc)
    TEST_CASE(22, a0, 0x8000000000000005, li a1, 0x8000000000000005; csrw mcause, a1; csrr a0, mcause)
    TEST_CASE(23, a0, 0x123456789, li a1, 0x123456789; csrw mtval, a1; csrr a0, mtval)
    TEST_CASE(24, a0, 0x0fedcba987654321, li a1, 0x0fedcba987654321; csrw stval, a1; csrr a0, stval)
    TEST_CASE(25, a0, 0xd, li a1, 0xd; csrw scause, a1; csrr a0, scause)

    /* ---- satp */
    TESTNUM 26
    li a1, SATP_MODE_SV39 | 0x80123
    csrw satp, a1
    csrr a0, satp
    CHECK_EQ a0, SATP_MODE_SV39 | 0x80123
    /* reserved MODE values leave satp unchanged (the whole register) */
    TESTNUM 27
    li a1, (1 << 60) | 0x80456
    csrw satp, a1
    csrr a0, satp
    CHECK_EQ a0, SATP_MODE_SV39 | 0x80123
    TESTNUM 28
    li a1, (7 << 60) | 0x80456
    csrw satp, a1
    csrr a0, satp
    CHECK_EQ a0, SATP_MODE_SV39 | 0x80123
    TESTNUM 29
    li a1, (13 << 60)
    csrw satp, a1
    csrr a0, satp
    CHECK_EQ a0, SATP_MODE_SV39 | 0x80123
    TESTNUM 30
    csrw satp, zero
    csrr a0, satp
    CHECK_EQ a0, 0

    /* ---- PMP (the harness set entry 0 to NAPOT over all of memory) */
    TESTNUM 31
    csrr a0, pmpcfg0
    andi a0, a0, 0xff
    CHECK_EQ a0, 0x1f
    csrr a0, pmpaddr0
    CHECK_EQ a0, 0x003fffffffffffff
    TESTNUM 32
    li a1, 0x12345000
    csrw pmpaddr1, a1
    csrr a0, pmpaddr1
    CHECK_EQ a0, 0x12345000
    li a1, 0xffc00000000000            /* bits above 53 are not writable */
    csrw pmpaddr1, a1
    csrr a0, pmpaddr1
    CHECK_EQ a0, 0x3fc00000000000
    csrw pmpaddr1, zero

    /* ---- counters */
    TESTNUM 33
    csrr a1, cycle
    csrr a2, instret
    li a3, 1000
1:  addi a3, a3, -1
    bnez a3, 1b
    csrr a4, cycle
    csrr a5, instret
    bgeu a1, a4, test_fail
    sub a0, a5, a2
    li a3, 2001
    bltu a0, a3, test_fail               /* at least 2000 loop instructions retired */
    /* instret counts exactly: the value read is the count before the reading instruction */
    TESTNUM 34
    csrr a1, instret
    csrr a2, instret
    sub a0, a2, a1
    CHECK_EQ a0, 1
    csrr a1, minstret
    nop
    nop
    nop
    csrr a2, minstret
    sub a0, a2, a1
    CHECK_EQ a0, 4
    /* minstret is writable; counting goes on from the written value */
    TESTNUM 35
    li a1, 0x100000000
    csrw minstret, a1
    csrr a0, minstret
    sub a0, a0, a1
    CHECK_EQ a0, 1
    TESTNUM 36
    li a1, 0x200000000
    csrw mcycle, a1
    csrr a0, mcycle
    bltu a0, a1, test_fail
    /* time advances and agrees with the CLINT's mtime */
    TESTNUM 37
    csrr a1, time
    li a3, 10000000
1:  csrr a2, time
    bne a2, a1, 2f
    addi a3, a3, -1
    bnez a3, 1b
    j test_fail
2:  bltu a2, a1, test_fail
    TESTNUM 38
    li a4, CLINT_MTIME
    ld a1, 0(a4)
    csrr a2, time
    ld a3, 0(a4)
    bltu a2, a1, test_fail
    bltu a3, a2, test_fail
    /* counter enables */
    TESTNUM 39
    csrr a0, mcounteren
    andi a0, a0, 7
    CHECK_EQ a0, 7
    csrr a0, scounteren
    andi a0, a0, 7
    CHECK_EQ a0, 7
    /* readable from U and S while enabled */
    TEST_NO_TRAP(40, ENTER_U; rdcycle a0; rdtime a0; rdinstret a0; RETURN_TO_M)
    csrw mcounteren, zero
    TEST_ILLEGAL_IN 41, PRV_U, rdcycle a0
    TEST_ILLEGAL_IN 42, PRV_S, rdtime a0
    TEST_ILLEGAL_IN 43, PRV_U, rdinstret a0
    li a1, 2                             /* TM only */
    csrw mcounteren, a1
    csrw scounteren, zero
    TEST_NO_TRAP(44, ENTER_S; rdtime a0; RETURN_TO_M)
    TEST_ILLEGAL_IN 45, PRV_U, rdtime a0
    TEST_ILLEGAL_IN 46, PRV_S, rdcycle a0
    li a1, 7
    csrw mcounteren, a1
    csrw scounteren, a1
    TEST_ILLEGAL_IN 47, PRV_S, csrr a0, mcycle

    /* ---- illegal accesses */
    TEST_ILLEGAL_IN 48, PRV_M, csrw cycle, a0           /* read-only CSR */
    TEST_ILLEGAL_IN 49, PRV_M, csrrs a0, mhartid, a1    /* a set with rs1 != x0 writes */
    TEST_ILLEGAL_IN 50, PRV_M, csrrwi a0, mvendorid, 0
    TEST_NO_TRAP(51, li a1, 0; csrrs a0, mhartid, zero; csrrc a0, mimpid, zero; csrrsi a0, marchid, 0)
    TEST_ILLEGAL_IN 52, PRV_M, csrr a0, 0x600           /* hstatus: no H extension */
    TEST_ILLEGAL_IN 53, PRV_S, csrr a0, mstatus         /* M CSR from S */
    TEST_ILLEGAL_IN 54, PRV_S, csrw mscratch, a0
    TEST_ILLEGAL_IN 55, PRV_U, csrr a0, sstatus         /* S CSR from U */
    TEST_ILLEGAL_IN 56, PRV_U, csrw sscratch, a0
    TEST_ILLEGAL_IN 57, PRV_U, csrr a0, mhartid
    /* mstatus.TVM: satp and sfence.vma are illegal in S-mode */
    li a1, MSTATUS_TVM
    csrs mstatus, a1
    TEST_ILLEGAL_IN 58, PRV_S, csrr a0, satp
    TEST_ILLEGAL_IN 59, PRV_S, sfence.vma
    li a1, MSTATUS_TVM
    csrc mstatus, a1
    TEST_NO_TRAP(60, ENTER_S; csrr a0, satp; sfence.vma; RETURN_TO_M)

    /* ---- fcsr = frm << 5 | fflags */
    TESTNUM 61
    li a1, 0xff
    csrw fcsr, a1
    csrr a0, frm
    CHECK_EQ a0, 7
    csrr a0, fflags
    CHECK_EQ a0, 0x1f
    TESTNUM 62
    li a1, 3
    csrrw a0, frm, a1
    CHECK_EQ a0, 7
    csrr a0, fcsr
    CHECK_EQ a0, 0x7f
    TESTNUM 63
    csrrwi a0, fflags, 0x4
    CHECK_EQ a0, 0x1f
    csrr a0, fcsr
    CHECK_EQ a0, 0x64
    TESTNUM 64
    li a1, 0xfff                         /* bits above 7 are not part of fcsr */
    csrw fcsr, a1
    csrr a0, fcsr
    CHECK_EQ a0, 0xff
    csrw fcsr, zero

    /* ---- mstatus.FS */
    li a1, MSTATUS_FS
    csrc mstatus, a1                     /* Off */
    TEST_ILLEGAL_IN 65, PRV_M, fadd.d fa0, fa1, fa2
    TEST_ILLEGAL_IN 66, PRV_M, fmv.x.d a0, fa0
    TEST_ILLEGAL_IN 67, PRV_M, fld fa0, 0(sp)
    TEST_ILLEGAL_IN 68, PRV_M, csrr a0, fcsr
    TEST_ILLEGAL_IN 69, PRV_M, frflags a0
    TEST_ILLEGAL_IN 70, PRV_S, fmv.w.x fa0, zero
    TESTNUM 71
    csrr a0, mstatus
    li a2, MSTATUS_FS
    and a0, a0, a2
    CHECK_EQ a0, 0                       /* the traps left FS Off */
    /* Initial -> an FP register write makes it Dirty, and SD follows */
    TESTNUM 72
    li a1, MSTATUS_FS_INITIAL
    csrs mstatus, a1
    fmv.d.x fa0, zero
    csrr a0, mstatus
    and a3, a0, a2
    CHECK_EQ a3, MSTATUS_FS_DIRTY
    srli a3, a0, 63
    CHECK_EQ a3, 1
    /* Clean -> writing fflags makes it Dirty */
    TESTNUM 73
    li a1, MSTATUS_FS
    csrc mstatus, a1
    li a1, MSTATUS_FS_CLEAN
    csrs mstatus, a1
    csrr a0, mstatus
    srli a3, a0, 63
    CHECK_EQ a3, 0                       /* Clean: SD clear */
    csrwi fflags, 0
    csrr a0, mstatus
    and a3, a0, a2
    CHECK_EQ a3, MSTATUS_FS_DIRTY
    /* Clean -> an FP load makes it Dirty */
    TESTNUM 74
    li a1, MSTATUS_FS
    csrc mstatus, a1
    li a1, MSTATUS_FS_CLEAN
    csrs mstatus, a1
    fld fa1, 0(sp)
    csrr a0, mstatus
    and a3, a0, a2
    CHECK_EQ a3, MSTATUS_FS_DIRTY
    /* FS is visible in sstatus, with SD */
    TESTNUM 75
    csrr a0, sstatus
    and a3, a0, a2
    CHECK_EQ a3, MSTATUS_FS_DIRTY
    srli a3, a0, 63
    CHECK_EQ a3, 1
TEST_END
