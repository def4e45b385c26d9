/* Virtual memory tests shared by vm_sv39.S and vm_sv48.S (which set VM_LEVELS to 3 or 4).
 *
 * Page tables are built in M-mode:
 *  - the first 2 MiB of RAM (the whole test image) is identity-mapped with 4 KiB
 *    supervisor pages (R W X A D); the pages of section .text.user are user pages (R X U A),
 *    so S-mode runs the harness and U-mode runs only the code placed in .text.user;
 *  - VA 0x40000000 + n * 4 KiB are the test pages of pt_l0_test, set up per case;
 *  - VA 0x40200000 is a 2 MiB megapage onto RAM base, VA 0x40400000 a misaligned one;
 *  - VA 0xc0000000 is a 1 GiB gigapage onto RAM base, VA 0x100000000 a misaligned one;
 *  - with Sv48, VA 0x8000000000 is a 512 GiB terapage onto physical 0, and
 *    VA 0x10000000000 a misaligned one.
 * The hart under test updates A and D in hardware, and the cases check that it does.
 */
#include "test_macros.h"

#define RAM_BASE 0x80000000
#define VA_TEST 0x40000000
#define VA_PAGE(i) (VA_TEST + (i) * 0x1000)
#define VA_MEGA 0x40200000
#define VA_MEGA_MISALIGNED 0x40400000
#define VA_GIGA 0xc0000000
#define VA_GIGA_MISALIGNED 0x100000000
#define VA_TERA 0x8000000000
#define VA_TERA_MISALIGNED 0x10000000000

#define SUPERVISOR_RWX (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* test page slots in pt_l0_test */
#define SLOT_RO 0          /* page_a, R */
#define SLOT_RW 1          /* page_a, R W */
#define SLOT_XO 2          /* routine_page, X */
#define SLOT_USER_RW 3     /* page_b, R W U */
#define SLOT_AD 4          /* page_c, R W, A = D = 0 */
#define SLOT_INVALID 5     /* V = 0 */
#define SLOT_W_ONLY 6      /* page_a, W without R: reserved */
#define SLOT_REMAP 7       /* page_a, then page_b */
#define SLOT_USER_X 8      /* routine_page, R X U */
#define SLOT_NO_X 9        /* routine_page, R W */
#define SLOT_STRADDLE 10   /* straddle_page, X; slot 11 stays invalid */
#define SLOT_FETCH_A 12    /* routine_page, X, A = 0 */
#define SLOT_POINTER 13    /* a non-leaf PTE at the last level */
#define SLOT_USER_AD 14    /* page_c, R W U, A = D = 0 */

#define ROUTINE_RESULT 0x5a

/* pt_l0_test[slot] = PTE(symbol, flags) */
.macro PTE_SET slot, symbol, flags
    la a0, pt_l0_test
    li a1, \slot
    la a2, \symbol
    li a3, \flags
    call set_pte
.endm

/* reg = &pt_l0_test[slot] */
.macro PTE_ADDR reg, slot
    la \reg, pt_l0_test + 8 * (\slot)
.endm

.macro MSTATUS_SET bits
    li t0, \bits
    csrs mstatus, t0
.endm

.macro MSTATUS_CLEAR bits
    li t0, \bits
    csrc mstatus, t0
.endm

/* In S-mode, with a1 = base, one instruction that must trap; back in M, check cause and tval */
.macro S_FAULT n, cause, tval, base, insn:vararg
    TESTNUM \n
    TRAP_ARM
    ENTER_S
    li a1, \base
.Lfault_insn\@:
    \insn
88888:
    RETURN_TO_M
    CHECK_TRAP \cause
    CHECK_TVAL \tval
    CHECK_PRIV PRV_S
    CHECK_EPC .Lfault_insn\@
.endm

