#include "isa/decoder.h"
#include "isa/instruction.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string_view>

// Expected encodings come from GNU as 2.40 (-march=rv64gc_zba_zbb_zbs, objdump -M no-aliases),
// except czero.eqz/czero.nez (Zicond, unknown to that assembler), which are encoded by hand from
// the Zicond specification: funct7 0000111, funct3 101/111, opcode OP.

using namespace rvisor::isa;

namespace {

struct Encoded {
    uint32_t bits;
    std::string_view mnemonic;
};

// One instance of every instruction in the table, as the assembler encodes it:
// rd = a0/fa0, rs1 = a1/fa1, rs2 = a2/fa2, rs3 = fa3, immediates small, rm = rtz where it exists.
constexpr Encoded kAssembled[] = {
    { 0x00012537, "lui" },
    { 0x00012517, "auipc" },
    { 0x0100056f, "jal" },
    { 0x00858567, "jalr" },
    { 0x00c58463, "beq" },
    { 0x00c59463, "bne" },
    { 0x00c5c463, "blt" },
    { 0x00c5d463, "bge" },
    { 0x00c5e463, "bltu" },
    { 0x00c5f463, "bgeu" },
    { 0x00858503, "lb" },
    { 0x00859503, "lh" },
    { 0x0085a503, "lw" },
    { 0x0085b503, "ld" },
    { 0x0085c503, "lbu" },
    { 0x0085d503, "lhu" },
    { 0x0085e503, "lwu" },
    { 0x00c58423, "sb" },
    { 0x00c59423, "sh" },
    { 0x00c5a423, "sw" },
    { 0x00c5b423, "sd" },
    { 0x00358513, "addi" },
    { 0x0035a513, "slti" },
    { 0x0035b513, "sltiu" },
    { 0x0035c513, "xori" },
    { 0x0035e513, "ori" },
    { 0x0035f513, "andi" },
    { 0x00359513, "slli" },
    { 0x0035d513, "srli" },
    { 0x4035d513, "srai" },
    { 0x00c58533, "add" },
    { 0x40c58533, "sub" },
    { 0x00c59533, "sll" },
    { 0x00c5a533, "slt" },
    { 0x00c5b533, "sltu" },
    { 0x00c5c533, "xor" },
    { 0x00c5d533, "srl" },
    { 0x40c5d533, "sra" },
    { 0x00c5e533, "or" },
    { 0x00c5f533, "and" },
    { 0x0035851b, "addiw" },
    { 0x0035951b, "slliw" },
    { 0x0035d51b, "srliw" },
    { 0x4035d51b, "sraiw" },
    { 0x00c5853b, "addw" },
    { 0x40c5853b, "subw" },
    { 0x00c5953b, "sllw" },
    { 0x00c5d53b, "srlw" },
    { 0x40c5d53b, "sraw" },
    { 0x0330000f, "fence" },
    { 0x0000100f, "fence.i" },
    { 0x00000073, "ecall" },
    { 0x00100073, "ebreak" },
    { 0x10200073, "sret" },
    { 0x30200073, "mret" },
    { 0x10500073, "wfi" },
    { 0x12c58073, "sfence.vma" },
    { 0x34059573, "csrrw" },
    { 0x3405a573, "csrrs" },
    { 0x3405b573, "csrrc" },
    { 0x3402d573, "csrrwi" },
    { 0x3402e573, "csrrsi" },
    { 0x3402f573, "csrrci" },
    { 0x02c58533, "mul" },
    { 0x02c59533, "mulh" },
    { 0x02c5a533, "mulhsu" },
    { 0x02c5b533, "mulhu" },
    { 0x02c5c533, "div" },
    { 0x02c5d533, "divu" },
    { 0x02c5e533, "rem" },
    { 0x02c5f533, "remu" },
    { 0x02c5853b, "mulw" },
    { 0x02c5c53b, "divw" },
    { 0x02c5d53b, "divuw" },
    { 0x02c5e53b, "remw" },
    { 0x02c5f53b, "remuw" },
    { 0x1005a52f, "lr.w" },
    { 0x18c5a52f, "sc.w" },
    { 0x08c5a52f, "amoswap.w" },
    { 0x00c5a52f, "amoadd.w" },
    { 0x20c5a52f, "amoxor.w" },
    { 0x60c5a52f, "amoand.w" },
    { 0x40c5a52f, "amoor.w" },
    { 0x80c5a52f, "amomin.w" },
    { 0xa0c5a52f, "amomax.w" },
    { 0xc0c5a52f, "amominu.w" },
    { 0xe0c5a52f, "amomaxu.w" },
    { 0x1005b52f, "lr.d" },
    { 0x18c5b52f, "sc.d" },
    { 0x08c5b52f, "amoswap.d" },
    { 0x00c5b52f, "amoadd.d" },
    { 0x20c5b52f, "amoxor.d" },
    { 0x60c5b52f, "amoand.d" },
    { 0x40c5b52f, "amoor.d" },
    { 0x80c5b52f, "amomin.d" },
    { 0xa0c5b52f, "amomax.d" },
    { 0xc0c5b52f, "amominu.d" },
    { 0xe0c5b52f, "amomaxu.d" },
    { 0x0085a507, "flw" },
    { 0x0085b507, "fld" },
    { 0x00c5a427, "fsw" },
    { 0x00c5b427, "fsd" },
    { 0x68c59543, "fmadd.s" },
    { 0x68c59547, "fmsub.s" },
    { 0x68c5954b, "fnmsub.s" },
    { 0x68c5954f, "fnmadd.s" },
    { 0x6ac59543, "fmadd.d" },
    { 0x6ac59547, "fmsub.d" },
    { 0x6ac5954b, "fnmsub.d" },
    { 0x6ac5954f, "fnmadd.d" },
    { 0x00c59553, "fadd.s" },
    { 0x08c59553, "fsub.s" },
    { 0x10c59553, "fmul.s" },
    { 0x18c59553, "fdiv.s" },
    { 0x58059553, "fsqrt.s" },
    { 0x20c58553, "fsgnj.s" },
    { 0x20c59553, "fsgnjn.s" },
    { 0x20c5a553, "fsgnjx.s" },
    { 0x28c58553, "fmin.s" },
    { 0x28c59553, "fmax.s" },
    { 0xc0059553, "fcvt.w.s" },
    { 0xc0159553, "fcvt.wu.s" },
    { 0xc0259553, "fcvt.l.s" },
    { 0xc0359553, "fcvt.lu.s" },
    { 0xe0058553, "fmv.x.w" },
    { 0xe0059553, "fclass.s" },
    { 0xa0c5a553, "feq.s" },
    { 0xa0c59553, "flt.s" },
    { 0xa0c58553, "fle.s" },
    { 0xd0059553, "fcvt.s.w" },
    { 0xd0159553, "fcvt.s.wu" },
    { 0xd0259553, "fcvt.s.l" },
    { 0xd0359553, "fcvt.s.lu" },
    { 0xf0058553, "fmv.w.x" },
    { 0x02c59553, "fadd.d" },
    { 0x0ac59553, "fsub.d" },
    { 0x12c59553, "fmul.d" },
    { 0x1ac59553, "fdiv.d" },
    { 0x5a059553, "fsqrt.d" },
    { 0x22c58553, "fsgnj.d" },
    { 0x22c59553, "fsgnjn.d" },
    { 0x22c5a553, "fsgnjx.d" },
    { 0x2ac58553, "fmin.d" },
    { 0x2ac59553, "fmax.d" },
    { 0x40159553, "fcvt.s.d" },
    { 0x42058553, "fcvt.d.s" },
    { 0xa2c5a553, "feq.d" },
    { 0xa2c59553, "flt.d" },
    { 0xa2c58553, "fle.d" },
    { 0xe2059553, "fclass.d" },
    { 0xc2059553, "fcvt.w.d" },
    { 0xc2159553, "fcvt.wu.d" },
    { 0xc2259553, "fcvt.l.d" },
    { 0xc2359553, "fcvt.lu.d" },
    { 0xd2058553, "fcvt.d.w" },
    { 0xd2158553, "fcvt.d.wu" },
    { 0xd2259553, "fcvt.d.l" },
    { 0xd2359553, "fcvt.d.lu" },
    { 0xe2058553, "fmv.x.d" },
    { 0xf2058553, "fmv.d.x" },
    { 0x20c5a533, "sh1add" },
    { 0x20c5c533, "sh2add" },
    { 0x20c5e533, "sh3add" },
    { 0x08c5853b, "add.uw" },
    { 0x20c5a53b, "sh1add.uw" },
    { 0x20c5c53b, "sh2add.uw" },
    { 0x20c5e53b, "sh3add.uw" },
    { 0x0835951b, "slli.uw" },
    { 0x40c5f533, "andn" },
    { 0x40c5e533, "orn" },
    { 0x40c5c533, "xnor" },
    { 0x60059513, "clz" },
    { 0x60159513, "ctz" },
    { 0x60259513, "cpop" },
    { 0x6005951b, "clzw" },
    { 0x6015951b, "ctzw" },
    { 0x6025951b, "cpopw" },
    { 0x0ac5e533, "max" },
    { 0x0ac5f533, "maxu" },
    { 0x0ac5c533, "min" },
    { 0x0ac5d533, "minu" },
    { 0x60459513, "sext.b" },
    { 0x60559513, "sext.h" },
    { 0x0805c53b, "zext.h" },
    { 0x60c59533, "rol" },
    { 0x60c5d533, "ror" },
    { 0x60c5953b, "rolw" },
    { 0x60c5d53b, "rorw" },
    { 0x6035d513, "rori" },
    { 0x6035d51b, "roriw" },
    { 0x2875d513, "orc.b" },
    { 0x6b85d513, "rev8" },
    { 0x48c59533, "bclr" },
    { 0x48359513, "bclri" },
    { 0x48c5d533, "bext" },
    { 0x4835d513, "bexti" },
    { 0x68c59533, "binv" },
    { 0x68359513, "binvi" },
    { 0x28c59533, "bset" },
    { 0x28359513, "bseti" },
    { 0x0ec5d533, "czero.eqz" },
    { 0x0ec5f533, "czero.nez" },
};

// Compressed instructions and the 32-bit instructions they stand for, both from the assembler
// (the C form assembled with .option rvc, the expansion with .option norvc).
struct Expansion {
    uint16_t compressed;
    uint32_t expanded;
    std::string_view text; // what the compressed form is, for failure messages
};

constexpr Expansion kExpansions[] = {
    { 0x0808, 0x01010513, "c.addi4spn a0, sp, 16" },
    { 0x1fe4, 0x3fc10493, "c.addi4spn s1, sp, 1020" },
    { 0x251c, 0x00853787, "c.fld fa5, 8(a0)" },
    { 0x3fe0, 0x0f87b407, "c.fld fs0, 248(a5)" },
    { 0x41d4, 0x0045a683, "c.lw a3, 4(a1)" },
    { 0x5fe0, 0x07c7a403, "c.lw s0, 124(a5)" },
    { 0x6a18, 0x01063703, "c.ld a4, 16(a2)" },
    { 0x7cfc, 0x0f84b783, "c.ld a5, 248(s1)" },
    { 0xae8c, 0x00b6bc27, "c.fsd fa1, 24(a3)" },
    { 0xc1a8, 0x04a5a023, "c.sw a0, 64(a1)" },
    { 0xdc7c, 0x06f42e23, "c.sw a5, 124(s0)" },
    { 0xe510, 0x00c53423, "c.sd a2, 8(a0)" },
    { 0xff64, 0x0e973c23, "c.sd s1, 248(a4)" },
    { 0x0001, 0x00000013, "c.nop" },
    { 0x0505, 0x00150513, "c.addi a0, 1" },
    { 0x1301, 0xfe030313, "c.addi t1, -32" },
    { 0x0dfd, 0x01fd8d93, "c.addi s11, 31" },
    { 0x357d, 0xfff5051b, "c.addiw a0, -1" },
    { 0x2281, 0x0002829b, "c.addiw t0, 0" },
    { 0x57fd, 0xfff00793, "c.li a5, -1" },
    { 0x40fd, 0x01f00093, "c.li ra, 31" },
    { 0x7101, 0xe0010113, "c.addi16sp sp, -512" },
    { 0x617d, 0x1f010113, "c.addi16sp sp, 496" },
    { 0x6141, 0x01010113, "c.addi16sp sp, 16" },
    { 0x6505, 0x00001537, "c.lui a0, 1" },
    { 0x7381, 0xfffe03b7, "c.lui t2, 0xfffe0" },
    { 0x647d, 0x0001f437, "c.lui s0, 0x1f" },
    { 0x8105, 0x00155513, "c.srli a0, 1" },
    { 0x90fd, 0x03f4d493, "c.srli s1, 63" },
    { 0x9581, 0x4205d593, "c.srai a1, 32" },
    { 0x879d, 0x4077d793, "c.srai a5, 7" },
    { 0x9a7d, 0xfff67613, "c.andi a2, -1" },
    { 0x883d, 0x00f47413, "c.andi s0, 15" },
    { 0x8d0d, 0x40b50533, "c.sub a0, a1" },
    { 0x8cbd, 0x00f4c4b3, "c.xor s1, a5" },
    { 0x8e55, 0x00d66633, "c.or a2, a3" },
    { 0x8f61, 0x00877733, "c.and a4, s0" },
    { 0x9d11, 0x40c5053b, "c.subw a0, a2" },
    { 0x9fad, 0x00b787bb, "c.addw a5, a1" },
    { 0x0506, 0x00151513, "c.slli a0, 1" },
    { 0x1ffe, 0x03ff9f93, "c.slli t6, 63" },
    { 0x2522, 0x00813507, "c.fldsp fa0, 8(sp)" },
    { 0x3ffe, 0x1f813f87, "c.fldsp ft11, 504(sp)" },
    { 0x4512, 0x00412503, "c.lwsp a0, 4(sp)" },
    { 0x5dfe, 0x0fc12d83, "c.lwsp s11, 252(sp)" },
    { 0x60a2, 0x00813083, "c.ldsp ra, 8(sp)" },
    { 0x7ffe, 0x1f813f83, "c.ldsp t6, 504(sp)" },
    { 0x8082, 0x00008067, "c.jr ra" },
    { 0x8f82, 0x000f8067, "c.jr t6" },
    { 0x852e, 0x00b00533, "c.mv a0, a1" },
    { 0x8fa2, 0x00800fb3, "c.mv t6, s0" },
    { 0x9002, 0x00100073, "c.ebreak" },
    { 0x9782, 0x000780e7, "c.jalr a5" },
    { 0x952e, 0x00b50533, "c.add a0, a1" },
    { 0x917e, 0x01f10133, "c.add sp, t6" },
    { 0xa42a, 0x00a13427, "c.fsdsp fa0, 8(sp)" },
    { 0xbfee, 0x1fb13c27, "c.fsdsp fs11, 504(sp)" },
    { 0xc22a, 0x00a12223, "c.swsp a0, 4(sp)" },
    { 0xdf86, 0x0e112e23, "c.swsp ra, 252(sp)" },
    { 0xe406, 0x00113423, "c.sdsp ra, 8(sp)" },
    { 0xfffe, 0x1ff13c23, "c.sdsp t6, 504(sp)" },
    { 0xaffd, 0x7fe0006f, "c.j .+2046" },
    { 0xb001, 0x801ff06f, "c.j .-2048" },
    { 0xa021, 0x0080006f, "c.j .+8" },
    { 0xbffd, 0xfffff06f, "c.j .-2" },
    { 0xcd7d, 0x0e050f63, "c.beqz a0, .+254" },
    { 0xd081, 0xf00480e3, "c.beqz s1, .-256" },
    { 0xeb81, 0x00079863, "c.bnez a5, .+16" },
    { 0xfc7d, 0xfe041fe3, "c.bnez s0, .-2" },
};

} // namespace

