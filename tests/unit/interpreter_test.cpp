// Instruction semantics through a real hart: each test places a few instruction words in guest
// RAM, sets the source registers, runs exactly that many instructions and checks the result.
// The encoders below are written from the ISA manual's formats, independent of src/isa; a few
// static_asserts pin them to GNU as output.
#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <limits>

using namespace rvisor;
using cpu::Exception;
using cpu::HartExit;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kHandler = kRamBase + 0x800;
constexpr uint64_t kData = kRamBase + 0x10000;

// ---- encoders ----
constexpr uint32_t r_type(
    uint32_t opcode, uint32_t funct3, uint32_t funct7, unsigned rd, unsigned rs1, unsigned rs2)
{
    return opcode | rd << 7 | funct3 << 12 | rs1 << 15 | rs2 << 20 | funct7 << 25;
}
constexpr uint32_t i_type(uint32_t opcode, uint32_t funct3, unsigned rd, unsigned rs1, int32_t imm)
{
    return opcode | rd << 7 | funct3 << 12 | rs1 << 15 | (static_cast<uint32_t>(imm) & 0xfff) << 20;
}
constexpr uint32_t s_type(uint32_t opcode, uint32_t funct3, unsigned rs1, unsigned rs2, int32_t imm)
{
    const auto u = static_cast<uint32_t>(imm);
    return opcode | (u & 0x1f) << 7 | funct3 << 12 | rs1 << 15 | rs2 << 20
        | ((u >> 5) & 0x7f) << 25;
}
constexpr uint32_t b_type(uint32_t funct3, unsigned rs1, unsigned rs2, int32_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    return 0x63 | ((u >> 11) & 1) << 7 | ((u >> 1) & 0xf) << 8 | funct3 << 12 | rs1 << 15
        | rs2 << 20 | ((u >> 5) & 0x3f) << 25 | ((u >> 12) & 1) << 31;
}
constexpr uint32_t u_type(uint32_t opcode, unsigned rd, uint32_t upper20)
{
    return opcode | rd << 7 | upper20 << 12;
}
constexpr uint32_t j_type(unsigned rd, int32_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    return 0x6f | rd << 7 | ((u >> 12) & 0xff) << 12 | ((u >> 11) & 1) << 20
        | ((u >> 1) & 0x3ff) << 21 | ((u >> 20) & 1) << 31;
}

// Registers by ABI name.
constexpr unsigned zero = 0, ra = 1, t0 = 5, a0 = 10, a1 = 11, a2 = 12, a3 = 13;

// Operands are always rd = a0, rs1 = a1, rs2 = a2 for the binary-operation helper.
constexpr uint32_t op(uint32_t funct7, uint32_t funct3)
{
    return r_type(0x33, funct3, funct7, a0, a1, a2);
}
constexpr uint32_t op32(uint32_t funct7, uint32_t funct3)
{
    return r_type(0x3b, funct3, funct7, a0, a1, a2);
}
constexpr uint32_t unary(uint32_t opcode, uint32_t funct12, uint32_t funct3)
{
    return i_type(opcode, funct3, a0, a1, static_cast<int32_t>(funct12));
}
constexpr uint32_t imm_op(uint32_t funct3, int32_t imm)
{
    return i_type(0x13, funct3, a0, a1, imm);
}
constexpr uint32_t imm_op32(uint32_t funct3, int32_t imm)
{
    return i_type(0x1b, funct3, a0, a1, imm);
}
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x13, 0, rd, rs1, imm);
}
constexpr uint32_t load(uint32_t funct3, unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x03, funct3, rd, rs1, imm);
}
constexpr uint32_t store(uint32_t funct3, unsigned rs1, unsigned rs2, int32_t imm)
{
    return s_type(0x23, funct3, rs1, rs2, imm);
}
constexpr uint32_t amo(uint32_t funct5, uint32_t width, unsigned rd, unsigned rs1, unsigned rs2)
{
    return r_type(0x2f, width, funct5 << 2, rd, rs1, rs2);
}
constexpr uint32_t csrrs(unsigned rd, uint32_t csr, unsigned rs1)
{
    return i_type(0x73, 2, rd, rs1, static_cast<int32_t>(csr));
}
constexpr uint32_t csrrw(unsigned rd, uint32_t csr, unsigned rs1)
{
    return i_type(0x73, 1, rd, rs1, static_cast<int32_t>(csr));
}
constexpr uint32_t fp(uint32_t funct7, uint32_t rm, unsigned rd, unsigned rs1, unsigned rs2)
{
    return r_type(0x53, rm, funct7, rd, rs1, rs2);
}
constexpr uint32_t kEcall = 0x00000073;

// Pinned to GNU as 2.40 output.
static_assert(addi(a0, 2, 16) == 0x01010513);
static_assert(i_type(0x13, 0, t0, 6, -2048) == 0x80030293);
static_assert(s_type(0x23, 3, 2, a1, -8) == 0xfeb13c23);
static_assert(b_type(0, a0, a1, -4096) == 0x80b50063);
static_assert(b_type(1, t0, 6, 4094) == 0x7e629fe3);
static_assert(u_type(0x37, a1, 0x80000) == 0x800005b7);
static_assert(j_type(ra, -1048576) == 0x800000ef);
static_assert(j_type(8, 2048) == 0x0010046f);
static_assert(amo(0x03, 2, a0, a1, a2) == 0x18c5a52f);
static_assert(fp(0x01, 1, a0, a1, a2) == 0x02c59553);