TEST_BEGIN
    call vm_setup

    /* ---- satp */
    TESTNUM 1
    csrr a0, satp
    CHECK_SAME a0, s11                   /* vm_setup leaves the satp value in s11 */
    li a1, (1 << 60) | 0x12345           /* reserved MODE: satp unchanged */
    csrw satp, a1
    csrr a0, satp
    CHECK_SAME a0, s11

    /* ---- plain accesses through 4 KiB pages and superpages */
    TESTNUM 2
    ENTER_S
    li a1, VA_PAGE(SLOT_RO)
    ld a2, 0(a1)
    li a1, VA_GIGA
    la a3, page_a
    li a4, RAM_BASE
    sub a3, a3, a4                       /* offset of page_a in RAM */
    add a1, a1, a3
    ld a4, 0(a1)                         /* through the gigapage */
    li a1, VA_MEGA
    add a1, a1, a3
    ld a5, 8(a1)                         /* through the megapage */
    li a0, 0x0badf00d
    sd a0, 16(a1)                        /* store through the megapage */
    RETURN_TO_M
    CHECK_EQ a2, 0x1111111111111111
    CHECK_EQ a4, 0x1111111111111111
    CHECK_EQ a5, 0xaaaaaaaaaaaaaaaa
    TESTNUM 3
    la a1, page_a
    ld a0, 16(a1)
    CHECK_EQ a0, 0x0badf00d
#if VM_LEVELS == 4
    TESTNUM 4
    ENTER_S
    li a1, VA_TERA + RAM_BASE
    add a1, a1, a3
    ld a2, 0(a1)                         /* through the terapage */
    RETURN_TO_M
    CHECK_EQ a2, 0x1111111111111111
#endif

    /* ---- misaligned superpages fault */
    S_FAULT 5, CAUSE_LOAD_PAGE_FAULT, VA_MEGA_MISALIGNED + 0x18, VA_MEGA_MISALIGNED, ld a0, 0x18(a1)
    S_FAULT 6, CAUSE_STORE_PAGE_FAULT, VA_GIGA_MISALIGNED + 0x20, VA_GIGA_MISALIGNED, sd a0, 0x20(a1)
#if VM_LEVELS == 4
    S_FAULT 7, CAUSE_LOAD_PAGE_FAULT, VA_TERA_MISALIGNED + RAM_BASE, VA_TERA_MISALIGNED + RAM_BASE, ld a0, 0(a1)
#endif

    /* ---- read-only page */
    S_FAULT 8, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_RO) + 8, VA_PAGE(SLOT_RO), sd a0, 8(a1)
    S_FAULT 9, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_RO) + 4, VA_PAGE(SLOT_RO) + 4, amoadd.w a0, a0, (a1)
    /* fetch from a page without X: mepc = mtval = the target */
    TESTNUM 10
    TRAP_ARM
    ENTER_S
    li a1, VA_PAGE(SLOT_RO)
    jalr ra, 0(a1)
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_FETCH_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_RO)
    la t5, trap_state
    ld t4, TS_EPC(t5)
    CHECK_EQ t4, VA_PAGE(SLOT_RO)
    TESTNUM 11
    TRAP_ARM
    ENTER_S
    li a1, VA_PAGE(SLOT_NO_X) + 0x10
    jalr ra, 0(a1)
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_FETCH_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_NO_X) + 0x10

    /* ---- read-write page */
    TESTNUM 12
    ENTER_S
    li a1, VA_PAGE(SLOT_RW)
    li a0, 0x1234abcd
    sw a0, 24(a1)
    lw a2, 24(a1)
    RETURN_TO_M
    CHECK_EQ a2, 0x1234abcd
    la a1, page_a
    lw a0, 24(a1)
    CHECK_EQ a0, 0x1234abcd

    /* ---- execute-only page: runs, but is not readable unless MXR */
    TESTNUM 13
    ENTER_S
    li a0, 0
    li a1, VA_PAGE(SLOT_XO)
    jalr ra, 0(a1)
    RETURN_TO_M
    CHECK_EQ a0, ROUTINE_RESULT
    S_FAULT 14, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_XO), VA_PAGE(SLOT_XO), lw a0, 0(a1)
    TESTNUM 15
    MSTATUS_SET MSTATUS_MXR
    ENTER_S
    li a1, VA_PAGE(SLOT_XO)
    lwu a2, 0(a1)
    RETURN_TO_M
    MSTATUS_CLEAR MSTATUS_MXR
    la a1, routine_page
    lwu a0, 0(a1)
    CHECK_SAME a2, a0
    /* MXR does not make an X page writable */
    MSTATUS_SET MSTATUS_MXR
    S_FAULT 16, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_XO), VA_PAGE(SLOT_XO), sw a0, 0(a1)
    MSTATUS_CLEAR MSTATUS_MXR

    /* ---- user pages from S: only with SUM, and never executable */
    S_FAULT 17, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_USER_RW), VA_PAGE(SLOT_USER_RW), ld a0, 0(a1)
    S_FAULT 18, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_USER_RW) + 8, VA_PAGE(SLOT_USER_RW), sd a0, 8(a1)
    TESTNUM 19
    MSTATUS_SET MSTATUS_SUM
    ENTER_S
    li a1, VA_PAGE(SLOT_USER_RW)
    ld a2, 0(a1)
    li a0, 0x77
    sd a0, 8(a1)
    RETURN_TO_M
    CHECK_EQ a2, 0x2222222222222222
    la a1, page_b
    ld a0, 8(a1)
    CHECK_EQ a0, 0x77
    TESTNUM 20
    TRAP_ARM
    ENTER_S
    li a1, VA_PAGE(SLOT_USER_X)
    jalr ra, 0(a1)
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_FETCH_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_USER_X)
    MSTATUS_CLEAR MSTATUS_SUM

    /* ---- U-mode: user pages work, supervisor pages fault */
    TESTNUM 21
    ENTER_MODE_AT PRV_U, user_rw
    .pushsection .text.user, "ax"