TEST(DecoderTable, EveryRowDecodesItsOwnMatchBitsToItsOpcode)
{
    ASSERT_EQ(instruction_table().size() + 1, static_cast<size_t>(Opcode::count));
    for (const InstructionInfo& row : instruction_table()) {
        // Quadrant 3 (low bits 11) is what makes the match a 32-bit instruction at all.
        ASSERT_EQ(row.match & 3, 3u) << row.mnemonic;
        const DecodedInstruction decoded = decode(row.match);
        EXPECT_EQ(decoded.opcode, row.opcode) << row.mnemonic << " (0x" << std::hex << row.match
                                              << ") decodes as " << info(decoded.opcode).mnemonic;
        EXPECT_EQ(decoded.length, 4) << row.mnemonic;
        EXPECT_EQ(&info(row.opcode), &row) << row.mnemonic;
    }
}

TEST(DecoderTable, NoTwoRowsShareAnEncoding)
{
    // Any word matching two rows makes the decoder's choice depend on its search order. For each
    // pair of rows, the most general word both could match is the OR of their match bits when
    // the fixed bits agree wherever both masks care.
    const auto table = instruction_table();
    for (size_t i = 0; i < table.size(); ++i) {
        for (size_t j = i + 1; j < table.size(); ++j) {
            const uint32_t common = table[i].mask & table[j].mask;
            if ((table[i].match & common) != (table[j].match & common))
                continue;
            ADD_FAILURE() << table[i].mnemonic << " and " << table[j].mnemonic << " both match 0x"
                          << std::hex << (table[i].match | table[j].match);
        }
    }
}

