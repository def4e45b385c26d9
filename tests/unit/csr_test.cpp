// Control and status registers: their masks, views and side effects (through
// read/write_csr_as_machine) and the access rules (through csr instructions run on the hart).
#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

using namespace rvisor;
using cpu::Exception;
using cpu::Interrupt;
using cpu::Privilege;
namespace csr = isa::csr;
namespace status = cpu::status;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kHandler = kRamBase + 0x800;

constexpr uint32_t i_type(uint32_t opcode, uint32_t funct3, unsigned rd, unsigned rs1, int32_t imm)
{
    return opcode | rd << 7 | funct3 << 12 | rs1 << 15 | (static_cast<uint32_t>(imm) & 0xfff) << 20;
}
constexpr unsigned zero = 0, a0 = 10, a1 = 11;
constexpr uint32_t csrrw(unsigned rd, uint32_t address, unsigned rs1)
{
    return i_type(0x73, 1, rd, rs1, static_cast<int32_t>(address));
}
constexpr uint32_t csrrs(unsigned rd, uint32_t address, unsigned rs1)
{
    return i_type(0x73, 2, rd, rs1, static_cast<int32_t>(address));
}
constexpr uint32_t csrrc(unsigned rd, uint32_t address, unsigned rs1)
{
    return i_type(0x73, 3, rd, rs1, static_cast<int32_t>(address));
}
constexpr uint32_t csrrwi(unsigned rd, uint32_t address, unsigned zimm)
{
    return i_type(0x73, 5, rd, zimm, static_cast<int32_t>(address));
}
constexpr uint32_t csrrsi(unsigned rd, uint32_t address, unsigned zimm)
{
    return i_type(0x73, 6, rd, zimm, static_cast<int32_t>(address));
}
constexpr uint32_t csrr(unsigned rd, uint32_t address) { return csrrs(rd, address, zero); }
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x13, 0, rd, rs1, imm);
}

static_assert(csrrw(a0, 0x300, a1) == 0x30059573); // GNU as: csrrw a0, mstatus, a1
static_assert(csrr(a0, 0xf14) == 0xf1402573); // csrr a0, mhartid
static_assert(csrrwi(a0, 0x340, 31) == 0x340fd573);

constexpr uint64_t kSsip = uint64_t { 1 } << 1, kMsip = uint64_t { 1 } << 3,
                   kStip = uint64_t { 1 } << 5, kMtip = uint64_t { 1 } << 7,
                   kSeip = uint64_t { 1 } << 9, kMeip = uint64_t { 1 } << 11;

class CsrTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, 1 << 20 };
    mem::Bus bus { ram };
    cpu::InterruptLines lines;
    host::Clock clock;
    cpu::Hart hart { cpu::HartConfig { 0, false }, bus, lines, clock };

    void SetUp() override
    {
        hart.reset(kRamBase);
        hart.write_csr_as_machine(csr::mtvec, kHandler);
    }

    uint64_t read(uint32_t address) { return hart.read_csr_as_machine(address); }
    void write(uint32_t address, uint64_t value) { hart.write_csr_as_machine(address, value); }

    // Runs the words from kRamBase at the given privilege.
    void execute(std::initializer_list<uint32_t> words, Privilege privilege = Privilege::Machine)
    {
        uint8_t* p = ram.pointer(kRamBase);
        for (uint32_t word : words) {
            std::memcpy(p, &word, 4);
            p += 4;
        }
        hart.set_privilege(privilege);
        hart.set_pc(kRamBase);
        hart.run(words.size());
    }
    void expect_illegal(uint32_t insn, Privilege privilege = Privilege::Machine)
    {
        write(csr::mcause, 0);
        write(csr::mtval, 0);
        execute({ insn }, privilege);
        EXPECT_EQ(hart.pc(), kHandler) << std::hex << "0x" << insn << " did not trap";
        EXPECT_EQ(read(csr::mcause), static_cast<uint64_t>(Exception::IllegalInstruction))
            << std::hex << "0x" << insn;
        EXPECT_EQ(read(csr::mtval), insn);
        EXPECT_EQ(read(csr::mepc), kRamBase);
        EXPECT_EQ(hart.privilege(), Privilege::Machine);
    }
    void expect_executes(uint32_t insn, Privilege privilege = Privilege::Machine)
    {
        execute({ insn }, privilege);
        EXPECT_EQ(hart.pc(), kRamBase + 4)
            << std::hex << "0x" << insn << " trapped with mcause " << read(csr::mcause);
        EXPECT_EQ(hart.privilege(), privilege);
    }
};

} // namespace