user_rw:
    li a1, VA_PAGE(SLOT_USER_RW)
    li a0, 0x99
    sd a0, 16(a1)
    ld a2, 16(a1)
    li a0, 0
    li a1, VA_PAGE(SLOT_USER_X)
    jalr ra, 0(a1)
    RETURN_TO_M
    j 1f
    .popsection
1:  CHECK_EQ a2, 0x99
    CHECK_EQ a0, ROUTINE_RESULT
    TESTNUM 22
    TRAP_ARM
    ENTER_MODE_AT PRV_U, user_load_s
    .pushsection .text.user, "ax"
user_load_s:
    li a1, VA_PAGE(SLOT_RW)
user_load_s_insn:
    ld a0, 0(a1)
88888:
    RETURN_TO_M
    j 1f
    .popsection
1:  CHECK_TRAP CAUSE_LOAD_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_RW)
    CHECK_PRIV PRV_U
    CHECK_EPC user_load_s_insn
    TESTNUM 23
    TRAP_ARM
    ENTER_MODE_AT PRV_U, user_store_s
    .pushsection .text.user, "ax"
user_store_s:
    li a1, VA_PAGE(SLOT_RW)
    sd a0, 32(a1)
88888:
    RETURN_TO_M
    j 1f
    .popsection
1:  CHECK_TRAP CAUSE_STORE_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_RW) + 32
    CHECK_PRIV PRV_U
    TESTNUM 24
    TRAP_ARM
    ENTER_MODE_AT PRV_U, user_fetch_s
    .pushsection .text.user, "ax"
user_fetch_s:
    li a1, VA_PAGE(SLOT_XO)
    jalr ra, 0(a1)
88888:
    RETURN_TO_M
    j 1f
    .popsection
1:  CHECK_TRAP CAUSE_FETCH_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_XO)
    CHECK_PRIV PRV_U
    /* SUM does not open supervisor pages to U */
    TESTNUM 25
    MSTATUS_SET MSTATUS_SUM
    TRAP_ARM
    ENTER_MODE_AT PRV_U, user_load_s_sum
    .pushsection .text.user, "ax"
user_load_s_sum:
    li a1, VA_PAGE(SLOT_RO)
    ld a0, 0(a1)
88888:
    RETURN_TO_M
    j 1f
    .popsection
1:  CHECK_TRAP CAUSE_LOAD_PAGE_FAULT
    MSTATUS_CLEAR MSTATUS_SUM

    /* ---- invalid and reserved PTEs */
    S_FAULT 26, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_INVALID) + 0x100, VA_PAGE(SLOT_INVALID), ld a0, 0x100(a1)
    S_FAULT 27, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_INVALID), VA_PAGE(SLOT_INVALID), sb a0, 0(a1)
    S_FAULT 28, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_W_ONLY), VA_PAGE(SLOT_W_ONLY), ld a0, 0(a1)
    S_FAULT 29, CAUSE_STORE_PAGE_FAULT, VA_PAGE(SLOT_W_ONLY), VA_PAGE(SLOT_W_ONLY), sd a0, 0(a1)
    S_FAULT 30, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_POINTER) + 8, VA_PAGE(SLOT_POINTER), ld a0, 8(a1)
    /* non-canonical addresses */
