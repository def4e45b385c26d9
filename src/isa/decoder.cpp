#include "isa/decoder.h"

#include "isa/encoding.h"

#include <algorithm>
#include <array>
#include <bit>
#include <vector>

namespace rvisor::isa {
namespace {

using encoding::bits;
using encoding::sign_extend;

// Candidates grouped by the major opcode (bits 6:0), most specific mask first, so a general
// pattern never shadows a special one (srai before a hypothetical wider match, clz before slli).
class MajorOpcodeIndex {
public:
    MajorOpcodeIndex()
    {
        for (const auto& row : instruction_table())
            m_groups[row.match & 0x7f].push_back(&row);
        for (auto& group : m_groups) {
            std::stable_sort(group.begin(), group.end(),
                [](auto* a, auto* b) { return std::popcount(a->mask) > std::popcount(b->mask); });
        }
    }
    const InstructionInfo* find(uint32_t word) const
    {
        for (const auto* row : m_groups[word & 0x7f]) {
            if ((word & row->mask) == row->match)
                return row;
        }
        return nullptr;
    }

private:
    std::array<std::vector<const InstructionInfo*>, 128> m_groups;
};

const MajorOpcodeIndex& major_opcode_index()
{
    static const MajorOpcodeIndex index;
    return index;
}

int64_t immediate_of(uint32_t w, ImmediateKind kind)
{
    switch (kind) {
    case ImmediateKind::None: return 0;
    case ImmediateKind::I: return sign_extend(w >> 20, 12);
    case ImmediateKind::S: return sign_extend((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12);
    case ImmediateKind::B:
        return sign_extend((bits(w, 31, 31) << 12) | (bits(w, 7, 7) << 11) | (bits(w, 30, 25) << 5)
                | (bits(w, 11, 8) << 1),
            13);
    case ImmediateKind::U: return sign_extend(w & 0xfffff000u, 32);
    case ImmediateKind::J:
        return sign_extend((bits(w, 31, 31) << 20) | (bits(w, 19, 12) << 12)
                | (bits(w, 20, 20) << 11) | (bits(w, 30, 21) << 1),
            21);
    case ImmediateKind::Shamt: return bits(w, 25, 20);
    case ImmediateKind::Csr: return w >> 20;
    }
    return 0;
}

// Encoders for the expansion of compressed instructions.
constexpr uint32_t enc_r(
    uint32_t op, uint32_t f3, uint32_t f7, uint32_t rd, uint32_t rs1, uint32_t rs2)
{
    return op | (rd << 7) | (f3 << 12) | (rs1 << 15) | (rs2 << 20) | (f7 << 25);
}
constexpr uint32_t enc_i(uint32_t op, uint32_t f3, uint32_t rd, uint32_t rs1, int64_t imm)
{
    return op | (rd << 7) | (f3 << 12) | (rs1 << 15) | ((static_cast<uint32_t>(imm) & 0xfff) << 20);
}
constexpr uint32_t enc_s(uint32_t op, uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm)
{
    auto u = static_cast<uint32_t>(imm);
    return op | ((u & 0x1f) << 7) | (f3 << 12) | (rs1 << 15) | (rs2 << 20)
        | (((u >> 5) & 0x7f) << 25);
}
constexpr uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int64_t imm)
{
    auto u = static_cast<uint32_t>(imm);
    return 0x63 | (((u >> 11) & 1) << 7) | (((u >> 1) & 0xf) << 8) | (f3 << 12) | (rs1 << 15)
        | (rs2 << 20) | (((u >> 5) & 0x3f) << 25) | (((u >> 12) & 1) << 31);
}
constexpr uint32_t enc_j(uint32_t rd, int64_t imm)
{
    auto u = static_cast<uint32_t>(imm);
    return 0x6f | (rd << 7) | (((u >> 12) & 0xff) << 12) | (((u >> 11) & 1) << 20)
        | (((u >> 1) & 0x3ff) << 21) | (((u >> 20) & 1) << 31);
}

} // namespace

uint32_t expand_compressed(uint16_t c)
{
    const uint32_t op = c & 3;
    const uint32_t funct3 = bits(c, 15, 13);
    const uint32_t rd = bits(c, 11, 7); // full register fields (CR/CI)
    const uint32_t rs2 = bits(c, 6, 2);
    const uint32_t rd_prime = bits(c, 4, 2) + 8; // CIW/CL rd', CS rs2'
    const uint32_t rs1_prime = bits(c, 9, 7) + 8; // CL/CS/CB rs1'
    const int64_t ci_imm = sign_extend((bits(c, 12, 12) << 5) | bits(c, 6, 2), 6);
    const uint32_t ci_shamt = (bits(c, 12, 12) << 5) | bits(c, 6, 2);
    // offsets of the word and double-word loads and stores
    const uint32_t cl_w = (bits(c, 12, 10) << 3) | (bits(c, 6, 6) << 2) | (bits(c, 5, 5) << 6);
    const uint32_t cl_d = (bits(c, 12, 10) << 3) | (bits(c, 6, 5) << 6);

    switch ((funct3 << 2) | op) {
    // quadrant 0
    case (0 << 2) | 0: {
        uint32_t imm = (bits(c, 12, 11) << 4) | (bits(c, 10, 7) << 6) | (bits(c, 6, 6) << 2)
            | (bits(c, 5, 5) << 3);
        return imm == 0 ? 0 : enc_i(0x13, 0, rd_prime, 2, imm); // c.addi4spn
    }
    case (1 << 2) | 0: return enc_i(0x07, 3, rd_prime, rs1_prime, cl_d); // c.fld
    case (2 << 2) | 0: return enc_i(0x03, 2, rd_prime, rs1_prime, cl_w); // c.lw
    case (3 << 2) | 0: return enc_i(0x03, 3, rd_prime, rs1_prime, cl_d); // c.ld
    case (5 << 2) | 0: return enc_s(0x27, 3, rs1_prime, rd_prime, cl_d); // c.fsd
    case (6 << 2) | 0: return enc_s(0x23, 2, rs1_prime, rd_prime, cl_w); // c.sw
    case (7 << 2) | 0:
        return enc_s(0x23, 3, rs1_prime, rd_prime, cl_d); // c.sd

    // quadrant 1
    case (0 << 2) | 1: return enc_i(0x13, 0, rd, rd, ci_imm); // c.addi (c.nop)
    case (1 << 2) | 1: return rd == 0 ? 0 : enc_i(0x1b, 0, rd, rd, ci_imm); // c.addiw
    case (2 << 2) | 1: return enc_i(0x13, 0, rd, 0, ci_imm); // c.li
    case (3 << 2) | 1: {
        if (rd == 2) { // c.addi16sp
            int64_t imm = sign_extend((bits(c, 12, 12) << 9) | (bits(c, 6, 6) << 4)
                    | (bits(c, 5, 5) << 6) | (bits(c, 4, 3) << 7) | (bits(c, 2, 2) << 5),
                10);
            return imm == 0 ? 0 : enc_i(0x13, 0, 2, 2, imm);
        }
        if (ci_imm == 0)
            return 0;
        return 0x37 | (rd << 7) | ((static_cast<uint32_t>(ci_imm) & 0xfffff) << 12); // c.lui
    }
    case (4 << 2) | 1: {
        switch (bits(c, 11, 10)) {
        case 0: return enc_i(0x13, 5, rs1_prime, rs1_prime, ci_shamt); // c.srli
        case 1: return enc_i(0x13, 5, rs1_prime, rs1_prime, ci_shamt | 0x400); // c.srai
        case 2: return enc_i(0x13, 7, rs1_prime, rs1_prime, ci_imm); // c.andi
        default: {
            const uint32_t f = (bits(c, 12, 12) << 2) | bits(c, 6, 5);
            static constexpr struct {
                uint32_t op, f3, f7;
            } kAlu[8] = { { 0x33, 0, 0x20 }, { 0x33, 4, 0 }, { 0x33, 6, 0 }, { 0x33, 7, 0 },
                { 0x3b, 0, 0x20 }, { 0x3b, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 } };
            if (kAlu[f].op == 0)
                return 0;
            return enc_r(kAlu[f].op, kAlu[f].f3, kAlu[f].f7, rs1_prime, rs1_prime, rd_prime);
        }
        }
    }
    case (5 << 2) | 1: {
        int64_t imm = sign_extend((bits(c, 12, 12) << 11) | (bits(c, 11, 11) << 4)
                | (bits(c, 10, 9) << 8) | (bits(c, 8, 8) << 10) | (bits(c, 7, 7) << 6)
                | (bits(c, 6, 6) << 7) | (bits(c, 5, 3) << 1) | (bits(c, 2, 2) << 5),
            12);
        return enc_j(0, imm); // c.j
    }
    case (6 << 2) | 1:
    case (7 << 2) | 1: {
        int64_t imm = sign_extend((bits(c, 12, 12) << 8) | (bits(c, 11, 10) << 3)
                | (bits(c, 6, 5) << 6) | (bits(c, 4, 3) << 1) | (bits(c, 2, 2) << 5),
            9);
        return enc_b(funct3 == 6 ? 0 : 1, rs1_prime, 0, imm); // c.beqz / c.bnez
    }

    // quadrant 2
    case (0 << 2) | 2: return enc_i(0x13, 1, rd, rd, ci_shamt); // c.slli
    case (1 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
        return enc_i(0x07, 3, rd, 2, imm); // c.fldsp
    }
    case (2 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 4) << 2) | (bits(c, 3, 2) << 6);
        return rd == 0 ? 0 : enc_i(0x03, 2, rd, 2, imm); // c.lwsp
    }
    case (3 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 12) << 5) | (bits(c, 6, 5) << 3) | (bits(c, 4, 2) << 6);
        return rd == 0 ? 0 : enc_i(0x03, 3, rd, 2, imm); // c.ldsp
    }
    case (4 << 2) | 2: {
        if (bits(c, 12, 12) == 0) {
            if (rs2 == 0)
                return rd == 0 ? 0 : enc_i(0x67, 0, 0, rd, 0); // c.jr
            return enc_r(0x33, 0, 0, rd, 0, rs2); // c.mv
        }
        if (rs2 == 0) {
            if (rd == 0)
                return 0x00100073; // c.ebreak
            return enc_i(0x67, 0, 1, rd, 0); // c.jalr
        }
        return enc_r(0x33, 0, 0, rd, rd, rs2); // c.add
    }
    case (5 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
        return enc_s(0x27, 3, 2, rs2, imm); // c.fsdsp
    }
    case (6 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 9) << 2) | (bits(c, 8, 7) << 6);
        return enc_s(0x23, 2, 2, rs2, imm); // c.swsp
    }
    case (7 << 2) | 2: {
        uint32_t imm = (bits(c, 12, 10) << 3) | (bits(c, 9, 7) << 6);
        return enc_s(0x23, 3, 2, rs2, imm); // c.sdsp
    }
    default: return 0; // quadrant 0 funct3 100 is reserved
    }
}

DecodedInstruction decode(uint32_t raw)
{
    DecodedInstruction d;
    uint32_t word = raw;
    if (is_compressed(raw)) {
        d.length = 2;
        d.bits = raw & 0xffff;
        word = expand_compressed(static_cast<uint16_t>(raw));
        if (word == 0)
            return d;
    } else {
        d.bits = raw;
    }
    const InstructionInfo* row = major_opcode_index().find(word);
    if (!row)
        return d;
    d.opcode = row->opcode;
    d.rd = bits(word, 11, 7);
    d.rs1 = bits(word, 19, 15);
    d.rs2 = bits(word, 24, 20);
    d.rs3 = bits(word, 31, 27);
    d.funct3 = bits(word, 14, 12);
    d.immediate = immediate_of(word, row->immediate);
    return d;
}

} // namespace rvisor::isa