TEST(DecoderTable, MnemonicsAreUnique)
{
    std::set<std::string_view> seen;
    for (const InstructionInfo& row : instruction_table())
        EXPECT_TRUE(seen.insert(row.mnemonic).second) << row.mnemonic;
}

TEST(DecoderTable, EveryTableRowIsCoveredByTheAssemblerList)
{
    std::set<std::string_view> assembled;
    for (const Encoded& e : kAssembled)
        assembled.insert(e.mnemonic);
    for (const InstructionInfo& row : instruction_table())
        EXPECT_TRUE(assembled.contains(row.mnemonic)) << row.mnemonic;
}

TEST(Decoder, AssemblerEncodingsDecodeToTheirMnemonic)
{
    for (const Encoded& e : kAssembled) {
        const DecodedInstruction decoded = decode(e.bits);
        EXPECT_EQ(info(decoded.opcode).mnemonic, e.mnemonic) << "0x" << std::hex << e.bits;
        EXPECT_EQ(decoded.bits, e.bits);
    }
}

TEST(Decoder, RegisterFields)
{
    // fmadd.d fa0, fa1, fa2, fa3, rne
    DecodedInstruction d = decode(0x6ac58543);
    EXPECT_EQ(d.opcode, Opcode::fmadd_d);
    EXPECT_EQ(d.rd, 10);
    EXPECT_EQ(d.rs1, 11);
    EXPECT_EQ(d.rs2, 12);
    EXPECT_EQ(d.rs3, 13);
    EXPECT_EQ(d.funct3, 0);
    // fmadd.s ft0, ft1, ft2, ft3 (dynamic rounding)
    d = decode(0x1820f043);
    EXPECT_EQ(d.opcode, Opcode::fmadd_s);
    EXPECT_EQ(d.rd, 0);
    EXPECT_EQ(d.rs1, 1);
    EXPECT_EQ(d.rs2, 2);
    EXPECT_EQ(d.rs3, 3);
    EXPECT_EQ(d.funct3, 7);
    // fadd.d fa0, fa1, fa2, rtz and fcvt.w.d a0, fa1, rup: the rounding mode is funct3
    EXPECT_EQ(decode(0x02c59553).funct3, 1);
    EXPECT_EQ(decode(0xc205b553).funct3, 3);
    // sc.w.aqrl a0, a2, (a1): the ordering bits do not change the instruction
    d = decode(0x1ec5a52f);
    EXPECT_EQ(d.opcode, Opcode::sc_w);
    EXPECT_EQ(d.rd, 10);
    EXPECT_EQ(d.rs1, 11);
    EXPECT_EQ(d.rs2, 12);
    // sfence.vma a0, a1
    d = decode(0x12b50073);
    EXPECT_EQ(d.opcode, Opcode::sfence_vma);
    EXPECT_EQ(d.rs1, 10);
    EXPECT_EQ(d.rs2, 11);
}