// ---- fixture ----
class InterpreterTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, 1 << 20 };
    mem::Bus bus { ram };
    cpu::InterruptLines lines;
    host::Clock clock;
    cpu::Hart hart { cpu::HartConfig { 0, false }, bus, lines, clock };

    void SetUp() override
    {
        hart.reset(kRamBase);
        hart.write_csr_as_machine(isa::csr::mtvec, kHandler);
    }

    void place(uint64_t address, std::initializer_list<uint32_t> words)
    {
        uint8_t* p = ram.pointer(address);
        for (uint32_t word : words) {
            std::memcpy(p, &word, 4);
            p += 4;
        }
    }
    // Runs `words` from kRamBase, one budget step per word.
    HartExit execute(std::initializer_list<uint32_t> words)
    {
        place(kRamBase, words);
        hart.set_pc(kRamBase);
        return hart.run(words.size());
    }
    // a0 = insn(a1, a2); fails the test if the instruction trapped.
    uint64_t binary(uint32_t insn, uint64_t a, uint64_t b = 0)
    {
        hart.set_x(a1, a);
        hart.set_x(a2, b);
        execute({ insn });
        EXPECT_EQ(hart.pc(), kRamBase + 4)
            << "the instruction trapped, mcause " << hart.read_csr_as_machine(isa::csr::mcause);
        return hart.x(a0);
    }

    uint64_t read64(uint64_t address)
    {
        uint64_t value;
        std::memcpy(&value, ram.pointer(address), 8);
        return value;
    }
    void write64(uint64_t address, uint64_t value) { std::memcpy(ram.pointer(address), &value, 8); }
    uint32_t read32(uint64_t address)
    {
        uint32_t value;
        std::memcpy(&value, ram.pointer(address), 4);
        return value;
    }
    void write32(uint64_t address, uint32_t value) { std::memcpy(ram.pointer(address), &value, 4); }

    void expect_trap(Exception cause, uint64_t tval, uint64_t epc = kRamBase)
    {
        EXPECT_EQ(hart.pc(), kHandler);
        EXPECT_EQ(hart.read_csr_as_machine(isa::csr::mcause), static_cast<uint64_t>(cause));
        EXPECT_EQ(hart.read_csr_as_machine(isa::csr::mepc), epc);
        EXPECT_EQ(hart.read_csr_as_machine(isa::csr::mtval), tval);
    }
};

constexpr uint64_t kMin64 = 0x8000000000000000ull;
constexpr uint64_t kAllOnes = ~uint64_t { 0 };

// M
const uint32_t kMul = op(1, 0), kMulh = op(1, 1), kMulhsu = op(1, 2), kMulhu = op(1, 3);
const uint32_t kDiv = op(1, 4), kDivu = op(1, 5), kRem = op(1, 6), kRemu = op(1, 7);
const uint32_t kMulw = op32(1, 0), kDivw = op32(1, 4), kDivuw = op32(1, 5), kRemw = op32(1, 6),
               kRemuw = op32(1, 7);

} // namespace

// ---- M ----

TEST_F(InterpreterTest, DivisionByZeroGivesAllOnesAndRemainderTheDividend)
{
    EXPECT_EQ(binary(kDiv, 42, 0), kAllOnes);
    EXPECT_EQ(binary(kDiv, static_cast<uint64_t>(-42), 0), kAllOnes);
    EXPECT_EQ(binary(kRem, static_cast<uint64_t>(-42), 0), static_cast<uint64_t>(-42));
    EXPECT_EQ(binary(kDivu, 42, 0), kAllOnes);
    EXPECT_EQ(binary(kRemu, 42, 0), 42u);
    // W forms: 32-bit all ones, sign-extended; remainders are the sign-extended low word.
    EXPECT_EQ(binary(kDivw, 0x1234567800000005, 0xffffffff00000000), kAllOnes);
    EXPECT_EQ(binary(kDivuw, 5, 0), kAllOnes);
    EXPECT_EQ(binary(kRemw, 0x00000000deadbeef, 0), 0xffffffffdeadbeefu);
    EXPECT_EQ(binary(kRemuw, 0x1234567880000000, 0), 0xffffffff80000000u);
}

TEST_F(InterpreterTest, SignedOverflowDivision)
{
    EXPECT_EQ(binary(kDiv, kMin64, kAllOnes), kMin64);
    EXPECT_EQ(binary(kRem, kMin64, kAllOnes), 0u);
    EXPECT_EQ(binary(kDivw, 0x80000000, 0xffffffff), 0xffffffff80000000u);
    EXPECT_EQ(binary(kRemw, 0x80000000, 0xffffffff), 0u);
    // Unsigned forms see the same bits as large numbers.
    EXPECT_EQ(binary(kDivu, kMin64, kAllOnes), 0u);
    EXPECT_EQ(binary(kRemu, kMin64, kAllOnes), kMin64);
}

TEST_F(InterpreterTest, DivisionRoundsTowardZero)
{
    EXPECT_EQ(binary(kDiv, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-3));
    EXPECT_EQ(binary(kRem, static_cast<uint64_t>(-7), 2), static_cast<uint64_t>(-1));
    EXPECT_EQ(binary(kRem, 7, static_cast<uint64_t>(-2)), 1u);
    // W forms use only the low words of their operands.
    EXPECT_EQ(binary(kDivw, 0x100000006, 0x200000003), 2u);
    EXPECT_EQ(binary(kDivuw, 0xfffffffe, 2), 0x7fffffffu);
    EXPECT_EQ(binary(kRemuw, 0xffffffff, 0x10), 0xfu);
}

TEST_F(InterpreterTest, MultiplyHighSignedness)
{
    EXPECT_EQ(binary(kMulh, kAllOnes, kAllOnes), 0u); // -1 * -1
    EXPECT_EQ(binary(kMulh, static_cast<uint64_t>(-2), 3), kAllOnes); // -6
    EXPECT_EQ(binary(kMulh, kMin64, kMin64), 0x4000000000000000u); // 2^126
    EXPECT_EQ(binary(kMulhu, kAllOnes, kAllOnes), 0xfffffffffffffffeu);
    EXPECT_EQ(binary(kMulhu, kAllOnes, 2), 1u);
    // mulhsu: rs1 signed, rs2 unsigned. -1 * (2^64 - 1) = -2^64 + 1.
    EXPECT_EQ(binary(kMulhsu, kAllOnes, kAllOnes), kAllOnes);
    EXPECT_EQ(binary(kMulhsu, 2, kAllOnes), 1u);
    EXPECT_EQ(binary(kMulhsu, static_cast<uint64_t>(-2), 3), kAllOnes);
    EXPECT_EQ(binary(kMul, kAllOnes, 3), static_cast<uint64_t>(-3));
    EXPECT_EQ(binary(kMulw, 0x7fffffff, 2), 0xfffffffffffffffeu);
    EXPECT_EQ(binary(kMulw, 0x100000003, 0x100000005), 15u);
}