#if VM_LEVELS == 3
    S_FAULT 31, CAUSE_LOAD_PAGE_FAULT, 0x0000004000000000, 0x0000004000000000, ld a0, 0(a1)
    S_FAULT 32, CAUSE_STORE_PAGE_FAULT, 0xffffff8040000000, 0xffffff8040000000, sd a0, 0(a1)
#else
    S_FAULT 31, CAUSE_LOAD_PAGE_FAULT, 0x0000800000000000, 0x0000800000000000, ld a0, 0(a1)
    S_FAULT 32, CAUSE_STORE_PAGE_FAULT, 0xffff000040000000, 0xffff000040000000, sd a0, 0(a1)
#endif

    /* ---- A and D are set by the hart */
    TESTNUM 33
    PTE_ADDR s2, SLOT_AD
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, 0
    ENTER_S
    li a1, VA_PAGE(SLOT_AD)
    ld a2, 0(a1)
    RETURN_TO_M
    CHECK_EQ a2, 0x3333333333333333
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, PTE_A                   /* a load sets A only */
    TESTNUM 34
    ENTER_S
    li a1, VA_PAGE(SLOT_AD)
    sd a1, 8(a1)
    RETURN_TO_M
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, PTE_A | PTE_D           /* a store sets D */
    TESTNUM 35
    PTE_SET SLOT_AD, page_c, PTE_V | PTE_R | PTE_W
    sfence.vma
    ENTER_S
    li a1, VA_PAGE(SLOT_AD)
    sd a1, 16(a1)                        /* a store to a page with A = 0 sets both */
    RETURN_TO_M
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, PTE_A | PTE_D
    TESTNUM 36
    PTE_ADDR s2, SLOT_FETCH_A
    ENTER_S
    li a0, 0
    li a1, VA_PAGE(SLOT_FETCH_A)
    jalr ra, 0(a1)
    RETURN_TO_M
    CHECK_EQ a0, ROUTINE_RESULT
    ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, PTE_A                   /* a fetch sets A */
    TESTNUM 37
    PTE_ADDR s2, SLOT_USER_AD
    ENTER_MODE_AT PRV_U, user_ad
    .pushsection .text.user, "ax"
user_ad:
    li a1, VA_PAGE(SLOT_USER_AD)
    sw a1, 32(a1)
    RETURN_TO_M
    j 1f
    .popsection
1:  ld a0, 0(s2)
    andi a0, a0, PTE_A | PTE_D
    CHECK_EQ a0, PTE_A | PTE_D
    /* a faulting store leaves D alone */
    TESTNUM 38
    PTE_SET SLOT_AD, page_c, PTE_V | PTE_R | PTE_A
    sfence.vma
    PTE_ADDR s2, SLOT_AD
    TRAP_ARM
    ENTER_S
    li a1, VA_PAGE(SLOT_AD)
    sd a1, 0(a1)
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_STORE_PAGE_FAULT
    ld a0, 0(s2)
    andi a0, a0, PTE_D
    CHECK_EQ a0, 0

    /* ---- sfence.vma makes PTE changes visible */
    TESTNUM 39
    ENTER_S
    li a1, VA_PAGE(SLOT_REMAP)
    ld a2, 0(a1)                         /* page_a, now possibly cached in a TLB */
    RETURN_TO_M
    CHECK_EQ a2, 0x1111111111111111
    PTE_SET SLOT_REMAP, page_b, PTE_V | PTE_R | PTE_A
    ENTER_S
    sfence.vma
    li a1, VA_PAGE(SLOT_REMAP)
    ld a2, 0(a1)
    RETURN_TO_M
    CHECK_EQ a2, 0x2222222222222222
    TESTNUM 40
    PTE_SET SLOT_REMAP, page_c, PTE_V | PTE_R | PTE_A
    ENTER_S
    li a1, VA_PAGE(SLOT_REMAP)
    sfence.vma a1, zero                  /* just this page */
    ld a2, 0(a1)
    RETURN_TO_M
    CHECK_EQ a2, 0x3333333333333333
    TESTNUM 41
    PTE_ADDR a1, SLOT_REMAP
    sd zero, 0(a1)                       /* unmapped */
    ENTER_S
    li a1, VA_PAGE(SLOT_REMAP)
    sfence.vma a1, zero
    RETURN_TO_M
    S_FAULT 42, CAUSE_LOAD_PAGE_FAULT, VA_PAGE(SLOT_REMAP), VA_PAGE(SLOT_REMAP), ld a0, 0(a1)

    /* ---- a 32-bit instruction straddling into an unmapped page: mepc is the instruction,
     * mtval the first address in the page that faulted */
    TESTNUM 43
    TRAP_ARM
    ENTER_S
    li a1, VA_PAGE(SLOT_STRADDLE) + 0xffc
    jalr ra, 0(a1)