TEST(DecoderImmediate, IType)
{
    struct Case {
        uint32_t bits;
        Opcode opcode;
        uint8_t rd, rs1;
        int64_t immediate;
    };
    const Case cases[] = {
        { 0x01010513, Opcode::addi, 10, 2, 16 }, // addi a0, sp, 16
        { 0xfff58513, Opcode::addi, 10, 11, -1 }, // addi a0, a1, -1
        { 0x80030293, Opcode::addi, 5, 6, -2048 }, // addi t0, t1, -2048
        { 0x7fff8d93, Opcode::addi, 27, 31, 2047 }, // addi s11, t6, 2047
        { 0xffc6a603, Opcode::lw, 12, 13, -4 }, // lw a2, -4(a3)
        { 0xff0780e7, Opcode::jalr, 1, 15, -16 }, // jalr ra, -16(a5)
    };
    for (const Case& c : cases) {
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, c.opcode) << std::hex << c.bits;
        EXPECT_EQ(d.rd, c.rd) << std::hex << c.bits;
        EXPECT_EQ(d.rs1, c.rs1) << std::hex << c.bits;
        EXPECT_EQ(d.immediate, c.immediate) << std::hex << c.bits;
    }
}

TEST(DecoderImmediate, SType)
{
    struct Case {
        uint32_t bits;
        Opcode opcode;
        uint8_t rs1, rs2;
        int64_t immediate;
    };
    const Case cases[] = {
        { 0xfeb13c23, Opcode::sd, 2, 11, -8 }, // sd a1, -8(sp)
        { 0x7e152fa3, Opcode::sw, 10, 1, 2047 }, // sw ra, 2047(a0)
        { 0x80028023, Opcode::sb, 5, 0, -2048 }, // sb zero, -2048(t0)
    };
    for (const Case& c : cases) {
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, c.opcode) << std::hex << c.bits;
        EXPECT_EQ(d.rs1, c.rs1) << std::hex << c.bits;
        EXPECT_EQ(d.rs2, c.rs2) << std::hex << c.bits;
        EXPECT_EQ(d.immediate, c.immediate) << std::hex << c.bits;
    }
}