// ---- mstatus and sstatus ----

TEST_F(CsrTest, MstatusResetValueShowsSixtyFourBitUserAndSupervisor)
{
    EXPECT_EQ(read(csr::mstatus), 0x0000000a00000000u); // UXL = SXL = 2, all else 0
}

TEST_F(CsrTest, MstatusWritableBits)
{
    write(csr::mstatus, ~uint64_t { 0 });
    // SIE MIE SPIE MPIE SPP MPP FS MPRV SUM MXR TVM TW TSR, UXL/SXL fixed, SD from FS = 3.
    EXPECT_EQ(read(csr::mstatus), 0x8000000a007e79aau);
    write(csr::mstatus, 0);
    EXPECT_EQ(read(csr::mstatus), 0x0000000a00000000u);
}

TEST_F(CsrTest, SdSummarisesOnlyADirtyFs)
{
    for (uint64_t fs = 0; fs < 4; ++fs) {
        write(csr::mstatus, fs << status::kFsShift);
        EXPECT_EQ((read(csr::mstatus) & status::kSd) != 0, fs == 3) << "FS = " << fs;
        EXPECT_EQ((read(csr::sstatus) & status::kSd) != 0, fs == 3) << "FS = " << fs;
    }
    // SD itself is read-only.
    write(csr::mstatus, status::kSd);
    EXPECT_EQ(read(csr::mstatus) & status::kSd, 0u);
}

TEST_F(CsrTest, MppIsWarlAndKeepsItsValueOnReservedTwo)
{
    write(csr::mstatus, uint64_t { 1 } << status::kMppShift);
    EXPECT_EQ((read(csr::mstatus) & status::kMpp) >> status::kMppShift, 1u);
    write(csr::mstatus, uint64_t { 2 } << status::kMppShift);
    EXPECT_EQ((read(csr::mstatus) & status::kMpp) >> status::kMppShift, 1u);
    write(csr::mstatus, uint64_t { 3 } << status::kMppShift);
    EXPECT_EQ((read(csr::mstatus) & status::kMpp) >> status::kMppShift, 3u);
    write(csr::mstatus, (uint64_t { 2 } << status::kMppShift) | status::kMie);
    EXPECT_EQ((read(csr::mstatus) & status::kMpp) >> status::kMppShift, 3u);
    EXPECT_NE(read(csr::mstatus) & status::kMie, 0u); // the rest of the write still lands
    write(csr::mstatus, 0);
    EXPECT_EQ(read(csr::mstatus) & status::kMpp, 0u);
}

TEST_F(CsrTest, SstatusIsARestrictedViewOfMstatus)
{
    write(csr::mstatus,
        status::kMie | status::kMpie | status::kMpp | status::kTvm | status::kSie | status::kSum);
    EXPECT_EQ(read(csr::sstatus), 0x0000000200000000u | status::kSie | status::kSum); // UXL
    write(csr::sstatus, ~uint64_t { 0 });
    // SIE SPIE SPP FS SUM MXR, UXL, SD.
    EXPECT_EQ(read(csr::sstatus), 0x80000002000c6122u);
    // Machine-only bits were left as they were.
    const uint64_t m = read(csr::mstatus);
    EXPECT_EQ(m & (status::kMie | status::kMpie | status::kMpp | status::kTvm),
        status::kMie | status::kMpie | status::kMpp | status::kTvm);
    EXPECT_EQ(m & (status::kTw | status::kTsr | status::kMprv), 0u);
    EXPECT_NE(m & status::kSpp, 0u);
    write(csr::sstatus, 0);
    EXPECT_EQ(read(csr::mstatus)
            & (status::kSie | status::kSpie | status::kSpp | status::kFs | status::kSum
                | status::kMxr),
        0u);
    EXPECT_NE(read(csr::mstatus) & status::kMie, 0u);
}

// ---- identification and delegation ----

TEST_F(CsrTest, MisaIsRv64Imafdcsu)
{
    const uint64_t expected = (uint64_t { 2 } << 62)
        | (1u << 0) /*A*/ | (1u << 2) /*C*/ | (1u << 3) /*D*/ | (1u << 5) /*F*/ | (1u << 8) /*I*/
        | (1u << 12) /*M*/ | (1u << 18) /*S*/ | (1u << 20) /*U*/;
    EXPECT_EQ(read(csr::misa), expected);
    EXPECT_EQ(read(csr::misa), 0x800000000014112du);
    write(csr::misa, 0);
    EXPECT_EQ(read(csr::misa), expected);
}