88888:
    RETURN_TO_M
    CHECK_TRAP CAUSE_FETCH_PAGE_FAULT
    CHECK_TVAL VA_PAGE(SLOT_STRADDLE + 1)
    la t5, trap_state
    ld t4, TS_EPC(t5)
    CHECK_EQ t4, VA_PAGE(SLOT_STRADDLE) + 0xffe

    /* ---- M-mode loads and stores through MPRV */
    TESTNUM 44
    MSTATUS_CLEAR MSTATUS_MPP
    MSTATUS_SET MSTATUS_MPP_S
    MSTATUS_SET MSTATUS_MPRV
    li a1, VA_PAGE(SLOT_RO)
    ld a2, 0(a1)
    MSTATUS_CLEAR MSTATUS_MPRV
    CHECK_EQ a2, 0x1111111111111111
    TESTNUM 45
    TRAP_ARM
    MSTATUS_CLEAR MSTATUS_MPP            /* MPP = U */
    MSTATUS_SET MSTATUS_MPRV
    li a1, VA_PAGE(SLOT_RO)
    ld a2, 0(a1)
88888:
    MSTATUS_CLEAR MSTATUS_MPRV
    CHECK_TRAP CAUSE_LOAD_PAGE_FAULT
    CHECK_PRIV PRV_M
    CHECK_TVAL VA_PAGE(SLOT_RO)

    /* ---- page faults delegated to S */
    TESTNUM 46
    li a1, (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT) | (1 << CAUSE_FETCH_PAGE_FAULT)
    csrw medeleg, a1
    TRAP_ARM
    ENTER_MODE_AT PRV_U, user_delegated
    .pushsection .text.user, "ax"
user_delegated:
    li a1, VA_PAGE(SLOT_INVALID) + 0x28
    sd a0, 0(a1)
88888:
    RETURN_TO_M
    j 1f
    .popsection
1:  csrw medeleg, zero
    CHECK_TRAP CAUSE_STORE_PAGE_FAULT
    CHECK_LEVEL PRV_S
    CHECK_PRIV PRV_U
    CHECK_TVAL VA_PAGE(SLOT_INVALID) + 0x28
    TESTNUM 47
    csrr a0, stval
    CHECK_EQ a0, VA_PAGE(SLOT_INVALID) + 0x28
    csrr a0, scause
    CHECK_EQ a0, CAUSE_STORE_PAGE_FAULT

    /* ---- back to Bare: S-mode addresses are physical again */
    TESTNUM 48
    csrw satp, zero
    sfence.vma
    ENTER_S
    la a1, page_b
    ld a2, 0(a1)
    li a1, VA_PAGE(SLOT_RO)
    RETURN_TO_M
    CHECK_EQ a2, 0x2222222222222222
    csrr a0, satp
    CHECK_EQ a0, 0
TEST_END

    .text
/* set_pte: a0 = table, a1 = index, a2 = physical address, a3 = flags */
set_pte:
    srli a2, a2, 12
    slli a2, a2, 10
    or a2, a2, a3
    slli a1, a1, 3
    add a1, a1, a0
    sd a2, 0(a1)
    ret

/* vm_setup: build the tables, write satp (value left in s11) */
vm_setup:
    addi sp, sp, -16
    sd ra, 8(sp)
    /* zero all tables */
    la a0, page_tables_start
    la a1, page_tables_end
1:  sd zero, 0(a0)
    addi a0, a0, 8
    bltu a0, a1, 1b
    /* identity map of the first 2 MiB: pt_root[2] -> pt_l1_image[0] -> pt_l0_image */
    la a0, pt_root
    li a1, RAM_BASE >> 30
    la a2, pt_l1_image
    li a3, PTE_V
    call set_pte
    la a0, pt_l1_image
    li a1, 0
    la a2, pt_l0_image
    li a3, PTE_V
    call set_pte
    li s0, 0