TEST(DecoderImmediate, BType)
{
    struct Case {
        uint32_t bits;
        Opcode opcode;
        uint8_t rs1, rs2;
        int64_t offset;
    };
    const Case cases[] = {
        { 0x80b50063, Opcode::beq, 10, 11, -4096 }, // beq a0, a1, .-4096
        { 0x7e629fe3, Opcode::bne, 5, 6, 4094 }, // bne t0, t1, .+4094
        { 0x00944163, Opcode::blt, 8, 9, 2 }, // blt s0, s1, .+2
        { 0xfe057fe3, Opcode::bgeu, 10, 0, -2 }, // bgeu a0, zero, .-2
    };
    for (const Case& c : cases) {
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, c.opcode) << std::hex << c.bits;
        EXPECT_EQ(d.rs1, c.rs1) << std::hex << c.bits;
        EXPECT_EQ(d.rs2, c.rs2) << std::hex << c.bits;
        EXPECT_EQ(d.immediate, c.offset) << std::hex << c.bits;
    }
}

TEST(DecoderImmediate, UTypeIsSignExtendedFromBit31)
{
    DecodedInstruction d = decode(0xfffff537); // lui a0, 0xfffff
    EXPECT_EQ(d.opcode, Opcode::lui);
    EXPECT_EQ(d.rd, 10);
    EXPECT_EQ(d.immediate, -4096);
    d = decode(0x800005b7); // lui a1, 0x80000
    EXPECT_EQ(d.immediate, static_cast<int64_t>(0xffffffff80000000ull));
    d = decode(0x7ffff637); // lui a2, 0x7ffff
    EXPECT_EQ(d.immediate, 0x7ffff000);
    d = decode(0x12345297); // auipc t0, 0x12345
    EXPECT_EQ(d.opcode, Opcode::auipc);
    EXPECT_EQ(d.rd, 5);
    EXPECT_EQ(d.immediate, 0x12345000);
}