// ---- shifts and W arithmetic ----

TEST_F(InterpreterTest, RegisterShiftsUseOnlyTheLowSixBits)
{
    const uint32_t sll = op(0, 1), srl = op(0, 5), sra = op(0x20, 5);
    EXPECT_EQ(binary(sll, 1, 63), kMin64);
    EXPECT_EQ(binary(sll, 0x1234, 64), 0x1234u);
    EXPECT_EQ(binary(sll, 1, 65), 2u);
    EXPECT_EQ(binary(srl, kMin64, 63), 1u);
    EXPECT_EQ(binary(srl, kMin64, 65), 0x4000000000000000u);
    EXPECT_EQ(binary(sra, kMin64, 63), kAllOnes);
    EXPECT_EQ(binary(sra, kMin64, 128), kMin64);
}

TEST_F(InterpreterTest, ImmediateShifts)
{
    EXPECT_EQ(binary(imm_op(1, 63), 1), kMin64); // slli 63
    EXPECT_EQ(binary(imm_op(5, 63), kMin64), 1u); // srli 63
    EXPECT_EQ(binary(imm_op(5, 0x400 | 63), kMin64), kAllOnes); // srai 63
    EXPECT_EQ(binary(imm_op32(1, 31), 1), 0xffffffff80000000u); // slliw 31
    EXPECT_EQ(binary(imm_op32(5, 0), 0x80000000), 0xffffffff80000000u); // srliw 0
    EXPECT_EQ(binary(imm_op32(5, 4), 0xffffffff80000000), 0x08000000u); // srliw 4
    EXPECT_EQ(binary(imm_op32(5, 0x400 | 31), 0x80000000), kAllOnes); // sraiw 31
}

TEST_F(InterpreterTest, WordShiftsSignExtendAndUseFiveBits)
{
    const uint32_t sllw = op32(0, 1), srlw = op32(0, 5), sraw = op32(0x20, 5);
    EXPECT_EQ(binary(sllw, 0x80000001, 32), 0xffffffff80000001u); // shift by 0
    EXPECT_EQ(binary(sllw, 1, 31), 0xffffffff80000000u);
    EXPECT_EQ(binary(sllw, 0xffffffff00000001, 4), 0x10u);
    EXPECT_EQ(binary(srlw, 0xffffffff80000000, 4), 0x08000000u);
    EXPECT_EQ(binary(srlw, 0x80000000, 32), 0xffffffff80000000u); // by 0: sign-extended
    EXPECT_EQ(binary(sraw, 0x80000000, 4), 0xfffffffff8000000u);
    EXPECT_EQ(binary(sraw, 0x00000000f0000000, 36), 0xffffffffff000000u); // by 4
}

TEST_F(InterpreterTest, WordArithmeticSignExtends)
{
    const uint32_t addw = op32(0, 0), subw = op32(0x20, 0);
    EXPECT_EQ(binary(addw, 0x7fffffff, 1), 0xffffffff80000000u);
    EXPECT_EQ(binary(addw, 0xffffffff, 1), 0u);
    EXPECT_EQ(binary(addw, 0x123456789, 0), 0x23456789u);
    EXPECT_EQ(binary(subw, 0x80000000, 1), 0x7fffffffu);
    EXPECT_EQ(binary(subw, 0, 1), kAllOnes);
    EXPECT_EQ(binary(imm_op32(0, -1), 0), kAllOnes); // addiw -1
    EXPECT_EQ(binary(imm_op32(0, 0), 0x00000000ffff8000), 0xffffffffffff8000u); // sext.w
}

TEST_F(InterpreterTest, SetLessThanSignedAndUnsigned)
{
    const uint32_t slt = op(0, 2), sltu = op(0, 3);
    EXPECT_EQ(binary(slt, kAllOnes, 0), 1u);
    EXPECT_EQ(binary(sltu, kAllOnes, 0), 0u);
    EXPECT_EQ(binary(slt, 0, kAllOnes), 0u);
    EXPECT_EQ(binary(sltu, 0, kAllOnes), 1u);
    EXPECT_EQ(binary(slt, 5, 5), 0u);
    EXPECT_EQ(binary(imm_op(2, -4), static_cast<uint64_t>(-5)), 1u); // slti
    EXPECT_EQ(binary(imm_op(3, -1), 5), 1u); // sltiu against 2^64-1
    EXPECT_EQ(binary(imm_op(3, 1), 0), 1u); // sltiu 1: seqz
    EXPECT_EQ(binary(imm_op(3, 1), 7), 0u);
}

TEST_F(InterpreterTest, LogicalImmediatesAreSignExtended)
{
    EXPECT_EQ(binary(imm_op(4, -1), 0x00ff), ~uint64_t { 0x00ff }); // xori -1 = not
    EXPECT_EQ(binary(imm_op(6, -2048), 0), 0xfffffffffffff800u); // ori
    EXPECT_EQ(binary(imm_op(7, -16), kAllOnes), 0xfffffffffffffff0u); // andi
}

TEST_F(InterpreterTest, UpperImmediatesSignExtend)
{
    execute({ u_type(0x37, a0, 0x80000) }); // lui a0, 0x80000
    EXPECT_EQ(hart.x(a0), 0xffffffff80000000u);
    execute({ u_type(0x37, a0, 0x7ffff) });
    EXPECT_EQ(hart.x(a0), 0x7ffff000u);
    execute({ u_type(0x17, a0, 0xfffff) }); // auipc a0, -1 page
    EXPECT_EQ(hart.x(a0), kRamBase - 0x1000);
    execute({ u_type(0x17, a0, 0x80000) }); // auipc a0, -2 GiB
    EXPECT_EQ(hart.x(a0), 0u);
}

