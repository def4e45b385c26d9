#include "devices/boot_rom.h"

#include "cpu/hart.h"
#include "isa/decoder.h"
#include "isa/disassembler.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

using namespace rvisor;
using devices::BootRom;

namespace {

constexpr uint64_t kFirmwareEntry = 0x80000000;
constexpr uint64_t kDeviceTree = 0x87e00000;
constexpr uint64_t kKernelEntry = 0x80200000;

class BootRomTest : public ::testing::Test {
protected:
    BootRom rom { kFirmwareEntry, kDeviceTree, kKernelEntry };

    uint32_t word(uint64_t offset) { return static_cast<uint32_t>(rom.read(offset, 4)); }
};

} // namespace

TEST_F(BootRomTest, ResetCodeDisassemblesToTheHandOff)
{
    const char* const expected[] = {
        "auipc t0,0x0", // t0 = the ROM's base
        "addi a2,t0,64", // a2 = &fw_dynamic_info
        "csrrs a0,mhartid,zero", // a0 = hart id
        "ld a1,48(t0)", // a1 = device tree
        "ld t0,56(t0)", // t0 = firmware entry
        "jalr zero,0(t0)", // jump there
    };
    for (unsigned i = 0; i < std::size(expected); ++i) {
        const isa::DecodedInstruction insn = isa::decode(word(4 * i));
        EXPECT_EQ(insn.length, 4);
        EXPECT_EQ(isa::disassemble(insn, BootRom::kBase + 4 * i), expected[i]) << "word " << i;
    }
}

TEST_F(BootRomTest, ResetCodeOperands)
{
    isa::DecodedInstruction insn = isa::decode(word(0));
    EXPECT_EQ(insn.opcode, isa::Opcode::auipc);
    EXPECT_EQ(insn.rd, 5);
    EXPECT_EQ(insn.immediate, 0);
    insn = isa::decode(word(4));
    EXPECT_EQ(insn.opcode, isa::Opcode::addi);
    EXPECT_EQ(insn.rd, 12);
    EXPECT_EQ(insn.rs1, 5);
    EXPECT_EQ(insn.immediate, 0x40);
    insn = isa::decode(word(8));
    EXPECT_EQ(insn.opcode, isa::Opcode::csrrs);
    EXPECT_EQ(insn.immediate, 0xf14);
    insn = isa::decode(word(12));
    EXPECT_EQ(insn.opcode, isa::Opcode::ld);
    EXPECT_EQ(insn.rd, 11);
    EXPECT_EQ(insn.immediate, 0x30);
    insn = isa::decode(word(16));
    EXPECT_EQ(insn.opcode, isa::Opcode::ld);
    EXPECT_EQ(insn.rd, 5);
    EXPECT_EQ(insn.immediate, 0x38);
    insn = isa::decode(word(20));
    EXPECT_EQ(insn.opcode, isa::Opcode::jalr);
    EXPECT_EQ(insn.rd, 0);
    EXPECT_EQ(insn.rs1, 5);
    EXPECT_EQ(insn.immediate, 0);
}

TEST_F(BootRomTest, AddressSlotsHoldTheDeviceTreeAndFirmwareEntry)
{
    EXPECT_EQ(rom.read(0x30, 8), kDeviceTree);
    EXPECT_EQ(rom.read(0x38, 8), kFirmwareEntry);
}

TEST_F(BootRomTest, DynamicInfoAtOffset0x40)
{
    EXPECT_EQ(rom.read(0x40, 8), 0x4942534fu); // "OSBI"
    EXPECT_EQ(rom.read(0x48, 8), 2u); // version
    EXPECT_EQ(rom.read(0x50, 8), kKernelEntry); // next_addr
    EXPECT_EQ(rom.read(0x58, 8), 1u); // next_mode: S
    EXPECT_EQ(rom.read(0x60, 8), 0u); // options
    EXPECT_EQ(rom.read(0x68, 8), UINT64_MAX); // boot_hart: any
    // Narrow reads see the same little-endian bytes.
    EXPECT_EQ(rom.read(0x40, 4), 0x4942534fu);
    EXPECT_EQ(rom.read(0x44, 4), 0u);
    EXPECT_EQ(rom.read(0x40, 1), 0x4fu);
}

TEST_F(BootRomTest, WritesAreIgnored)
{
    rom.write(0x40, 8, 0);
    rom.write(0, 4, 0);
    EXPECT_EQ(rom.read(0x40, 8), 0x4942534fu);
    EXPECT_EQ(word(0), 0x00000297u);
}

TEST_F(BootRomTest, AHartRunsThroughItToTheFirmware)
{
    mem::GuestRam ram { 0x80000000, 1 << 20 };
    mem::Bus bus { ram };
    bus.map(BootRom::kBase, BootRom::kSize, rom);
    cpu::InterruptLines lines;
    host::Clock clock;
    cpu::Hart hart { cpu::HartConfig { 3, false }, bus, lines, clock };
    hart.reset(BootRom::kBase);
    hart.run(6);
    EXPECT_EQ(hart.pc(), kFirmwareEntry);
    EXPECT_EQ(hart.x(10), 3u); // a0: hart id
    EXPECT_EQ(hart.x(11), kDeviceTree); // a1
    EXPECT_EQ(hart.x(12), BootRom::kBase + 0x40); // a2: fw_dynamic_info
    EXPECT_EQ(hart.instret(), 6u);
    EXPECT_EQ(hart.privilege(), cpu::Privilege::Machine);
}