TEST(DecoderImmediate, JType)
{
    DecodedInstruction d = decode(0x800000ef); // jal ra, .-1048576
    EXPECT_EQ(d.opcode, Opcode::jal);
    EXPECT_EQ(d.rd, 1);
    EXPECT_EQ(d.immediate, -1048576);
    d = decode(0x7ffff06f); // jal zero, .+1048574
    EXPECT_EQ(d.rd, 0);
    EXPECT_EQ(d.immediate, 1048574);
    d = decode(0x0010046f); // jal s0, .+2048 (bit 11 of the offset lives in bit 20)
    EXPECT_EQ(d.rd, 8);
    EXPECT_EQ(d.immediate, 2048);
}

TEST(DecoderImmediate, ShiftAmounts)
{
    struct Case {
        uint32_t bits;
        Opcode opcode;
        int64_t shamt;
    };
    const Case cases[] = {
        { 0x03f59513, Opcode::slli, 63 },
        { 0x43f5d513, Opcode::srai, 63 },
        { 0x02035293, Opcode::srli, 32 },
        { 0x01f5d51b, Opcode::srliw, 31 },
        { 0x4015d51b, Opcode::sraiw, 1 },
        { 0x0a85951b, Opcode::slli_uw, 40 },
        { 0x6215d513, Opcode::rori, 33 },
        { 0x61f5d51b, Opcode::roriw, 31 },
        { 0x2bf59513, Opcode::bseti, 63 },
    };
    for (const Case& c : cases) {
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, c.opcode) << std::hex << c.bits;
        EXPECT_EQ(d.immediate, c.shamt) << std::hex << c.bits;
    }
}