// ---- control transfer ----

TEST_F(InterpreterTest, JalLinksAndJumps)
{
    execute({ j_type(ra, 8) });
    EXPECT_EQ(hart.x(ra), kRamBase + 4);
    EXPECT_EQ(hart.pc(), kRamBase + 8);
    place(kRamBase + 0x100, { j_type(zero, -0x100) });
    hart.set_pc(kRamBase + 0x100);
    hart.run(1);
    EXPECT_EQ(hart.pc(), kRamBase);
    EXPECT_EQ(hart.x(zero), 0u);
}

TEST_F(InterpreterTest, JalrClearsBitZeroAndLinksAfterReadingRs1)
{
    hart.set_x(a1, kRamBase + 0x100);
    execute({ i_type(0x67, 0, ra, a1, 3) }); // jalr ra, 3(a1)
    EXPECT_EQ(hart.pc(), kRamBase + 0x102);
    EXPECT_EQ(hart.x(ra), kRamBase + 4);
    // rd == rs1: the target uses the old value.
    hart.set_x(a1, kRamBase + 0x200);
    execute({ i_type(0x67, 0, a1, a1, -4) });
    EXPECT_EQ(hart.pc(), kRamBase + 0x1fc);
    EXPECT_EQ(hart.x(a1), kRamBase + 4);
}

TEST_F(InterpreterTest, BranchesTakenAndNotTaken)
{
    struct Case {
        uint32_t funct3;
        uint64_t a, b;
        bool taken;
    };
    const Case cases[] = {
        { 0, 5, 5, true }, { 0, 5, 6, false }, // beq
        { 1, 5, 6, true }, { 1, 5, 5, false }, // bne
        { 4, kAllOnes, 0, true }, { 4, 0, kAllOnes, false }, // blt: -1 < 0
        { 5, 0, kAllOnes, true }, { 5, 3, 3, true }, { 5, kAllOnes, 0, false }, // bge
        { 6, 0, kAllOnes, true }, { 6, kAllOnes, 0, false }, // bltu
        { 7, kAllOnes, 0, true }, { 7, 0, 1, false }, // bgeu
    };
    for (const Case& c : cases) {
        hart.set_x(a1, c.a);
        hart.set_x(a2, c.b);
        place(kRamBase + 0x100, { b_type(c.funct3, a1, a2, -0x40) });
        hart.set_pc(kRamBase + 0x100);
        hart.run(1);
        EXPECT_EQ(hart.pc(), c.taken ? kRamBase + 0xc0 : kRamBase + 0x104)
            << "funct3 " << c.funct3 << " a=" << c.a << " b=" << c.b;
    }
}

// ---- loads and stores ----

TEST_F(InterpreterTest, LoadsSignOrZeroExtend)
{
    write64(kData, 0x8000000080008080);
    hart.set_x(a1, kData);
    struct Case {
        uint32_t funct3;
        uint64_t expected;
    };
    const Case cases[] = {
        { 0, 0xffffffffffffff80 }, // lb
        { 4, 0x80 }, // lbu
        { 1, 0xffffffffffff8080 }, // lh
        { 5, 0x8080 }, // lhu
        { 2, 0xffffffff80008080 }, // lw
        { 6, 0x80008080 }, // lwu
        { 3, 0x8000000080008080 }, // ld
    };
    for (const Case& c : cases) {
        execute({ load(c.funct3, a0, a1, 0) });
        EXPECT_EQ(hart.x(a0), c.expected) << "funct3 " << c.funct3;
    }
    execute({ load(0, a0, a1, 7) }); // lb of the top byte
    EXPECT_EQ(hart.x(a0), 0xffffffffffffff80u);
}

TEST_F(InterpreterTest, StoresWriteOnlyTheirWidth)
{
    write64(kData, 0);
    hart.set_x(a1, kData);
    hart.set_x(a2, 0x1122334455667788);
    execute({ store(0, a1, a2, 0), store(1, a1, a2, 2), store(2, a1, a2, 4) });
    EXPECT_EQ(read64(kData), 0x5566778877880088u);
    execute({ store(3, a1, a2, -8) });
    EXPECT_EQ(read64(kData - 8), 0x1122334455667788u);
}

TEST_F(InterpreterTest, MisalignedLoadsAndStoresAreCarriedOut)
{
    for (uint64_t i = 0; i < 16; ++i)
        ram.pointer(kData)[i] = static_cast<uint8_t>(0xa0 + i);
    hart.set_x(a1, kData);
    execute({ load(3, a0, a1, 1) });
    EXPECT_EQ(hart.x(a0), 0xa8a7a6a5a4a3a2a1u);
    execute({ load(2, a0, a1, 3) });
    EXPECT_EQ(hart.x(a0), 0xffffffffa6a5a4a3u);
    execute({ load(5, a0, a1, 7) });
    EXPECT_EQ(hart.x(a0), 0xa8a7u);
    hart.set_x(a2, 0x0102030405060708);
    execute({ store(3, a1, a2, 5) });
    EXPECT_EQ(read64(kData + 5), 0x0102030405060708u);
    EXPECT_EQ(ram.pointer(kData)[4], 0xa4);
    EXPECT_EQ(ram.pointer(kData)[13], 0xad);
    EXPECT_EQ(hart.pc(), kRamBase + 4);
}