TEST_F(CsrTest, IdentificationRegisters)
{
    EXPECT_EQ(read(csr::mvendorid), 0u);
    EXPECT_EQ(read(csr::marchid), 0u);
    EXPECT_EQ(read(csr::mimpid), 0u);
    EXPECT_EQ(read(csr::mhartid), 0u);
    cpu::Hart other { cpu::HartConfig { 5, false }, bus, lines, clock };
    EXPECT_EQ(other.read_csr_as_machine(csr::mhartid), 5u);
}

TEST_F(CsrTest, DelegationMasks)
{
    write(csr::medeleg, ~uint64_t { 0 });
    // Every exception but ecall from M (11) and the reserved 10 and 14.
    EXPECT_EQ(read(csr::medeleg), 0xb3ffu);
    write(csr::mideleg, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mideleg), kSsip | kStip | kSeip);
}

TEST_F(CsrTest, MieHasTheSixStandardInterruptsAndSieIsItsDelegatedPart)
{
    write(csr::mie, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mie), 0xaaau);
    EXPECT_EQ(read(csr::sie), 0u); // nothing delegated
    write(csr::sie, 0);
    EXPECT_EQ(read(csr::mie), 0xaaau); // sie writes reach only delegated bits
    write(csr::mideleg, kSsip | kStip);
    EXPECT_EQ(read(csr::sie), kSsip | kStip);
    write(csr::sie, 0);
    EXPECT_EQ(read(csr::mie), 0xaaau & ~(kSsip | kStip));
    write(csr::sie, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mie), 0xaaau);
}

TEST_F(CsrTest, MipSoftwareWritableBitsAndSipView)
{
    write(csr::mip, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mip), kSsip | kStip | kSeip); // MSIP/MTIP/MEIP are not writable
    EXPECT_EQ(read(csr::sip), 0u);
    write(csr::mideleg, kSsip | kStip);
    EXPECT_EQ(read(csr::sip), kSsip | kStip);
    write(csr::sip, 0); // only SSIP is writable through sip
    EXPECT_EQ(read(csr::mip), kStip | kSeip);
    write(csr::sip, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mip), kSsip | kStip | kSeip);
    write(csr::mip, 0);
    EXPECT_EQ(read(csr::mip), 0u);
}

TEST_F(CsrTest, MipShowsDeviceLevelsAndTheMachineTimer)
{
    lines.set_level(Interrupt::MachineExternal, true);
    lines.set_level(Interrupt::MachineSoftware, true);
    EXPECT_EQ(read(csr::mip), kMeip | kMsip);
    lines.set_machine_timer_compare(0);
    EXPECT_EQ(read(csr::mip), kMeip | kMsip | kMtip);
    lines.set_level(Interrupt::MachineExternal, false);
    lines.set_level(Interrupt::MachineSoftware, false);
    lines.set_machine_timer_compare(UINT64_MAX);
    EXPECT_EQ(read(csr::mip), 0u);
    // SEIP reads as the OR of the external level and the software bit.
    lines.set_level(Interrupt::SupervisorExternal, true);
    EXPECT_EQ(read(csr::mip), kSeip);
    write(csr::mip, 0);
    EXPECT_EQ(read(csr::mip), kSeip);
    lines.set_level(Interrupt::SupervisorExternal, false);
    EXPECT_EQ(read(csr::mip), 0u);
}

// Privileged spec, mip.SEIP: "the value used in the read-modify-write sequence of a CSRRS or
// CSRRC instruction contains only the software-writable SEIP bit, ignoring the interrupt value
// from the external interrupt controller." Setting SSIP with csrrs while the PLIC holds SEIP high
// must not latch SEIP into the software bit: once the line drops, SEIP must read 0.
TEST_F(CsrTest, CsrrsOnMipDoesNotLatchTheExternalSeipLevel)
{
    lines.set_level(Interrupt::SupervisorExternal, true);
    hart.set_x(a1, kSsip);
    expect_executes(csrrs(zero, csr::mip, a1));
    lines.set_level(Interrupt::SupervisorExternal, false);
    EXPECT_EQ(read(csr::mip), kSsip) << "SEIP stuck at 1 after the external line dropped";
}

TEST_F(CsrTest, CsrrcOnMipDoesNotLatchTheExternalSeipLevel)
{
    write(csr::mip, kSsip);
    lines.set_level(Interrupt::SupervisorExternal, true);
    hart.set_x(a1, kSsip);
    expect_executes(csrrc(zero, csr::mip, a1));
    lines.set_level(Interrupt::SupervisorExternal, false);
    EXPECT_EQ(read(csr::mip), 0u) << "SEIP stuck at 1 after the external line dropped";
}