TEST(DecoderImmediate, CsrAddressIsUnsignedAndZimmIsRs1)
{
    DecodedInstruction d = decode(0x30059573); // csrrw a0, mstatus, a1
    EXPECT_EQ(d.opcode, Opcode::csrrw);
    EXPECT_EQ(d.immediate, 0x300);
    EXPECT_EQ(d.rd, 10);
    EXPECT_EQ(d.rs1, 11);
    d = decode(0xfff02573); // csrrs a0, 0xfff, zero: the address is not sign-extended
    EXPECT_EQ(d.opcode, Opcode::csrrs);
    EXPECT_EQ(d.immediate, 0xfff);
    d = decode(0x340fd573); // csrrwi a0, mscratch, 31
    EXPECT_EQ(d.opcode, Opcode::csrrwi);
    EXPECT_EQ(d.immediate, 0x340);
    EXPECT_EQ(d.rs1, 31);
    d = decode(0x14417073); // csrrci zero, sip, 2
    EXPECT_EQ(d.opcode, Opcode::csrrci);
    EXPECT_EQ(d.immediate, 0x144);
    EXPECT_EQ(d.rs1, 2);
    EXPECT_EQ(d.rd, 0);
}

TEST(DecoderIllegal, ReservedEncodingsDecodeAsIllegal)
{
    struct Case {
        uint32_t bits;
        const char* why;
    };
    const Case cases[] = {
        { 0x00000000, "all zeros" },
        { 0xffffffff, "all ones" },
        { 0x04c58533, "OP with funct7 0000010" },
        { 0x00c5a463, "BRANCH with funct3 010" },
        { 0x0085f503, "LOAD with funct3 111 (ldu is RV128)" },
        { 0x00c5c423, "STORE with funct3 100" },
        { 0x0035a51b, "OP-IMM-32 with funct3 010" },
        { 0x0235951b, "slliw with bit 25 set" },
        { 0x0235d51b, "srliw with bit 25 set" },
        { 0x4235d51b, "sraiw with bit 25 set" },
        { 0x58159553, "fsqrt.s with rs2 = 1" },
        { 0x5a259553, "fsqrt.d with rs2 = 2" },
        { 0xc0459553, "fcvt.w.s with rs2 = 4" },
        { 0xe005a553, "fmv.x.w with funct3 = 2" },
        { 0x6cc59543, "fmadd with fmt 2 (half precision)" },
        { 0x1015a52f, "lr.w with rs2 != 0" },
        { 0x00c5952f, "AMO with width 001" },
        { 0x3405c573, "SYSTEM with funct3 100" },
        { 0x12c58573, "sfence.vma with rd != 0" },
        { 0x30200573, "mret with rd != 0" },
        { 0x00000573, "ecall with rd != 0" },
        { 0x60359513, "OP-IMM funct6 011000 with rs2 = 3 (no Zbb unary there)" },
        { 0x0000007f, "major opcode 1111111 (a >= 80-bit instruction)" },
        { 0x0000005b, "custom-2 major opcode" },
    };
    for (const Case& c : cases) {
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, Opcode::illegal)
            << c.why << ": 0x" << std::hex << c.bits << " decodes as " << info(d.opcode).mnemonic;
        EXPECT_EQ(d.bits, c.bits);
        EXPECT_EQ(d.length, c.bits == 0 ? 2 : 4);
    }
}