TEST_F(InterpreterTest, MisalignedAccessAcrossAPageBoundary)
{
    const uint64_t boundary = kData + 0x1000;
    write64(boundary - 4, 0x8877665544332211);
    hart.set_x(a1, boundary - 4);
    execute({ load(3, a0, a1, 0) });
    EXPECT_EQ(hart.x(a0), 0x8877665544332211u);
    hart.set_x(a1, boundary - 3);
    execute({ load(2, a0, a1, 0) });
    EXPECT_EQ(hart.x(a0), 0x0000000055443322u);
    hart.set_x(a1, boundary - 2);
    hart.set_x(a2, 0xdeadbeefcafef00d);
    execute({ store(3, a1, a2, 0) });
    EXPECT_EQ(read64(boundary - 2), 0xdeadbeefcafef00du);
    EXPECT_EQ(hart.pc(), kRamBase + 4);
}

TEST_F(InterpreterTest, LoadOutsideRamIsAnAccessFault)
{
    hart.set_x(a1, 0x40000000);
    execute({ load(3, a0, a1, 8) });
    expect_trap(Exception::LoadAccessFault, 0x40000008);
    hart.set_x(a1, 0x40000000);
    execute({ store(2, a1, a2, 0) });
    expect_trap(Exception::StoreAccessFault, 0x40000000);
}

// ---- Zba / Zbb / Zbs / Zicond ----

TEST_F(InterpreterTest, Zba)
{
    EXPECT_EQ(binary(op(0x10, 2), 3, 100), 106u); // sh1add
    EXPECT_EQ(binary(op(0x10, 4), 3, 100), 112u); // sh2add
    EXPECT_EQ(binary(op(0x10, 6), 3, 100), 124u); // sh3add
    EXPECT_EQ(binary(op32(0x04, 0), 0xffffffff00000001, 1), 2u); // add.uw
    EXPECT_EQ(binary(op32(0x04, 0), 0x80000000, 0), 0x80000000u);
    EXPECT_EQ(binary(op32(0x10, 2), 0xffffffff80000000, 1), 0x100000001u); // sh1add.uw
    EXPECT_EQ(binary(op32(0x10, 6), 0x1000000001, 0), 8u); // sh3add.uw
    EXPECT_EQ(binary(imm_op32(1, (0x02 << 6) | 4), 0xffffffff80000000), 0x800000000u); // slli.uw
}

TEST_F(InterpreterTest, ZbbCountsOfZeroAndOthers)
{
    const uint32_t clz = unary(0x13, 0x600, 1), ctz = unary(0x13, 0x601, 1),
                   cpop = unary(0x13, 0x602, 1), clzw = unary(0x1b, 0x600, 1),
                   ctzw = unary(0x1b, 0x601, 1), cpopw = unary(0x1b, 0x602, 1);
    EXPECT_EQ(binary(clz, 0), 64u);
    EXPECT_EQ(binary(ctz, 0), 64u);
    EXPECT_EQ(binary(cpop, 0), 0u);
    EXPECT_EQ(binary(clzw, 0xffffffff00000000), 32u);
    EXPECT_EQ(binary(ctzw, 0xffffffff00000000), 32u);
    EXPECT_EQ(binary(cpopw, 0xffffffff00000001), 1u);
    EXPECT_EQ(binary(clz, 1), 63u);
    EXPECT_EQ(binary(clz, kMin64), 0u);
    EXPECT_EQ(binary(ctz, kMin64), 63u);
    EXPECT_EQ(binary(cpop, kAllOnes), 64u);
    EXPECT_EQ(binary(clzw, 0x8000), 16u);
}

TEST_F(InterpreterTest, ZbbBytesAndExtensions)
{
    const uint32_t rev8 = unary(0x13, 0x6b8, 5), orc_b = unary(0x13, 0x287, 5),
                   sext_b = unary(0x13, 0x604, 1), sext_h = unary(0x13, 0x605, 1),
                   zext_h = r_type(0x3b, 4, 0x04, a0, a1, 0);
    EXPECT_EQ(binary(rev8, 0x0102030405060708), 0x0807060504030201u);
    EXPECT_EQ(binary(orc_b, 0x0001000200000400), 0x00ff00ff0000ff00u);
    EXPECT_EQ(binary(orc_b, 0), 0u);
    EXPECT_EQ(binary(sext_b, 0x1280), 0xffffffffffffff80u);
    EXPECT_EQ(binary(sext_b, 0x7f), 0x7fu);
    EXPECT_EQ(binary(sext_h, 0x18000), 0xffffffffffff8000u);
    EXPECT_EQ(binary(zext_h, 0xffffffffffff8001), 0x8001u);
}

TEST_F(InterpreterTest, ZbbRotatesMaskTheirAmount)
{
    const uint32_t rol = op(0x30, 1), ror = op(0x30, 5), rolw = op32(0x30, 1), rorw = op32(0x30, 5);
    EXPECT_EQ(binary(rol, 0x8000000000000001, 4), 0x18u);
    EXPECT_EQ(binary(rol, 0x8000000000000001, 68), 0x18u);
    EXPECT_EQ(binary(ror, 0x11, 4), 0x1000000000000001u);
    EXPECT_EQ(binary(ror, 0x11, 64), 0x11u);
    EXPECT_EQ(binary(rolw, 0x80000001, 1), 3u);
    EXPECT_EQ(binary(rorw, 1, 1), 0xffffffff80000000u);
    EXPECT_EQ(binary(rorw, 0xffffffff00000001, 33), 0xffffffff80000000u);
    EXPECT_EQ(binary(imm_op(5, (0x18 << 6) | 4), 0x11), 0x1000000000000001u); // rori 4
    EXPECT_EQ(binary(imm_op32(5, (0x30 << 5) | 1), 1), 0xffffffff80000000u); // roriw 1
}

TEST_F(InterpreterTest, ZbbMinMaxSignedVersusUnsigned)
{
    const uint32_t min = op(0x05, 4), minu = op(0x05, 5), max = op(0x05, 6), maxu = op(0x05, 7);
    EXPECT_EQ(binary(min, kAllOnes, 1), kAllOnes);
    EXPECT_EQ(binary(minu, kAllOnes, 1), 1u);
    EXPECT_EQ(binary(max, kAllOnes, 1), 1u);
    EXPECT_EQ(binary(maxu, kAllOnes, 1), kAllOnes);
    EXPECT_EQ(binary(max, kMin64, 0x7fffffffffffffff), 0x7fffffffffffffffu);
}