// ---- trap vector and exception pc ----

TEST_F(CsrTest, TrapVectorModeIsDirectOrVectored)
{
    write(csr::mtvec, 0x80001002);
    EXPECT_EQ(read(csr::mtvec), 0x80001000u);
    write(csr::mtvec, 0x80001001);
    EXPECT_EQ(read(csr::mtvec), 0x80001001u);
    write(csr::mtvec, 0x80001003);
    EXPECT_EQ(read(csr::mtvec) & 3, 1u);
    write(csr::stvec, 0x80002002);
    EXPECT_EQ(read(csr::stvec), 0x80002000u);
    write(csr::stvec, 0x80002001);
    EXPECT_EQ(read(csr::stvec), 0x80002001u);
}

TEST_F(CsrTest, ExceptionPcsClearBitZero)
{
    write(csr::mepc, 0x80000003);
    EXPECT_EQ(read(csr::mepc), 0x80000002u);
    write(csr::sepc, 0xffffffffffffffff);
    EXPECT_EQ(read(csr::sepc), 0xfffffffffffffffeu);
}

TEST_F(CsrTest, ScratchAndCauseRegistersHoldAnyValue)
{
    for (uint32_t address :
        { csr::mscratch, csr::sscratch, csr::mcause, csr::scause, csr::mtval, csr::stval }) {
        write(address, 0xfedcba9876543210);
        EXPECT_EQ(read(address), 0xfedcba9876543210u) << std::hex << address;
    }
}

// ---- satp ----

TEST_F(CsrTest, SatpAcceptsBareSv39Sv48Sv57AndIgnoresOtherModes)
{
    const uint64_t sv39 = (uint64_t { 8 } << 60) | (uint64_t { 0x1234 } << 44) | 0x80123;
    write(csr::satp, sv39);
    EXPECT_EQ(read(csr::satp), sv39);
    for (uint64_t mode : { 1, 2, 5, 7, 11, 12, 15 }) {
        write(csr::satp, (mode << 60) | 0x80456);
        EXPECT_EQ(read(csr::satp), sv39) << "mode " << mode;
    }
    const uint64_t sv48 = (uint64_t { 9 } << 60) | 0x80456;
    write(csr::satp, sv48);
    EXPECT_EQ(read(csr::satp), sv48);
    const uint64_t sv57 = (uint64_t { 10 } << 60) | 0x80789;
    write(csr::satp, sv57);
    EXPECT_EQ(read(csr::satp), sv57);
    write(csr::satp, 0);
    EXPECT_EQ(read(csr::satp), 0u);
}

TEST_F(CsrTest, SatpProbeByInstructionAsLinuxDoes)
{
    // csrw satp, a1 ; csrr a0, satp: an unsupported mode reads back unchanged (here 0).
    hart.set_x(a1, (uint64_t { 11 } << 60) | 0x80000);
    execute({ csrrw(zero, csr::satp, a1), csrr(a0, csr::satp) });
    EXPECT_EQ(hart.x(a0), 0u);
    hart.set_x(a1, (uint64_t { 10 } << 60) | 0x80000);
    execute({ csrrw(zero, csr::satp, a1), csrr(a0, csr::satp) });
    EXPECT_EQ(hart.x(a0), (uint64_t { 10 } << 60) | 0x80000);
}

// ---- PMP ----

TEST_F(CsrTest, PmpRegistersReadBack)
{
    write(csr::pmpcfg0, 0x1f1e1d1c1b1a1918);
    EXPECT_EQ(read(csr::pmpcfg0), 0x1f1e1d1c1b1a1918u);
    write(csr::pmpcfg0 + 2, 0x0f0e0d0c0b0a0908);
    EXPECT_EQ(read(csr::pmpcfg0 + 2), 0x0f0e0d0c0b0a0908u);
    EXPECT_EQ(read(csr::pmpcfg0), 0x1f1e1d1c1b1a1918u); // separate entries
    write(csr::pmpcfg15 - 1, 0x8877665544332211);
    EXPECT_EQ(read(csr::pmpcfg15 - 1), 0x8877665544332211u);
    write(csr::pmpaddr0, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::pmpaddr0), (uint64_t { 1 } << 54) - 1);
    write(csr::pmpaddr63, 0x20000400);
    EXPECT_EQ(read(csr::pmpaddr63), 0x20000400u);
    EXPECT_EQ(read(csr::pmpaddr0 + 1), 0u);
}

