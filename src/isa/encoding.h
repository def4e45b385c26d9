#pragma once
// Builders for the fixed bits of an encoding, so the instruction table reads like the manual's
// opcode map. All are constexpr: the table is assembled at compile time.
#include <cstdint>

namespace rvisor::isa::encoding {

constexpr uint32_t opc(uint32_t opcode) { return opcode; }
constexpr uint32_t f3(uint32_t opcode, uint32_t funct3) { return opcode | (funct3 << 12); }
constexpr uint32_t f6(uint32_t opcode, uint32_t funct3, uint32_t funct6)
{
    return f3(opcode, funct3) | (funct6 << 26);
}
constexpr uint32_t f7(uint32_t opcode, uint32_t funct3, uint32_t funct7)
{
    return f3(opcode, funct3) | (funct7 << 25);
}
constexpr uint32_t amo(uint32_t width, uint32_t funct5) { return f3(0x2f, width) | (funct5 << 27); }
constexpr uint32_t r4(uint32_t opcode, uint32_t format) { return opcode | (format << 25); }
constexpr uint32_t fp(uint32_t funct7) { return 0x53 | (funct7 << 25); }
constexpr uint32_t fp2(uint32_t funct7, uint32_t rs2) { return fp(funct7) | (rs2 << 20); }
constexpr uint32_t fp3(uint32_t funct7, uint32_t funct3) { return fp(funct7) | (funct3 << 12); }
constexpr uint32_t fp23(uint32_t funct7, uint32_t rs2, uint32_t funct3)
{
    return fp2(funct7, rs2) | (funct3 << 12);
}

constexpr uint32_t kMaskOpcode = 0x0000007f;
constexpr uint32_t kMaskF3 = 0x0000707f;
constexpr uint32_t kMaskF6 = 0xfc00707f;
constexpr uint32_t kMaskF7 = 0xfe00707f;
constexpr uint32_t kMaskAmo = 0xf800707f;
constexpr uint32_t kMaskLr = 0xf9f0707f;
constexpr uint32_t kMaskFma = 0x0600007f;
constexpr uint32_t kMaskFp = 0xfe00007f;
constexpr uint32_t kMaskFpRs2 = 0xfff0007f;
constexpr uint32_t kMaskFpF3 = 0xfe00707f;
constexpr uint32_t kMaskFpRs2F3 = 0xfff0707f;
constexpr uint32_t kMaskUnary = 0xfff0707f;
constexpr uint32_t kMaskAll = 0xffffffff;

// Field extraction from a 32-bit instruction.
constexpr uint32_t bits(uint32_t value, unsigned high, unsigned low)
{
    return (value >> low) & ((1u << (high - low + 1)) - 1);
}
constexpr int64_t sign_extend(uint64_t value, unsigned width)
{
    return static_cast<int64_t>(value << (64 - width)) >> (64 - width);
}

} // namespace rvisor::isa::encoding