TEST_F(InterpreterTest, ZbbLogicWithNegation)
{
    EXPECT_EQ(binary(op(0x20, 7), 0xff, 0x0f), 0xf0u); // andn
    EXPECT_EQ(binary(op(0x20, 6), 0, 0xf), 0xfffffffffffffff0u); // orn
    EXPECT_EQ(binary(op(0x20, 4), 0xf0, 0xff), 0xfffffffffffffff0u); // xnor
}

TEST_F(InterpreterTest, ZbsSingleBits)
{
    const uint32_t bclr = op(0x24, 1), bext = op(0x24, 5), binv = op(0x34, 1), bset = op(0x14, 1);
    EXPECT_EQ(binary(bext, kMin64, 63), 1u);
    EXPECT_EQ(binary(bext, 0x8, 67), 1u); // index masked to 3
    EXPECT_EQ(binary(bext, 0x8, 2), 0u);
    EXPECT_EQ(binary(bset, 0, 63), kMin64);
    EXPECT_EQ(binary(bset, 0, 64), 1u);
    EXPECT_EQ(binary(bclr, kAllOnes, 0), 0xfffffffffffffffeu);
    EXPECT_EQ(binary(binv, 0x10, 4), 0u);
    EXPECT_EQ(binary(imm_op(5, (0x12 << 6) | 40), uint64_t { 1 } << 40), 1u); // bexti 40
    EXPECT_EQ(binary(imm_op(1, (0x0a << 6) | 33), 0), uint64_t { 1 } << 33); // bseti 33
    EXPECT_EQ(binary(imm_op(1, (0x12 << 6) | 63), kAllOnes), ~kMin64); // bclri 63
    EXPECT_EQ(binary(imm_op(1, (0x1a << 6) | 0), 1), 0u); // binvi 0
}

TEST_F(InterpreterTest, ZicondSelectsOrZeroes)
{
    const uint32_t czero_eqz = op(0x07, 5), czero_nez = op(0x07, 7);
    EXPECT_EQ(binary(czero_eqz, 1234, 0), 0u);
    EXPECT_EQ(binary(czero_eqz, 1234, kMin64), 1234u);
    EXPECT_EQ(binary(czero_nez, 1234, 0), 1234u);
    EXPECT_EQ(binary(czero_nez, 1234, 5), 0u);
}

// ---- A ----

TEST_F(InterpreterTest, AmosReturnTheOldValueAndStoreTheResult)
{
    struct Case {
        uint32_t funct5;
        uint32_t width;
        uint64_t memory, operand;
        uint64_t stored;
        const char* name;
    };
    const Case cases[] = {
        { 0x01, 3, 5, 9, 9, "amoswap.d" },
        { 0x00, 3, 5, 9, 14, "amoadd.d" },
        { 0x04, 3, 0xff, 0x0f, 0xf0, "amoxor.d" },
        { 0x0c, 3, 0xff, 0x0f, 0x0f, "amoand.d" },
        { 0x08, 3, 0xf0, 0x0f, 0xff, "amoor.d" },
        { 0x10, 3, kAllOnes, 1, kAllOnes, "amomin.d" },
        { 0x18, 3, kAllOnes, 1, 1, "amominu.d" },
        { 0x14, 3, kAllOnes, 1, 1, "amomax.d" },
        { 0x1c, 3, kAllOnes, 1, kAllOnes, "amomaxu.d" },
    };
    for (const Case& c : cases) {
        write64(kData, c.memory);
        hart.set_x(a1, kData);
        hart.set_x(a2, c.operand);
        execute({ amo(c.funct5, c.width, a0, a1, a2) });
        EXPECT_EQ(hart.x(a0), c.memory) << c.name;
        EXPECT_EQ(read64(kData), c.stored) << c.name;
    }
}

TEST_F(InterpreterTest, WordAmosSignExtendTheOldValueAndTouchOnlyTheWord)
{
    struct Case {
        uint32_t funct5;
        uint32_t memory;
        uint64_t operand;
        uint32_t stored;
        const char* name;
    };
    const Case cases[] = {
        { 0x00, 0x7fffffff, 1, 0x80000000, "amoadd.w" },
        { 0x01, 0x80000000, 0x1234567811111111, 0x11111111, "amoswap.w" },
        { 0x10, 0x80000000, 1, 0x80000000, "amomin.w" },
        { 0x18, 0x80000000, 1, 1, "amominu.w" },
        { 0x14, 0x80000000, 1, 1, "amomax.w" },
        { 0x1c, 0x80000000, 1, 0x80000000, "amomaxu.w" },
        // The operand's upper half is ignored: as a word, 0x1_0000_0001 is 1.
        { 0x10, 5, 0x100000001, 1, "amomin.w (upper operand bits)" },
    };
    for (const Case& c : cases) {
        write64(kData, 0xaaaaaaaa00000000 | c.memory);
        hart.set_x(a1, kData);
        hart.set_x(a2, c.operand);
        execute({ amo(c.funct5, 2, a0, a1, a2) });
        EXPECT_EQ(hart.x(a0), static_cast<uint64_t>(static_cast<int32_t>(c.memory))) << c.name;
        EXPECT_EQ(read32(kData), c.stored) << c.name;
        EXPECT_EQ(read32(kData + 4), 0xaaaaaaaau) << c.name;
    }
}

TEST_F(InterpreterTest, MisalignedAmoIsAStoreMisalignedFault)
{
    hart.set_x(a1, kData + 4);
    execute({ amo(0x00, 3, a0, a1, a2) });
    expect_trap(Exception::StoreMisaligned, kData + 4);
}