TEST_F(CsrTest, OddPmpcfgIsIllegalOnRv64)
{
    expect_illegal(csrr(a0, csr::pmpcfg0 + 1));
    expect_illegal(csrrw(zero, csr::pmpcfg15, a1));
    expect_executes(csrr(a0, csr::pmpcfg0 + 2));
}

// ---- counters ----

TEST_F(CsrTest, CycleAndInstretAdvance)
{
    execute(
        { csrr(a0, csr::cycle), addi(zero, zero, 0), addi(zero, zero, 0), csrr(a1, csr::cycle) });
    EXPECT_GE(hart.x(a1) - hart.x(a0), 3u);
    execute({ csrr(a0, csr::instret), addi(zero, zero, 0), csrr(a1, csr::instret) });
    EXPECT_EQ(hart.x(a1) - hart.x(a0), 2u);
    write(csr::minstret, 1000);
    execute({ csrr(a0, csr::instret) });
    EXPECT_EQ(hart.x(a0), 1000u);
    EXPECT_EQ(read(csr::minstret), 1001u);
}

TEST_F(CsrTest, TimeReadsTheMachineClock)
{
    const uint64_t before = clock.ticks();
    execute({ csrr(a0, csr::time) });
    const uint64_t after = clock.ticks();
    EXPECT_GE(hart.x(a0), before);
    EXPECT_LE(hart.x(a0), after);
}

TEST_F(CsrTest, HpmCountersArePresentAndZero)
{
    EXPECT_EQ(read(csr::hpmcounter3), 0u);
    EXPECT_EQ(read(csr::mhpmcounter31), 0u);
    expect_executes(csrrw(zero, csr::mhpmevent3, a1));
    expect_executes(csrr(a0, csr::hpmcounter31));
}

TEST_F(CsrTest, CounterAccessFromSupervisorNeedsMcounteren)
{
    expect_illegal(csrr(a0, csr::time), Privilege::Supervisor);
    expect_illegal(csrr(a0, csr::cycle), Privilege::Supervisor);
    write(csr::mcounteren, 1 << 1); // TM only
    expect_executes(csrr(a0, csr::time), Privilege::Supervisor);
    expect_illegal(csrr(a0, csr::cycle), Privilege::Supervisor);
    expect_illegal(csrr(a0, csr::instret), Privilege::Supervisor);
    write(csr::mcounteren, 0x7);
    expect_executes(csrr(a0, csr::cycle), Privilege::Supervisor);
    expect_executes(csrr(a0, csr::instret), Privilege::Supervisor);
}

TEST_F(CsrTest, CounterAccessFromUserNeedsBothEnables)
{
    write(csr::mcounteren, 0x7);
    expect_illegal(csrr(a0, csr::time), Privilege::User);
    write(csr::scounteren, 1 << 1);
    expect_executes(csrr(a0, csr::time), Privilege::User);
    expect_illegal(csrr(a0, csr::cycle), Privilege::User);
    write(csr::mcounteren, 0);
    expect_illegal(csrr(a0, csr::time), Privilege::User);
}

// ---- privilege and read-only rules ----

TEST_F(CsrTest, LowerPrivilegesCannotReachHigherCsrs)
{
    for (uint32_t address : { csr::mstatus, csr::mie, csr::mtvec, csr::mscratch, csr::mhartid,
             csr::medeleg, csr::pmpcfg0, csr::mcycle })
        expect_illegal(csrr(a0, address), Privilege::Supervisor);
    for (uint32_t address : { csr::sstatus, csr::sie, csr::stvec, csr::satp, csr::sscratch })
        expect_illegal(csrr(a0, address), Privilege::User);
    expect_executes(csrr(a0, csr::sstatus), Privilege::Supervisor);
    expect_executes(csrr(a0, csr::satp), Privilege::Supervisor);
}

TEST_F(CsrTest, UnknownCsrIsIllegalEvenForMachineMode)
{
    expect_illegal(csrr(a0, 0x7c0));
    expect_illegal(csrr(a0, 0x5c0));
    expect_illegal(csrrw(zero, 0x7c0, a1));
}

