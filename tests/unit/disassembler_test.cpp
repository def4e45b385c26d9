#include "isa/csr_address.h"
#include "isa/decoder.h"
#include "isa/disassembler.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

// The disassembler's format (see disassembler.cpp): the mnemonic, one space, then the operands
// joined by a bare comma, ABI register names, decimal immediates, hexadecimal upper immediates
// and absolute branch targets, CSR names; compressed instructions print as their expansion
// prefixed with "c:". Encodings are from GNU as 2.40.

using namespace rvisor::isa;

namespace {

std::string text_of(uint32_t bits, uint64_t pc = 0) { return disassemble(decode(bits), pc); }

} // namespace

TEST(Disassembler, RegisterAndImmediateOperands)
{
    EXPECT_EQ(text_of(0x01010513), "addi a0,sp,16");
    EXPECT_EQ(text_of(0xfff58513), "addi a0,a1,-1");
    EXPECT_EQ(text_of(0x00c58533), "add a0,a1,a2");
    EXPECT_EQ(text_of(0x40c5d533), "sra a0,a1,a2");
    EXPECT_EQ(text_of(0x03f59513), "slli a0,a1,63");
    EXPECT_EQ(text_of(0x60059513), "clz a0,a1");
}

TEST(Disassembler, LoadsAndStoresUseOffsetParenthesis)
{
    EXPECT_EQ(text_of(0xffc6a603), "lw a2,-4(a3)");
    EXPECT_EQ(text_of(0xfeb13c23), "sd a1,-8(sp)");
    EXPECT_EQ(text_of(0xff0780e7), "jalr ra,-16(a5)");
    EXPECT_EQ(text_of(0x0085b507), "fld fa0,8(a1)");
    EXPECT_EQ(text_of(0x1005b52f), "lr.d a0,(a1)");
    EXPECT_EQ(text_of(0x1ec5a52f), "sc.w a0,a2,(a1)");
}

TEST(Disassembler, UpperImmediatesPrintTheTwentyBitField)
{
    EXPECT_EQ(text_of(0x800005b7), "lui a1,0x80000");
    EXPECT_EQ(text_of(0x12345297), "auipc t0,0x12345");
    EXPECT_EQ(text_of(0x00000297), "auipc t0,0x0");
}

TEST(Disassembler, BranchAndJumpTargetsAreAbsolute)
{
    EXPECT_EQ(text_of(0x80b50063, 0x80001000), "beq a0,a1,0x80000000"); // .-4096
    EXPECT_EQ(text_of(0x7e629fe3, 0x80000000), "bne t0,t1,0x80000ffe"); // .+4094
    EXPECT_EQ(text_of(0x800000ef, 0x80100000), "jal ra,0x80000000"); // .-1 MiB
    EXPECT_EQ(text_of(0x0010046f, 0x80000000), "jal s0,0x80000800"); // .+2048
}

TEST(Disassembler, CsrNamesAndNumbers)
{
    EXPECT_EQ(text_of(0x30059573), "csrrw a0,mstatus,a1");
    EXPECT_EQ(text_of(0xf1402573), "csrrs a0,mhartid,zero");
    EXPECT_EQ(text_of(0x340fd573), "csrrwi a0,mscratch,31");
    EXPECT_EQ(text_of(0x14417073), "csrrci zero,sip,2");
    // An address with no name prints as three hex digits.
    EXPECT_EQ(text_of(0xfff02573), "csrrs a0,0xfff,zero");
    EXPECT_EQ(text_of(0x7c002573), "csrrs a0,0x7c0,zero");
}

TEST(Disassembler, FloatingPointOperandsAndRoundingModes)
{
    EXPECT_EQ(text_of(0x02c59553), "fadd.d fa0,fa1,fa2,rtz");
    EXPECT_EQ(text_of(0x1820f043), "fmadd.s ft0,ft1,ft2,ft3,dyn");
    EXPECT_EQ(text_of(0x6ac58543), "fmadd.d fa0,fa1,fa2,fa3,rne");
    EXPECT_EQ(text_of(0xc205b553), "fcvt.w.d a0,fa1,rup");
    EXPECT_EQ(text_of(0xe0058553), "fmv.x.w a0,fa1");
    EXPECT_EQ(text_of(0xa0c5a553), "feq.s a0,fa1,fa2");
}

TEST(Disassembler, InstructionsWithoutOperands)
{
    EXPECT_EQ(text_of(0x00000073), "ecall");
    EXPECT_EQ(text_of(0x00100073), "ebreak");
    EXPECT_EQ(text_of(0x30200073), "mret");
    EXPECT_EQ(text_of(0x10500073), "wfi");
    EXPECT_EQ(text_of(0x0330000f), "fence");
    EXPECT_EQ(text_of(0x12b50073), "sfence.vma a0,a1");
}

TEST(Disassembler, CompressedPrintsItsExpansionMarked)
{
    EXPECT_EQ(text_of(0x0808), "c:addi a0,sp,16"); // c.addi4spn
    EXPECT_EQ(text_of(0x8082), "c:jalr zero,0(ra)"); // c.jr ra
    EXPECT_EQ(text_of(0x9002), "c:ebreak");
    EXPECT_EQ(text_of(0xb001, 0x80000800), "c:jal zero,0x80000000"); // c.j .-2048
    EXPECT_EQ(text_of(0xcd7d, 0x80000000), "c:beq a0,zero,0x800000fe"); // c.beqz a0, .+254
}

TEST(Disassembler, IllegalShowsTheBitsAtTheirLength)
{
    EXPECT_EQ(text_of(0xffffffff), "illegal 0xffffffff");
    EXPECT_EQ(text_of(0x0235951b), "illegal 0x0235951b");
    EXPECT_EQ(text_of(0x0000), "illegal 0x0000");
    EXPECT_EQ(text_of(0x8002), "illegal 0x8002");
}

TEST(Disassembler, RegisterNames)
{
    EXPECT_EQ(x_register_name(0), "zero");
    EXPECT_EQ(x_register_name(2), "sp");
    EXPECT_EQ(x_register_name(8), "s0");
    EXPECT_EQ(x_register_name(10), "a0");
    EXPECT_EQ(x_register_name(31), "t6");
    EXPECT_EQ(f_register_name(0), "ft0");
    EXPECT_EQ(f_register_name(10), "fa0");
    EXPECT_EQ(f_register_name(27), "fs11");
    EXPECT_EQ(f_register_name(31), "ft11");
}

TEST(Disassembler, CsrNameLookup)
{
    EXPECT_EQ(csr_name(csr::satp), "satp");
    EXPECT_EQ(csr_name(csr::mstatus), "mstatus");
    EXPECT_EQ(csr_name(csr::stimecmp), "stimecmp");
    EXPECT_EQ(csr_name(csr::fcsr), "fcsr");
    EXPECT_EQ(csr_name(0xc01), "time");
    EXPECT_TRUE(csr_name(0x7c0).empty());
    EXPECT_TRUE(csr_name(0x000).empty());
}