TEST_F(InterpreterTest, LoadReservedThenStoreConditionalSucceeds)
{
    write64(kData, 0x80000000ffff0000);
    hart.set_x(a1, kData);
    hart.set_x(a2, 77);
    execute({ amo(0x02, 3, a0, a1, 0), amo(0x03, 3, a3, a1, a2) }); // lr.d a0; sc.d a3, a2
    EXPECT_EQ(hart.x(a0), 0x80000000ffff0000u);
    EXPECT_EQ(hart.x(a3), 0u);
    EXPECT_EQ(read64(kData), 77u);
    // The reservation is used up: a second sc fails and stores nothing.
    hart.set_x(a2, 99);
    execute({ amo(0x03, 3, a3, a1, a2) });
    EXPECT_EQ(hart.x(a3), 1u);
    EXPECT_EQ(read64(kData), 77u);
}

TEST_F(InterpreterTest, StoreConditionalWithoutReservationFails)
{
    write64(kData, 5);
    hart.set_x(a1, kData);
    hart.set_x(a2, 6);
    execute({ amo(0x03, 2, a0, a1, a2) }); // sc.w
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(read64(kData), 5u);
    // A reservation for another address does not count either.
    hart.set_x(a3, kData + 8);
    execute({ amo(0x02, 2, a0, a3, 0), amo(0x03, 2, a0, a1, a2) });
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(read64(kData), 5u);
}

TEST_F(InterpreterTest, LoadReservedWordSignExtends)
{
    write64(kData, 0x1111111180000000);
    hart.set_x(a1, kData);
    hart.set_x(a2, 0x22222222);
    execute({ amo(0x02, 2, a0, a1, 0), amo(0x03, 2, a3, a1, a2) });
    EXPECT_EQ(hart.x(a0), 0xffffffff80000000u);
    EXPECT_EQ(hart.x(a3), 0u);
    EXPECT_EQ(read64(kData), 0x1111111122222222u);
}

// ---- architectural invariants ----

TEST_F(InterpreterTest, RegisterZeroStaysZero)
{
    write64(kData, 0x1234);
    hart.set_x(a1, kData);
    hart.set_x(zero, 99);
    EXPECT_EQ(hart.x(zero), 0u);
    execute({ addi(zero, zero, 5), u_type(0x37, zero, 0x12345), load(3, zero, a1, 0),
        amo(0x00, 3, zero, a1, a1), csrrs(zero, isa::csr::mscratch, zero), j_type(zero, 4) });
    EXPECT_EQ(hart.x(zero), 0u);
    EXPECT_EQ(read64(kData), 0x1234 + kData); // the amo still happened
    EXPECT_EQ(hart.pc(), kRamBase + 24);
}

TEST_F(InterpreterTest, InstretCountsRetiredInstructionsOnly)
{
    EXPECT_EQ(hart.instret(), 0u);
    execute({ addi(a0, zero, 1), addi(a0, a0, 1), addi(a0, a0, 1) });
    EXPECT_EQ(hart.instret(), 3u);
    execute({ kEcall }); // traps: does not retire
    EXPECT_EQ(hart.instret(), 3u);
    EXPECT_EQ(hart.pc(), kHandler);
    // The instruction reading instret sees the count before itself.
    execute({ csrrs(a0, isa::csr::instret, zero), csrrs(a1, isa::csr::minstret, zero) });
    EXPECT_EQ(hart.x(a0), 3u);
    EXPECT_EQ(hart.x(a1), 4u);
    EXPECT_EQ(hart.instret(), 5u);
}

TEST_F(InterpreterTest, CompressedInstructionsAdvanceByTwo)
{
    // c.li a0, -1 ; c.addi a0, 1 ; c.mv a1, a0 as three half-words
    const uint16_t program[] = { 0x557d, 0x0505, 0x85aa };
    std::memcpy(ram.pointer(kRamBase), program, sizeof program);
    hart.set_x(a1, 7);
    hart.set_pc(kRamBase);
    hart.run(3);
    EXPECT_EQ(hart.x(a0), 0u);
    EXPECT_EQ(hart.x(a1), 0u);
    EXPECT_EQ(hart.pc(), kRamBase + 6);
    EXPECT_EQ(hart.instret(), 3u);
}

// ---- F and D through the hart ----

namespace {

class FloatTest : public InterpreterTest {
protected:
    static constexpr uint64_t kFsInitial = uint64_t { 1 } << cpu::status::kFsShift;

    void SetUp() override
    {
        InterpreterTest::SetUp();
        hart.write_csr_as_machine(isa::csr::mstatus, kFsInitial);
    }
    // fmv.d.x f[rd], x-value (through a1).
    void set_f(unsigned rd, uint64_t bits)
    {
        hart.set_x(a1, bits);
        execute({ fp(0x79, 0, rd, a1, 0) });
        ASSERT_EQ(hart.f(rd), bits);
    }
};

constexpr uint32_t kFaddS = fp(0x00, 0, 12, 10, 11); // fadd.s f12, f10, f11, rne
constexpr uint32_t kFdivS = fp(0x0c, 0, 12, 10, 11); // fdiv.s f12, f10, f11, rne
constexpr uint64_t kBoxedOne = 0xffffffff3f800000; // 1.0f NaN-boxed
constexpr uint64_t kBoxedCanonicalNan = 0xffffffff7fc00000;

} // namespace

TEST_F(FloatTest, UnboxedSingleReadsAsCanonicalNan)
{
    set_f(10, 0x000000003f800000); // 1.0f without its box
    set_f(11, kBoxedOne);
    execute({ kFaddS });
    EXPECT_EQ(hart.f(12), kBoxedCanonicalNan);
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0u); // a quiet NaN raises nothing
    // Properly boxed, the same add is 2.0f.
    set_f(10, kBoxedOne);
    execute({ kFaddS });
    EXPECT_EQ(hart.f(12), 0xffffffff40000000u);
    // fmv.x.w copies the low word without looking at the box.
    set_f(10, 0x00000000bf800000);
    execute({ fp(0x70, 0, a0, 10, 0) });
    EXPECT_EQ(hart.x(a0), 0xffffffffbf800000u);
}