2:  la a0, pt_l0_image
    mv a1, s0
    slli a2, s0, 12
    li a3, RAM_BASE
    add a2, a2, a3
    li a3, SUPERVISOR_RWX
    la a4, user_text_start
    la a5, user_text_end
    bltu a2, a4, 3f
    bgeu a2, a5, 3f
    li a3, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
3:  call set_pte
    addi s0, s0, 1
    li a0, 512
    bltu s0, a0, 2b
    /* test pages: pt_root[1] -> pt_l1_test[0] -> pt_l0_test */
    la a0, pt_root
    li a1, VA_TEST >> 30
    la a2, pt_l1_test
    li a3, PTE_V
    call set_pte
    la a0, pt_l1_test
    li a1, 0
    la a2, pt_l0_test
    li a3, PTE_V
    call set_pte
    PTE_SET SLOT_RO, page_a, PTE_V | PTE_R | PTE_A
    PTE_SET SLOT_RW, page_a, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    PTE_SET SLOT_XO, routine_page, PTE_V | PTE_X | PTE_A
    PTE_SET SLOT_USER_RW, page_b, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D
    PTE_SET SLOT_AD, page_c, PTE_V | PTE_R | PTE_W
    PTE_SET SLOT_W_ONLY, page_a, PTE_V | PTE_W | PTE_A | PTE_D
    PTE_SET SLOT_REMAP, page_a, PTE_V | PTE_R | PTE_A
    PTE_SET SLOT_USER_X, routine_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A
    PTE_SET SLOT_NO_X, routine_page, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    PTE_SET SLOT_STRADDLE, straddle_page, PTE_V | PTE_X | PTE_A
    PTE_SET SLOT_FETCH_A, routine_page, PTE_V | PTE_X
    PTE_SET SLOT_POINTER, page_a, PTE_V
    PTE_SET SLOT_USER_AD, page_c, PTE_V | PTE_R | PTE_W | PTE_U
    /* superpages */
    la a0, pt_l1_test
    li a1, (VA_MEGA >> 21) & 511
    li a2, RAM_BASE
    li a3, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
    call set_pte
    la a0, pt_l1_test
    li a1, (VA_MEGA_MISALIGNED >> 21) & 511
    li a2, RAM_BASE + 0x1000
    li a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    call set_pte
    la a0, pt_root
    li a1, (VA_GIGA >> 30) & 511
    li a2, RAM_BASE
    li a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    call set_pte
    la a0, pt_root
    li a1, (VA_GIGA_MISALIGNED >> 30) & 511
    li a2, RAM_BASE + 0x200000
    li a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    call set_pte
#if VM_LEVELS == 4
    /* pt_top[0] -> pt_root (which then covers the low 512 GiB), plus terapages */
    la a0, pt_top
    li a1, 0
    la a2, pt_root
    li a3, PTE_V
    call set_pte
    la a0, pt_top
    li a1, (VA_TERA >> 39) & 511
    li a2, 0
    li a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    call set_pte
    la a0, pt_top
    li a1, (VA_TERA_MISALIGNED >> 39) & 511
    li a2, RAM_BASE
    li a3, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D
    call set_pte
    la a0, pt_top
    srli a0, a0, 12
    li a1, SATP_MODE_SV48
#else
    la a0, pt_root
    srli a0, a0, 12
    li a1, SATP_MODE_SV39
#endif
    or s11, a0, a1
    csrw satp, s11
    sfence.vma
    ld ra, 8(sp)
    addi sp, sp, 16
    ret

    /* a routine page: returns ROUTINE_RESULT in a0 */
    .balign 4096
routine_page:
    li a0, ROUTINE_RESULT
    ret
    .balign 4096
    /* c.nop at 0xffc, then the first half of a 32-bit addi at 0xffe */
straddle_page:
    .skip 4092
    .half 0x0001
    .half 0x0513
    .balign 4096

    .data
    .balign 4096
page_a:
    .dword 0x1111111111111111, 0xaaaaaaaaaaaaaaaa, 0, 0
    .balign 4096
page_b:
    .dword 0x2222222222222222, 0
    .balign 4096
page_c:
    .dword 0x3333333333333333, 0
    .balign 4096

    .bss
    .balign 4096
page_tables_start:
pt_root:
    .skip 4096
pt_l1_image:
    .skip 4096
pt_l0_image:
    .skip 4096
pt_l1_test:
    .skip 4096
pt_l0_test:
    .skip 4096
#if VM_LEVELS == 4
pt_top:
    .skip 4096
#endif
page_tables_end:
