// The binary translator against the interpreter: a few programs written for the translator's
// hard parts (block ends, slow paths, precise traps, code invalidation), then a sweep of
// generated programs. Every program must leave both engines in the same state.
#include "cpu/trap.h"
#include "differential/differential.h"
#include "isa/instruction.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>

using namespace rvisor;
using namespace rvisor::differential;
using cpu::Exception;
using cpu::HartExit;
using isa::Opcode;

namespace {

// Registers by ABI name.
constexpr unsigned zero = 0, t0 = 5, t1 = 6, t2 = 7, s0 = 8, s1 = 9, a0 = 10, a1 = 11, a2 = 12,
                   a3 = 13, a4 = 14, a5 = 15, a6 = 16, a7 = 17;
constexpr unsigned ft0 = 0, ft1 = 1, ft2 = 2, ft3 = 3, ft4 = 4, ft5 = 5, ft6 = 6, ft7 = 7, fs0 = 8,
                   fs1 = 9, fa0 = 10, fa1 = 11, fa2 = 12, fa3 = 13, fa4 = 14, fa5 = 15, fa6 = 16,
                   fa7 = 17, ft8 = 28, ft9 = 29, ft10 = 30;
constexpr unsigned kRne = 0, kRtz = 1, kDynamic = 7;
// Instructions the prologue retires before the program's first.
constexpr uint64_t kPrologueInstructions = kPrologueSize / 4;
// The code starts shortly before a page boundary.
constexpr uint64_t kPageAfterCode = (kCodeBase | 0xfff) + 1;

// Encoders over the instruction table's fixed bits.
uint32_t r_type(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2 = 0)
{
    return isa::info(opcode).match | rd << 7 | rs1 << 15 | rs2 << 20;
}
uint32_t fp_type(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2, unsigned rm)
{
    return r_type(opcode, rd, rs1, rs2) | rm << 12;
}
uint32_t r4_type(Opcode opcode, unsigned rd, unsigned rs1, unsigned rs2, unsigned rs3, unsigned rm)
{
    return fp_type(opcode, rd, rs1, rs2, rm) | rs3 << 27;
}
uint32_t i_type(Opcode opcode, unsigned rd, unsigned rs1, int32_t immediate)
{
    return r_type(opcode, rd, rs1) | (static_cast<uint32_t>(immediate) & 0xfff) << 20;
}
uint32_t s_type(Opcode opcode, unsigned rs1, unsigned rs2, int32_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    return r_type(opcode, 0, rs1, rs2) | (u & 0x1f) << 7 | ((u >> 5) & 0x7f) << 25;
}
uint32_t b_type(Opcode opcode, unsigned rs1, unsigned rs2, int32_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    return r_type(opcode, 0, rs1, rs2) | ((u >> 11) & 1) << 7 | ((u >> 1) & 0xf) << 8
        | ((u >> 5) & 0x3f) << 25 | ((u >> 12) & 1) << 31;
}
uint32_t j_type(unsigned rd, int32_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    return isa::info(Opcode::jal).match | rd << 7 | ((u >> 12) & 0xff) << 12 | ((u >> 11) & 1) << 20
        | ((u >> 1) & 0x3ff) << 21 | ((u >> 20) & 1) << 31;
}
uint32_t addi(unsigned rd, unsigned rs1, int32_t immediate)
{
    return i_type(Opcode::addi, rd, rs1, immediate);
}
uint32_t csr_type(Opcode opcode, unsigned rd, uint32_t csr, unsigned rs1)
{
    return i_type(opcode, rd, rs1, static_cast<int32_t>(csr));
}
constexpr uint32_t kFflags = 0x001, kFrm = 0x002, kFcsr = 0x003;
constexpr uint32_t kEbreak = 0x00100073;

// Compressed loads and stores of x8..x15 (CL and CS formats).
uint16_t c_ld(unsigned rd, unsigned rs1, unsigned offset)
{
    return static_cast<uint16_t>(0x6000 | ((offset >> 3) & 7) << 10 | (rs1 - 8) << 7
        | ((offset >> 6) & 3) << 5 | (rd - 8) << 2);
}
uint16_t c_sd(unsigned rs1, unsigned rs2, unsigned offset)
{
    return static_cast<uint16_t>(c_ld(rs2, rs1, offset) | 0x8000);
}
uint16_t c_lw(unsigned rd, unsigned rs1, unsigned offset)
{
    return static_cast<uint16_t>(0x4000 | ((offset >> 3) & 7) << 10 | (rs1 - 8) << 7
        | ((offset >> 2) & 1) << 6 | ((offset >> 6) & 1) << 5 | (rd - 8) << 2);
}
uint16_t c_sw(unsigned rs1, unsigned rs2, unsigned offset)
{
    return static_cast<uint16_t>(c_lw(rs2, rs1, offset) | 0x8000);
}
constexpr uint16_t kCompressedJumpBack2 = 0xbffd; // c.j -2

class ProgramBuilder {
public:
    ProgramBuilder& x(unsigned index, uint64_t value)
    {
        m_program.x[index] = value;
        return *this;
    }
    ProgramBuilder& f(unsigned index, uint64_t value)
    {
        m_program.f[index] = value;
        return *this;
    }
    ProgramBuilder& f(unsigned index, double value)
    {
        return f(index, std::bit_cast<uint64_t>(value));
    }
    ProgramBuilder& single(unsigned index, float value)
    {
        return f(index, 0xffffffff00000000 | std::bit_cast<uint32_t>(value));
    }
    ProgramBuilder& emit(std::initializer_list<uint32_t> words)
    {
        for (uint32_t word : words)
            append(&word, 4);
        return *this;
    }
    ProgramBuilder& emit16(std::initializer_list<uint16_t> halves)
    {
        for (uint16_t half : halves)
            append(&half, 2);
        return *this;
    }
    // The address the next instruction will have.
    uint64_t pc() const { return kCodeBase + m_program.code.size(); }
    DifferentialProgram build(uint64_t instruction_limit = 100'000)
    {
        m_program.instruction_limit = instruction_limit;
        return m_program;
    }
    // A jump to `address`, further on, past zeros (illegal instructions).
    ProgramBuilder& jump_to(uint64_t address)
    {
        emit({ j_type(zero, static_cast<int32_t>(address - pc())) });
        m_program.code.resize(address - kCodeBase);
        return *this;
    }

private:
    // resize and copy rather than insert: GCC 12 at -O3 sees an overflow in insert's inlined
    // copy of a 4-byte word that is not there (-Wstringop-overflow).
    void append(const void* bytes, size_t size)
    {
        const size_t end = m_program.code.size();
        m_program.code.resize(end + size);
        std::memcpy(m_program.code.data() + end, bytes, size);
    }

    DifferentialProgram m_program;
};

void expect_agreement(const DifferentialProgram& program)
{
    const auto difference = run_differential(program);
    EXPECT_FALSE(difference) << *difference << describe_program(program);
}

void expect_breakpoint_at(const FinalState& state, uint64_t pc)
{
    EXPECT_EQ(state.exit, HartExit::MachineTrapNoFirmware);
    EXPECT_EQ(state.mcause, static_cast<uint64_t>(Exception::Breakpoint));
    EXPECT_EQ(state.mepc, pc);
}

// Ends the program with an ebreak, expects both engines to agree on it and the translated
// run to stop at that ebreak, and gives the translated run's final state.
FinalState run_to_ebreak(ProgramBuilder& builder)
{
    const uint64_t end = builder.pc();
    builder.emit({ kEbreak });
    const DifferentialProgram program = builder.build();
    expect_agreement(program);
    const FinalState state = run_translated(program);
    expect_breakpoint_at(state, end);
    return state;
}

// a0 += 3, a1 times down from 100, then an ebreak (at the returned pc).
uint64_t emit_counted_loop(ProgramBuilder& builder)
{
    builder.x(a0, 0).x(a1, 100);
    builder.emit({ addi(a0, a0, 3), addi(a1, a1, -1), b_type(Opcode::bne, a1, zero, -8) });
    const uint64_t end = builder.pc();
    builder.emit({ kEbreak });
    return end;
}

} // namespace

TEST(TranslatorDifferential, CountedLoopWithABackwardBranch)
{
    ProgramBuilder builder;
    const uint64_t end = emit_counted_loop(builder);
    const DifferentialProgram program = builder.build();

    expect_agreement(program);
    const FinalState state = run_translated(program);
    expect_breakpoint_at(state, end);
    EXPECT_EQ(state.x[a0], 300u);
    EXPECT_EQ(state.instret, kPrologueInstructions + 300);
}

TEST(TranslatorDifferential, CodeGivenBackWhileIdleIsTranslatedAgain)
{
    ProgramBuilder builder;
    const uint64_t end = emit_counted_loop(builder);
    for (uint64_t slice : { 1, 7, 64 }) {
        SCOPED_TRACE(slice);
        const FinalState state = run_translated(builder.build(), slice);
        expect_breakpoint_at(state, end);
        EXPECT_EQ(state.x[a0], 300u);
    }
}

TEST(TranslatorDifferential, EndlessLoopStopsAtTheInstructionLimit)
{
    ProgramBuilder builder;
    builder.emit({ addi(a0, a0, 1) }).emit16({ kCompressedJumpBack2 });
    // Odd limits end the budget between the two instructions of the loop.
    for (uint64_t limit : { 1, 2, 63, 64, 65, 1001, 10'000 }) {
        SCOPED_TRACE(limit);
        const DifferentialProgram program = builder.build(limit);
        expect_agreement(program);
        const FinalState state = run_translated(program);
        EXPECT_EQ(state.exit, HartExit::BudgetExhausted);
        EXPECT_GE(state.instret, kPrologueInstructions + limit);
    }
}

TEST(TranslatorDifferential, LoadsAndStoresOfEveryWidth)
{
    ProgramBuilder builder;
    // Aligned, misaligned, misaligned across a page, a halfword across a page.
    builder.x(s0, kDataBase + 0x300).x(s1, kDataBase + 0x401).x(a2, kDataBase + 0x1000 - 3);
    builder.x(a3, kDataBase + 0x2000 - 1).x(t0, 0x8000000180000001).x(t1, 0xfedcba9876543210);
    // One block per base register, all in one page: blocks that end at their length limit or
    // at the end of a page have tests of their own.
    builder.jump_to(kPageAfterCode);
    for (unsigned base : { s0, s1, a2, a3 }) {
        builder.emit({ i_type(Opcode::lb, a4, base, 0), i_type(Opcode::lh, a5, base, 0),
            i_type(Opcode::lw, a6, base, 0), i_type(Opcode::ld, a7, base, 0),
            i_type(Opcode::lbu, t2, base, 0), i_type(Opcode::lhu, a4, base, 1),
            i_type(Opcode::lwu, a5, base, -1), i_type(Opcode::flw, fa0, base, 0),
            i_type(Opcode::fld, fa1, base, 0) });
        builder.emit({ s_type(Opcode::sd, base, t1, 0), i_type(Opcode::ld, a6, base, 0),
            s_type(Opcode::sw, base, t0, 1), s_type(Opcode::sh, base, t0, 3),
            s_type(Opcode::sb, base, t0, 2), i_type(Opcode::ld, a7, base, 0),
            s_type(Opcode::fsw, base, fa1, 0), s_type(Opcode::fsd, base, fa0, 4),
            i_type(Opcode::lwu, t2, base, 4), j_type(zero, 4) });
    }
    builder.emit16({ c_ld(a4, s0, 8), c_sd(s1, a4, 16), c_lw(a5, s1, 4), c_sw(s0, a5, 124),
        c_ld(a6, s1, 248) });
    run_to_ebreak(builder);
}

TEST(TranslatorDifferential, BlocksOfTheLengthLimit)
{
    for (unsigned count : { 63, 64, 65, 128, 129 }) {
        SCOPED_TRACE(count);
        ProgramBuilder builder;
        builder.jump_to(kPageAfterCode);
        for (unsigned i = 0; i < count; ++i)
            builder.emit({ addi(a0, a0, 1) });
        const FinalState state = run_to_ebreak(builder);
        EXPECT_EQ(state.x[a0], count);
        EXPECT_EQ(state.instret, kPrologueInstructions + 1 + count);
    }
}

TEST(TranslatorDifferential, BlocksEndAtPageBoundaries)
{
    // Ten instructions to the end of the page, then ten more; then the same with an
    // instruction across the boundary, which no block can hold.
    for (uint64_t start : { kPageAfterCode - 40, kPageAfterCode - 42 }) {
        SCOPED_TRACE(testing::Message() << "from " << std::hex << start);
        ProgramBuilder builder;
        builder.jump_to(start);
        for (unsigned i = 0; i < 20; ++i)
            builder.emit({ addi(a0, a0, 1) });
        const FinalState state = run_to_ebreak(builder);
        EXPECT_EQ(state.x[a0], 20u);
        EXPECT_EQ(state.instret, kPrologueInstructions + 21);
    }
}

TEST(TranslatorDifferential, ReservedRoundingModesAreIllegal)
{
    // Operands that take the translator's fast paths: all doubles, or all NaN-boxed singles.
    for (uint64_t operand :
        { std::bit_cast<uint64_t>(1.5), 0xffffffff00000000 | std::bit_cast<uint32_t>(1.5f) }) {
        for (const auto& row : isa::instruction_table()) {
            if (row.operands.find('m') == std::string_view::npos)
                continue;
            for (unsigned rm : { 5, 6 }) {
                // Every register field set, whatever the row leaves free.
                const uint32_t word = row.match
                    | (~row.mask & (1u << 7 | 2u << 15 | 3u << 20 | 4u << 27)) | rm << 12;
                SCOPED_TRACE(testing::Message()
                    << row.mnemonic << " rm " << rm << " operands " << std::hex << operand);
                ProgramBuilder builder;
                builder.x(2, 5).f(2, operand).f(3, operand).f(4, operand).emit({ word, kEbreak });
                const DifferentialProgram program = builder.build();

                expect_agreement(program);
                const FinalState state = run_translated(program);
                EXPECT_EQ(state.mcause, static_cast<uint64_t>(Exception::IllegalInstruction));
                EXPECT_EQ(state.mepc, kCodeBase);
            }
        }
    }
}

TEST(TranslatorDifferential, FloatingPointKernel)
{
    ProgramBuilder builder;
    builder.f(fa0, 1.5).f(fa1, 2.25).f(fa2, -0.0).f(
        fa3, uint64_t { 0x7ff0000000000001 }); // signalling NaN
    builder.f(fa4, 1e300).f(fa5, 0.0).f(fa6, -1.0).f(fa7, 3e9);
    builder.single(fs0, 1.5f).single(fs1, 0.1f);
    builder.emit({
        fp_type(Opcode::fadd_d, ft0, fa0, fa1, kDynamic),
        fp_type(Opcode::fmul_d, ft1, fa4, fa4, kDynamic), // overflow
        r4_type(Opcode::fmadd_d, ft2, fa0, fa1, fa2, kRne),
        fp_type(Opcode::fdiv_d, ft3, fa0, fa5, kDynamic), // by zero
        fp_type(Opcode::fsqrt_d, ft4, fa6, 0, kDynamic), // invalid
        fp_type(Opcode::fsqrt_d, ft5, fa1, 0, kDynamic),
        fp_type(Opcode::fcvt_w_d, a0, fa7, 0, kRtz), // out of range
        fp_type(Opcode::fcvt_w_d, a1, fa1, 0, kRne),
        fp_type(Opcode::fcvt_s_d, ft6, fa4, 0, kDynamic), // overflows a single
        r_type(Opcode::feq_d, a2, fa3, fa0), // quiet comparison, but a signalling NaN
        r_type(Opcode::flt_d, a3, fa0, fa1),
        r_type(Opcode::flt_d, a4, fa2, fa5), // -0 < +0 is false
        csr_type(Opcode::csrrs, a5, kFflags, zero),
        csr_type(Opcode::csrrw, zero, kFflags, zero),
        csr_type(Opcode::csrrwi, zero, kFrm, 3), // round up from here
        fp_type(Opcode::fadd_s, ft7, fs0, fs1, kDynamic),
        fp_type(Opcode::fmul_s, ft8, fs0, fs1, kDynamic),
        fp_type(Opcode::fdiv_s, ft9, fs1, fs0, kDynamic),
        fp_type(Opcode::fadd_s, ft10, fa0, fs0, kDynamic), // fa0 is not NaN-boxed
        fp_type(Opcode::fcvt_d_s, ft0, fs1, 0, kDynamic),
        r_type(Opcode::fle_s, a6, ft7, ft8),
        fp_type(Opcode::fcvt_l_s, a7, ft9, 0, kDynamic),
        csr_type(Opcode::csrrs, t0, kFcsr, zero),
    });
    const FinalState state = run_to_ebreak(builder);
    EXPECT_EQ(state.x[a1], 2u); // 2.25 to nearest
    EXPECT_EQ(state.x[a5], 0x1du); // NV DZ OF NX
}

// F registers live in XMM registers within a block and around a loop's back edge: singles
// read where the home holds a double written in the block (not NaN-boxed), stores and moves
// out of homes, a misaligned load's slow path and an instruction the interpreter runs in the
// middle of a block (which clobber every XMM register) between uses of cached registers.
TEST(TranslatorDifferential, FloatRegistersCachedAcrossLoops)
{
    ProgramBuilder builder;
    builder.x(s0, kDataBase + 0x100).x(t0, 0x3fc00000).x(a1, 50).x(a3, 40); // 1.5f
    builder.single(fs0, 1.5f).single(fs1, 0.0f).f(fa0, 0.25).f(fa1, 1.0).single(fa3, 2.0f);
    builder.emit({ s_type(Opcode::sw, s0, t0, 0), s_type(Opcode::sw, s0, t0, 8) });
    builder.jump_to(kPageAfterCode);
    // A block that loops without leaving.
    builder.emit({
        i_type(Opcode::flw, ft0, s0, 0),
        fp_type(Opcode::fmul_s, ft2, ft0, fs0, kDynamic), // fs0: read only, checked in memory
        fp_type(Opcode::fadd_s, fs1, fs1, ft2, kDynamic), // fs1: written, checked in its home
        r4_type(Opcode::fmadd_s, fa2, ft0, fs0, fs1, kDynamic),
        fp_type(Opcode::fadd_d, fa1, fa1, fa0, kDynamic),
        r_type(Opcode::fsgnj_d, fa3, fa0, fa0), // memory still holds a boxed single
        fp_type(Opcode::fadd_s, ft3, fa3, fs1, kDynamic), // a double in the home: canonical NaN
        r_type(Opcode::fmv_x_w, a2, fs1),
        r_type(Opcode::fmv_w_x, ft4, t0),
        fp_type(Opcode::fmul_s, ft5, ft4, fa2, kDynamic),
        r_type(Opcode::fsgnjn_s, ft6, ft5, fs1),
        s_type(Opcode::fsw, s0, ft6, 4),
        s_type(Opcode::fsd, s0, fa1, 16),
        addi(a1, a1, -1),
        b_type(Opcode::bne, a1, zero, -14 * 4),
    });
    // One that calls out in its middle, so it leaves and comes back through its entry.
    builder.emit({
        i_type(Opcode::flw, ft7, s0, 8),
        fp_type(Opcode::fadd_s, ft8, ft7, fs1, kDynamic),
        r_type(Opcode::fmin_s, ft9, ft8, ft6), // the interpreter
        fp_type(Opcode::fmul_s, ft10, ft9, ft8, kDynamic),
        i_type(Opcode::flw, ft1, s0, 1), // misaligned: the slow path
        fp_type(Opcode::fadd_s, fs1, ft10, ft1, kDynamic),
        r_type(Opcode::fmv_x_d, a4, fa1),
        s_type(Opcode::fsw, s0, fs1, 12),
        addi(a3, a3, -1),
        b_type(Opcode::bne, a3, zero, -9 * 4),
    });
    const FinalState state = run_to_ebreak(builder);
    EXPECT_EQ(state.f[fa1], std::bit_cast<uint64_t>(1.0 + 50 * 0.25));
    EXPECT_EQ(state.f[ft3], 0xffffffff7fc00000u); // the canonical NaN, boxed
}

TEST(TranslatorDifferential, FaultInTheMiddleOfABlockIsPrecise)
{
    ProgramBuilder builder;
    builder.x(a1, 5).x(a3, 0x1000); // not RAM
    builder.emit({ addi(a0, zero, 1), addi(a1, a1, 8) });
    const uint64_t load = builder.pc();
    builder.emit({ i_type(Opcode::ld, a2, a3, 16), addi(a0, zero, 2), kEbreak });
    const DifferentialProgram program = builder.build();

    expect_agreement(program);
    const FinalState state = run_translated(program);
    EXPECT_EQ(state.exit, HartExit::MachineTrapNoFirmware);
    EXPECT_EQ(state.mcause, static_cast<uint64_t>(Exception::LoadAccessFault));
    EXPECT_EQ(state.mepc, load);
    EXPECT_EQ(state.pc, load);
    EXPECT_EQ(state.mtval, 0x1010u);
    EXPECT_EQ(state.instret, kPrologueInstructions + 2);
    EXPECT_EQ(state.x[a0], 1u);
    EXPECT_EQ(state.x[a1], 13u);
}

TEST(TranslatorDifferential, StoreFaultAcrossTheEndOfRamIsPrecise)
{
    ProgramBuilder builder;
    builder.x(a5, kRamBase + kRamSize - 4).x(a4, 0x1122334455667788);
    for (unsigned i = 0; i < 20; ++i)
        builder.emit({ addi(a0, a0, 1) });
    const uint64_t store = builder.pc();
    builder.emit({ s_type(Opcode::sd, a5, a4, 0), addi(a0, zero, 0), kEbreak });
    const DifferentialProgram program = builder.build();

    expect_agreement(program);
    const FinalState state = run_translated(program);
    EXPECT_EQ(state.exit, HartExit::MachineTrapNoFirmware);
    EXPECT_EQ(state.mcause, static_cast<uint64_t>(Exception::StoreAccessFault));
    EXPECT_EQ(state.mepc, store);
    EXPECT_EQ(state.instret, kPrologueInstructions + 20);
    EXPECT_EQ(state.x[a0], 20u);
}

TEST(TranslatorDifferential, SelfModifyingCodeAfterFenceI)
{
    // The first pass runs (and so translates) `addi a0, zero, 1`, then overwrites it with
    // `addi a0, zero, 42`; after fence.i the second pass must run the new instruction.
    ProgramBuilder builder;
    builder.x(a1, 0).x(t1, addi(a0, zero, 42));
    const uint64_t patched = builder.pc();
    builder.emit({ addi(a0, zero, 1), b_type(Opcode::bne, a1, zero, 24) });
    builder.emit({ i_type(Opcode::auipc, t0, 0, 0) });
    builder.emit({ s_type(Opcode::sw, t0, t1, static_cast<int32_t>(patched - (builder.pc() - 4))),
        r_type(Opcode::fence_i, 0, 0), addi(a1, zero, 1),
        j_type(zero, static_cast<int32_t>(patched - builder.pc() - 12)) });
    const FinalState state = run_to_ebreak(builder);
    EXPECT_EQ(state.x[a0], 42u);
}

TEST(TranslatorDifferential, GeneratedProgramsAgree)
{
    constexpr uint64_t kSeed = 20240601;
    constexpr unsigned kPrograms = 3000;
    constexpr unsigned kMaxFailures = 3;
    unsigned failures = 0;
    for (unsigned index = 0; index < kPrograms && failures < kMaxFailures; ++index) {
        // One generator per program, so any program can be rebuilt from its seed alone.
        std::mt19937_64 random(kSeed + index);
        std::vector<uint8_t> bytes(16 + random() % 4096);
        for (auto& byte : bytes)
            byte = static_cast<uint8_t>(random());
        const DifferentialProgram program = generate_program(bytes);
        if (auto difference = run_differential(program)) {
            ++failures;
            ADD_FAILURE() << "program " << index << " (std::mt19937_64 seeded with "
                          << kSeed + index << "):\n"
                          << *difference;
        }
    }
}