TEST_F(FloatTest, FflagsAccumulate)
{
    set_f(10, kBoxedOne);
    set_f(11, 0xffffffff00000000); // +0.0f
    execute({ kFdivS }); // 1/0: divide by zero
    EXPECT_EQ(hart.f(12), 0xffffffff7f800000u);
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0x08u);
    set_f(11, 0xffffffff40400000); // 3.0f
    execute({ kFdivS }); // 1/3: inexact, added to the earlier flag
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0x09u);
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fcsr), 0x09u);
    // Exact operations leave the flags alone.
    set_f(11, kBoxedOne);
    execute({ kFaddS });
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0x09u);
}

TEST_F(FloatTest, ReservedRoundingModeInTheInstructionIsIllegal)
{
    set_f(10, kBoxedOne);
    set_f(11, kBoxedOne);
    for (uint32_t rm : { 5u, 6u }) {
        const uint32_t insn = fp(0x00, rm, 12, 10, 11);
        execute({ insn });
        expect_trap(Exception::IllegalInstruction, insn);
    }
}

TEST_F(FloatTest, DynamicRoundingWithReservedFrmIsIllegal)
{
    set_f(10, kBoxedOne);
    set_f(11, kBoxedOne);
    hart.write_csr_as_machine(isa::csr::frm, 5);
    ASSERT_EQ(hart.read_csr_as_machine(isa::csr::frm), 5u);
    const uint32_t fadd_dyn = fp(0x00, 7, 12, 10, 11);
    execute({ fadd_dyn });
    expect_trap(Exception::IllegalInstruction, fadd_dyn);
    // Instructions without a rounding mode do not care about frm.
    execute({ fp(0x10, 0, 12, 10, 11) }); // fsgnj.s
    EXPECT_EQ(hart.pc(), kRamBase + 4);
    EXPECT_EQ(hart.f(12), kBoxedOne);
    // A valid dynamic mode works.
    hart.write_csr_as_machine(isa::csr::frm, 1);
    execute({ fadd_dyn });
    EXPECT_EQ(hart.pc(), kRamBase + 4);
    EXPECT_EQ(hart.f(12), 0xffffffff40000000u);
}

TEST_F(FloatTest, FloatingPointIsIllegalWhileFsIsOff)
{
    hart.write_csr_as_machine(isa::csr::mstatus, 0);
    const uint32_t fmv = fp(0x79, 0, 10, a1, 0);
    execute({ fmv });
    expect_trap(Exception::IllegalInstruction, fmv);
    const uint32_t flw = i_type(0x07, 2, 10, a1, 0);
    execute({ flw });
    expect_trap(Exception::IllegalInstruction, flw);
    const uint32_t read_fflags = csrrs(a0, isa::csr::fflags, zero);
    execute({ read_fflags });
    expect_trap(Exception::IllegalInstruction, read_fflags);
}

TEST_F(FloatTest, WritingAFloatRegisterMarksFsDirtyAndSetsSd)
{
    const uint64_t before = hart.read_csr_as_machine(isa::csr::mstatus);
    EXPECT_EQ(before & cpu::status::kFs, kFsInitial);
    EXPECT_EQ(before & cpu::status::kSd, 0u);
    hart.set_x(a1, 0x3f800000);
    execute({ fp(0x78, 0, 10, a1, 0) }); // fmv.w.x fa0, a1
    EXPECT_EQ(hart.f(10), kBoxedOne);
    const uint64_t after = hart.read_csr_as_machine(isa::csr::mstatus);
    EXPECT_EQ(after & cpu::status::kFs, cpu::status::kFs);
    EXPECT_NE(after & cpu::status::kSd, 0u);
    EXPECT_NE(hart.read_csr_as_machine(isa::csr::sstatus) & cpu::status::kSd, 0u);
}

TEST_F(FloatTest, FloatLoadAndStoreMoveBits)
{
    write64(kData, 0x400921fb54442d18); // pi
    hart.set_x(a1, kData);
    execute({ i_type(0x07, 3, 10, a1, 0), s_type(0x27, 3, a1, 10, 8), s_type(0x27, 2, a1, 10, 16),
        i_type(0x07, 2, 11, a1, 16) });
    EXPECT_EQ(hart.f(10), 0x400921fb54442d18u);
    EXPECT_EQ(read64(kData + 8), 0x400921fb54442d18u);
    EXPECT_EQ(read32(kData + 16), 0x54442d18u);
    EXPECT_EQ(hart.f(11), 0xffffffff54442d18u); // flw boxes
}

TEST_F(FloatTest, ConversionsToIntegerRegisters)
{
    // fcvt.wu.s of 3e9: 0xb2d05e00, sign-extended to 64 bits like every W result.
    set_f(10, 0xffffffff4f32d05e);
    execute({ fp(0x60, 1, a0, 10, 1) });
    EXPECT_EQ(hart.x(a0), 0xffffffffb2d05e00u);
    // fcvt.l.s of -1.5, rounding toward zero.
    set_f(10, 0xffffffffbfc00000);
    execute({ fp(0x60, 1, a0, 10, 2) });
    EXPECT_EQ(hart.x(a0), kAllOnes);
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0x01u); // inexact
    // fcvt.w.d of a NaN saturates to the largest positive word and is invalid.
    set_f(10, 0x7ff8000000000000);
    execute({ fp(0x61, 1, a0, 10, 0) });
    EXPECT_EQ(hart.x(a0), 0x7fffffffu);
    EXPECT_EQ(hart.read_csr_as_machine(isa::csr::fflags), 0x11u);
    // Writing x0 from a comparison leaves it zero.
    execute({ fp(0x50, 2, zero, 10, 10) }); // feq.s zero, fa0, fa0
    EXPECT_EQ(hart.x(zero), 0u);
    EXPECT_EQ(hart.pc(), kRamBase + 4);
}