TEST(DecoderCompressed, ExpandsToTheAssemblersThirtyTwoBitForm)
{
    for (const Expansion& e : kExpansions) {
        EXPECT_EQ(expand_compressed(e.compressed), e.expanded)
            << e.text << " (0x" << std::hex << e.compressed << ")";
    }
}

TEST(DecoderCompressed, DecodesLikeItsExpansionWithLengthTwo)
{
    for (const Expansion& e : kExpansions) {
        const DecodedInstruction c = decode(e.compressed);
        const DecodedInstruction full = decode(e.expanded);
        EXPECT_NE(c.opcode, Opcode::illegal) << e.text;
        EXPECT_EQ(c.opcode, full.opcode) << e.text;
        EXPECT_EQ(c.rd, full.rd) << e.text;
        EXPECT_EQ(c.rs1, full.rs1) << e.text;
        EXPECT_EQ(c.rs2, full.rs2) << e.text;
        EXPECT_EQ(c.immediate, full.immediate) << e.text;
        EXPECT_EQ(c.length, 2) << e.text;
        EXPECT_EQ(c.bits, e.compressed) << e.text;
    }
}

TEST(DecoderCompressed, OnlyTheLowHalfwordMattersForACompressedWord)
{
    // The fetch may hand over 32 bits; a compressed instruction is the low 16 of them.
    const DecodedInstruction d = decode(0xdead0505); // c.addi a0, 1 followed by junk
    EXPECT_EQ(d.opcode, Opcode::addi);
    EXPECT_EQ(d.length, 2);
    EXPECT_EQ(d.bits, 0x0505u);
    EXPECT_EQ(d.rd, 10);
    EXPECT_EQ(d.immediate, 1);
}

TEST(DecoderCompressed, ReservedEncodingsExpandToZeroAndDecodeIllegal)
{
    struct Case {
        uint16_t bits;
        const char* why;
    };
    const Case cases[] = {
        { 0x0000, "all zeros" },
        { 0x0008, "c.addi4spn a0 with immediate 0" },
        { 0x0004, "c.addi4spn s1 with immediate 0" },
        { 0x6501, "c.lui a0 with immediate 0" },
        { 0x6101, "c.addi16sp with immediate 0" },
        { 0x2005, "c.addiw with rd = 0" },
        { 0x4012, "c.lwsp with rd = 0" },
        { 0x6002, "c.ldsp with rd = 0" },
        { 0x8002, "c.jr with rs1 = 0" },
        { 0x8008, "quadrant 0, funct3 100" },
        { 0x9c41, "c.subw group with funct2 10" },
        { 0x9c61, "c.subw group with funct2 11" },
    };
    for (const Case& c : cases) {
        EXPECT_EQ(expand_compressed(c.bits), 0u) << c.why << " (0x" << std::hex << c.bits << ")";
        const DecodedInstruction d = decode(c.bits);
        EXPECT_EQ(d.opcode, Opcode::illegal) << c.why;
        EXPECT_EQ(d.length, 2) << c.why;
        EXPECT_EQ(d.bits, c.bits) << c.why;
    }
}

TEST(DecoderCompressed, HintsAndSpecialCasesStayLegal)
{
    // c.addiw rd, 0 is sext.w; c.fldsp with rd = 0 is ft0 (only the integer loads reserve rd 0).
    EXPECT_EQ(expand_compressed(0x2281), 0x0002829bu); // c.addiw t0, 0
    EXPECT_EQ(decode(0x2002).opcode, Opcode::fld); // c.fldsp ft0, 0(sp)
    // c.ebreak is c.jalr's rs1 = 0 case, not reserved.
    EXPECT_EQ(decode(0x9002).opcode, Opcode::ebreak);
    EXPECT_TRUE(is_compressed(0x9002));
    EXPECT_FALSE(is_compressed(0x00100073));
}
