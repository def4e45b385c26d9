/* Macros shared by the F and D tests: operands as bit patterns moved in with FMV_TO_F (which
 * the including file defines), results read back with fmv.x.d, fflags checked for every case. */
.macro FLOAD freg, bits
    li t0, \bits
    FMV_TO_F \freg, t0
.endm

.macro CHECK_FP_RESULT n, exp, flags
    frflags a1
    fmv.x.d a0, fa0
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_OP1 n, op, exp, flags, a, rm
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    .ifc \rm, none
    \op fa0, fa1
    .else
    \op fa0, fa1, \rm
    .endif
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP2 n, op, exp, flags, a, b, rm
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op fa0, fa1, fa2, \rm
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP2_NORM n, op, exp, flags, a, b
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op fa0, fa1, fa2
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_OP3 n, op, exp, flags, a, b, c, rm
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    FLOAD fa3, \c
    fsflags zero
    \op fa0, fa1, fa2, fa3, \rm
    CHECK_FP_RESULT \n, \exp, \flags
.endm

.macro TEST_FP_CMP n, op, exp, flags, a, b
    TESTNUM \n
    FLOAD fa1, \a
    FLOAD fa2, \b
    fsflags zero
    \op a0, fa1, fa2
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_CLASS n, op, exp, a
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    \op a0, fa1
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, 0
.endm

.macro TEST_FP_TO_INT n, op, exp, flags, a, rm
    TESTNUM \n
    FLOAD fa1, \a
    fsflags zero
    \op a0, fa1, \rm
    frflags a1
    CHECK_EQ a0, \exp
    CHECK_EQ a1, \flags
.endm

.macro TEST_FP_FROM_INT n, op, exp, flags, i, rm
    TESTNUM \n
    li a2, \i
    fsflags zero
    .ifc \rm, none
    \op fa0, a2
    .else
    \op fa0, a2, \rm
    .endif
    CHECK_FP_RESULT \n, \exp, \flags
.endm

/* an instruction word that must raise illegal instruction with mtval = its bits */
.macro TEST_ILLEGAL32 n, bits
    TESTNUM \n
    TRAP_ARM
.Lillegal\@:
    .word \bits
88888:
    CHECK_TRAP CAUSE_ILLEGAL_INSTRUCTION
    CHECK_TVAL \bits
    CHECK_EPC .Lillegal\@
.endm