TEST_F(CsrTest, WritesToReadOnlyCsrsAreIllegal)
{
    expect_illegal(csrrw(zero, csr::mhartid, a1));
    expect_illegal(csrrw(zero, csr::cycle, a1));
    expect_illegal(csrrw(a0, csr::time, a1));
    expect_illegal(csrrsi(zero, csr::mvendorid, 1));
    // csrrs with a source register other than x0 is a write even when the register holds 0.
    hart.set_x(a1, 0);
    expect_illegal(csrrs(a0, csr::instret, a1));
    // Pure reads are fine.
    expect_executes(csrr(a0, csr::mhartid));
    expect_executes(csrrsi(a0, csr::cycle, 0));
}

TEST_F(CsrTest, CsrInstructionsReturnTheOldValueAndModify)
{
    write(csr::mscratch, 0xf0);
    hart.set_x(a1, 0x0f);
    execute({ csrrs(a0, csr::mscratch, a1) });
    EXPECT_EQ(hart.x(a0), 0xf0u);
    EXPECT_EQ(read(csr::mscratch), 0xffu);
    hart.set_x(a1, 0x3c);
    execute({ csrrc(a0, csr::mscratch, a1) });
    EXPECT_EQ(hart.x(a0), 0xffu);
    EXPECT_EQ(read(csr::mscratch), 0xc3u);
    hart.set_x(a1, 0x1234);
    execute({ csrrw(a0, csr::mscratch, a1) });
    EXPECT_EQ(hart.x(a0), 0xc3u);
    EXPECT_EQ(read(csr::mscratch), 0x1234u);
    execute({ csrrwi(a0, csr::mscratch, 31) });
    EXPECT_EQ(hart.x(a0), 0x1234u);
    EXPECT_EQ(read(csr::mscratch), 31u);
    execute({ csrrsi(a0, csr::mscratch, 0) }); // read only
    EXPECT_EQ(hart.x(a0), 31u);
}

TEST_F(CsrTest, FcsrCombinesFflagsAndFrm)
{
    write(csr::mstatus, uint64_t { 1 } << status::kFsShift);
    write(csr::fcsr, 0xff);
    EXPECT_EQ(read(csr::fflags), 0x1fu);
    EXPECT_EQ(read(csr::frm), 0x7u);
    EXPECT_EQ(read(csr::fcsr), 0xffu);
    write(csr::frm, 1);
    EXPECT_EQ(read(csr::fcsr), 0x3fu);
    write(csr::fflags, 0);
    EXPECT_EQ(read(csr::fcsr), 0x20u);
    // Writing the float CSRs dirties the float state.
    EXPECT_EQ(read(csr::mstatus) & status::kFs, status::kFs);
}

// ---- Sstc ----

TEST_F(CsrTest, StimecmpFromSupervisorNeedsMenvcfgStce)
{
    write(csr::mcounteren, 1 << 1);
    expect_illegal(csrr(a0, csr::stimecmp), Privilege::Supervisor);
    write(csr::menvcfg, cpu::envcfg::kStce);
    EXPECT_EQ(read(csr::menvcfg), cpu::envcfg::kStce);
    expect_executes(csrr(a0, csr::stimecmp), Privilege::Supervisor);
    EXPECT_EQ(hart.x(a0), UINT64_MAX);
    hart.set_x(a1, 12345);
    expect_executes(csrrw(zero, csr::stimecmp, a1), Privilege::Supervisor);
    EXPECT_EQ(read(csr::stimecmp), 12345u);
    // Without mcounteren.TM it is illegal again.
    write(csr::mcounteren, 0);
    expect_illegal(csrr(a0, csr::stimecmp), Privilege::Supervisor);
    // M-mode may always access it.
    write(csr::menvcfg, 0);
    expect_executes(csrr(a0, csr::stimecmp));
}

TEST_F(CsrTest, WithSstcStipFollowsStimecmp)
{
    write(csr::menvcfg, cpu::envcfg::kStce);
    write(csr::mip, kStip); // not software-writable any more
    EXPECT_EQ(read(csr::mip) & kStip, 0u);
    write(csr::stimecmp, 0);
    EXPECT_EQ(read(csr::mip) & kStip, kStip);
    write(csr::stimecmp, UINT64_MAX);
    EXPECT_EQ(read(csr::mip) & kStip, 0u);
}

TEST_F(CsrTest, EnvironmentConfigMasks)
{
    write(csr::menvcfg, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::menvcfg), cpu::envcfg::kStce | cpu::envcfg::kFiom);
    write(csr::senvcfg, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::senvcfg), cpu::envcfg::kFiom);
    write(csr::mcountinhibit, ~uint64_t { 0 });
    EXPECT_EQ(read(csr::mcountinhibit), 0xfffffffdu);
}
