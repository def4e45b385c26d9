// Exceptions, interrupts, delegation, xRET and the trap-related mstatus bits, on a real hart.
#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

using namespace rvisor;
using cpu::Exception;
using cpu::HartExit;
using cpu::Interrupt;
using cpu::Privilege;
namespace csr = isa::csr;
namespace status = cpu::status;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kMachineVector = kRamBase + 0x1000; // mtvec base
constexpr uint64_t kSupervisorVector = kRamBase + 0x2000; // stvec base
constexpr uint64_t kReturnTarget = kRamBase + 0x3000;

constexpr uint32_t i_type(uint32_t opcode, uint32_t funct3, unsigned rd, unsigned rs1, int32_t imm)
{
    return opcode | rd << 7 | funct3 << 12 | rs1 << 15 | (static_cast<uint32_t>(imm) & 0xfff) << 20;
}
constexpr unsigned zero = 0, a0 = 10, a1 = 11, t6 = 31;
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x13, 0, rd, rs1, imm);
}
constexpr uint32_t csrr(unsigned rd, uint32_t address)
{
    return i_type(0x73, 2, rd, 0, static_cast<int32_t>(address));
}
constexpr uint32_t kEcall = 0x00000073;
constexpr uint32_t kEbreak = 0x00100073;
constexpr uint32_t kSret = 0x10200073;
constexpr uint32_t kMret = 0x30200073;
constexpr uint32_t kWfi = 0x10500073;
constexpr uint32_t kSfenceVma = 0x12000073; // sfence.vma zero, zero
constexpr uint32_t kNop = 0x00000013;

static_assert(csrr(a0, 0x180) == 0x18002573); // GNU as: csrr a0, satp
static_assert(addi(zero, zero, 0) == kNop);

uint64_t cause_of(Exception e) { return static_cast<uint64_t>(e); }
uint64_t cause_of(Interrupt i) { return (uint64_t { 1 } << 63) | static_cast<uint64_t>(i); }

class TrapTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, 1 << 20 };
    mem::Bus bus { ram };
    cpu::InterruptLines lines;
    host::Clock clock;
    cpu::Hart hart { cpu::HartConfig { 0, false }, bus, lines, clock };

    void SetUp() override
    {
        hart.reset(kRamBase);
        hart.write_csr_as_machine(csr::mtvec, kMachineVector);
        hart.write_csr_as_machine(csr::stvec, kSupervisorVector);
        // Each vector slot i holds "addi t6, zero, i", so t6 tells which slot ran.
        for (int32_t i = 0; i < 16; ++i) {
            place(kMachineVector + 4 * i, { addi(t6, zero, 0x100 + i) });
            place(kSupervisorVector + 4 * i, { addi(t6, zero, 0x200 + i) });
        }
        place(kReturnTarget, { kNop });
    }

    void place(uint64_t address, std::initializer_list<uint32_t> words)
    {
        uint8_t* p = ram.pointer(address);
        for (uint32_t word : words) {
            std::memcpy(p, &word, 4);
            p += 4;
        }
    }
    HartExit execute(
        std::initializer_list<uint32_t> words, Privilege privilege = Privilege::Machine)
    {
        place(kRamBase, words);
        hart.set_privilege(privilege);
        hart.set_pc(kRamBase);
        return hart.run(words.size());
    }
    uint64_t read(uint32_t address) { return hart.read_csr_as_machine(address); }
    void write(uint32_t address, uint64_t value) { hart.write_csr_as_machine(address, value); }
    uint64_t mstatus() { return read(csr::mstatus); }
    uint64_t mpp() { return (mstatus() & status::kMpp) >> status::kMppShift; }

    void lower_every_line()
    {
        for (Interrupt line : { Interrupt::MachineExternal, Interrupt::MachineSoftware,
                 Interrupt::SupervisorExternal })
            lines.set_level(line, false);
        lines.set_machine_timer_compare(UINT64_MAX);
    }
    void raise(Interrupt interrupt)
    {
        switch (interrupt) {
        case Interrupt::MachineTimer: lines.set_machine_timer_compare(0); break;
        case Interrupt::SupervisorSoftware:
        case Interrupt::SupervisorTimer: write(csr::mip, read(csr::mip) | bit(interrupt)); break;
        default: lines.set_level(interrupt, true); break;
        }
    }
};

} // namespace

// ---- synchronous exceptions ----

TEST_F(TrapTest, EcallCauseDependsOnThePrivilege)
{
    const struct {
        Privilege from;
        Exception cause;
    } cases[] = { { Privilege::User, Exception::EcallFromU },
        { Privilege::Supervisor, Exception::EcallFromS },
        { Privilege::Machine, Exception::EcallFromM } };
    for (const auto& c : cases) {
        write(csr::mtval, 0x55);
        EXPECT_EQ(execute({ kEcall }, c.from), HartExit::BudgetExhausted);
        EXPECT_EQ(read(csr::mcause), cause_of(c.cause));
        EXPECT_EQ(read(csr::mepc), kRamBase);
        EXPECT_EQ(read(csr::mtval), 0u);
        EXPECT_EQ(hart.pc(), kMachineVector);
        EXPECT_EQ(hart.privilege(), Privilege::Machine);
        EXPECT_EQ(mpp(), static_cast<uint64_t>(c.from));
    }
}

TEST_F(TrapTest, TrapSavesMieInMpieAndClearsIt)
{
    write(csr::mstatus, status::kMie);
    execute({ kEcall });
    EXPECT_EQ(mstatus() & (status::kMie | status::kMpie), status::kMpie);
    write(csr::mstatus, status::kMpie);
    execute({ kEcall });
    EXPECT_EQ(mstatus() & (status::kMie | status::kMpie), 0u);
}

TEST_F(TrapTest, EbreakIsCauseThreeWithItsPcInTval)
{
    place(kRamBase + 0x100, { kEbreak });
    hart.set_pc(kRamBase + 0x100);
    hart.run(1);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::Breakpoint));
    EXPECT_EQ(read(csr::mepc), kRamBase + 0x100);
    EXPECT_EQ(read(csr::mtval), kRamBase + 0x100);
    EXPECT_EQ(hart.pc(), kMachineVector);
    // c.ebreak, at a half-word offset.
    const uint16_t program[] = { 0x0001, 0x9002 }; // c.nop ; c.ebreak
    std::memcpy(ram.pointer(kRamBase + 0x200), program, sizeof program);
    hart.set_pc(kRamBase + 0x200);
    hart.run(2);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::Breakpoint));
    EXPECT_EQ(read(csr::mepc), kRamBase + 0x202);
    EXPECT_EQ(read(csr::mtval), kRamBase + 0x202);
}

TEST_F(TrapTest, IllegalInstructionTvalIsTheInstructionBits)
{
    for (uint32_t bits : { 0xffffffffu, 0x0235951bu /* slliw with bit 25 */, 0x30200573u }) {
        execute({ bits });
        EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
        EXPECT_EQ(read(csr::mtval), bits);
        EXPECT_EQ(read(csr::mepc), kRamBase);
        EXPECT_EQ(hart.pc(), kMachineVector);
    }
}

TEST_F(TrapTest, IllegalCompressedInstructionTvalIsItsSixteenBits)
{
    // c.addi4spn a0, sp, 0 (reserved) followed by c.nop: tval must not include the c.nop.
    execute({ 0x00010008 });
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), 0x0008u);
    // c.lui a0, 0 (reserved) at a half-word offset.
    const uint16_t program[] = { 0x0001, 0x6501, 0x0001 };
    std::memcpy(ram.pointer(kRamBase + 0x100), program, sizeof program);
    hart.set_pc(kRamBase + 0x100);
    hart.run(2);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), 0x6501u);
    EXPECT_EQ(read(csr::mepc), kRamBase + 0x102);
}

TEST_F(TrapTest, FetchOutsideMemoryIsAnInstructionAccessFault)
{
    hart.set_pc(0x40000000);
    hart.run(1);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::InstructionAccessFault));
    EXPECT_EQ(read(csr::mepc), 0x40000000u);
    EXPECT_EQ(read(csr::mtval), 0x40000000u);
    EXPECT_EQ(hart.pc(), kMachineVector);
}

// ---- delegation ----

TEST_F(TrapTest, DelegatedEcallFromUserGoesToSupervisor)
{
    write(csr::medeleg, uint64_t { 1 } << 8);
    write(csr::mstatus, status::kSie | (uint64_t { 3 } << status::kMppShift));
    execute({ kEcall }, Privilege::User);
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(hart.pc(), kSupervisorVector);
    EXPECT_EQ(read(csr::scause), cause_of(Exception::EcallFromU));
    EXPECT_EQ(read(csr::sepc), kRamBase);
    EXPECT_EQ(read(csr::stval), 0u);
    const uint64_t s = mstatus();
    EXPECT_EQ(s & status::kSpp, 0u); // came from U
    EXPECT_NE(s & status::kSpie, 0u); // old SIE
    EXPECT_EQ(s & status::kSie, 0u);
    EXPECT_EQ(mpp(), 3u); // M-mode state untouched
    EXPECT_EQ(read(csr::mcause), 0u);
}

TEST_F(TrapTest, DelegatedIllegalInstructionFromSupervisorSetsSppAndStval)
{
    write(csr::medeleg, uint64_t { 1 } << 2);
    execute({ 0xffffffff }, Privilege::Supervisor);
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(hart.pc(), kSupervisorVector);
    EXPECT_EQ(read(csr::scause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::stval), 0xffffffffu);
    EXPECT_NE(mstatus() & status::kSpp, 0u);
    EXPECT_EQ(mstatus() & status::kSpie, 0u);
}

TEST_F(TrapTest, DelegationDoesNotApplyToTrapsInMachineMode)
{
    write(csr::medeleg, 0xb3ff);
    execute({ 0xffffffff });
    EXPECT_EQ(hart.privilege(), Privilege::Machine);
    EXPECT_EQ(hart.pc(), kMachineVector);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::scause), 0u);
}

TEST_F(TrapTest, UndelegatedExceptionFromSupervisorGoesToMachine)
{
    write(csr::medeleg, uint64_t { 1 } << 8); // only U ecalls
    execute({ kEcall }, Privilege::Supervisor);
    EXPECT_EQ(hart.privilege(), Privilege::Machine);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::EcallFromS));
    EXPECT_EQ(mpp(), 1u);
}

// ---- returns ----

TEST_F(TrapTest, MretRestoresPrivilegeAndInterruptEnable)
{
    write(csr::mstatus, (uint64_t { 1 } << status::kMppShift) | status::kMpie);
    write(csr::mepc, kReturnTarget);
    execute({ kMret });
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(hart.pc(), kReturnTarget);
    const uint64_t s = mstatus();
    EXPECT_NE(s & status::kMie, 0u);
    EXPECT_NE(s & status::kMpie, 0u);
    EXPECT_EQ(mpp(), 0u); // U, the least-privileged mode
    // From U, again through M.
    write(csr::mstatus, 0); // MPP = U, MPIE = 0
    execute({ kMret });
    EXPECT_EQ(hart.privilege(), Privilege::User);
    EXPECT_EQ(mstatus() & status::kMie, 0u);
    EXPECT_NE(mstatus() & status::kMpie, 0u);
}

TEST_F(TrapTest, SretRestoresPrivilegeAndSupervisorInterruptEnable)
{
    write(csr::mstatus, status::kSpie); // SPP = U
    write(csr::sepc, kReturnTarget);
    execute({ kSret }, Privilege::Supervisor);
    EXPECT_EQ(hart.privilege(), Privilege::User);
    EXPECT_EQ(hart.pc(), kReturnTarget);
    EXPECT_NE(mstatus() & status::kSie, 0u);
    EXPECT_NE(mstatus() & status::kSpie, 0u);
    EXPECT_EQ(mstatus() & status::kSpp, 0u);
    // SPP = S returns to S; sret is also legal in M-mode.
    write(csr::mstatus, status::kSpp);
    execute({ kSret });
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(mstatus() & status::kSie, 0u);
    EXPECT_EQ(mstatus() & status::kSpp, 0u);
}

TEST_F(TrapTest, MretToALowerModeClearsMprv)
{
    write(csr::mstatus, status::kMprv | (uint64_t { 1 } << status::kMppShift));
    write(csr::mepc, kReturnTarget);
    execute({ kMret });
    EXPECT_EQ(mstatus() & status::kMprv, 0u);
    // Returning to M keeps it.
    write(csr::mstatus, status::kMprv | status::kMpp);
    execute({ kMret });
    EXPECT_EQ(hart.privilege(), Privilege::Machine);
    EXPECT_NE(mstatus() & status::kMprv, 0u);
}

TEST_F(TrapTest, SretClearsMprv)
{
    write(csr::mstatus, status::kMprv | status::kMpp | status::kSpp);
    write(csr::sepc, kReturnTarget);
    execute({ kSret });
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(mstatus() & status::kMprv, 0u);
}

TEST_F(TrapTest, ReturnsAreIllegalBelowTheirPrivilege)
{
    for (Privilege p : { Privilege::Supervisor, Privilege::User }) {
        execute({ kMret }, p);
        EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
        EXPECT_EQ(read(csr::mtval), kMret);
        EXPECT_EQ(hart.privilege(), Privilege::Machine);
    }
    execute({ kSret }, Privilege::User);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), kSret);
}

// ---- trapping virtualization bits ----

TEST_F(TrapTest, TsrMakesSretIllegalInSupervisor)
{
    write(csr::mstatus, status::kTsr);
    execute({ kSret }, Privilege::Supervisor);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), kSret);
    // M-mode is not affected.
    write(csr::mstatus, status::kTsr | status::kSpp);
    write(csr::sepc, kReturnTarget);
    execute({ kSret });
    EXPECT_EQ(hart.pc(), kReturnTarget);
}

TEST_F(TrapTest, TwMakesWfiIllegalInSupervisorAndWfiIsAlwaysIllegalInUser)
{
    write(csr::mstatus, status::kTw);
    execute({ kWfi }, Privilege::Supervisor);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), kWfi);
    write(csr::mstatus, 0);
    write(csr::mcause, 0);
    execute({ kWfi }, Privilege::User);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    // Without TW, S-mode may wait.
    EXPECT_EQ(execute({ kWfi }, Privilege::Supervisor), HartExit::WaitForInterrupt);
}

TEST_F(TrapTest, TvmTrapsSatpAndSfenceInSupervisor)
{
    write(csr::mstatus, status::kTvm);
    execute({ csrr(a0, csr::satp) }, Privilege::Supervisor);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), csrr(a0, csr::satp));
    write(csr::mcause, 0);
    execute({ kSfenceVma }, Privilege::Supervisor);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(read(csr::mtval), kSfenceVma);
    // Without TVM both work in S; sfence.vma is illegal in U regardless.
    write(csr::mstatus, 0);
    write(csr::mcause, 0);
    execute({ csrr(a0, csr::satp), kSfenceVma }, Privilege::Supervisor);
    EXPECT_EQ(hart.pc(), kRamBase + 8);
    EXPECT_EQ(read(csr::mcause), 0u);
    execute({ kSfenceVma }, Privilege::User);
    EXPECT_EQ(read(csr::mcause), cause_of(Exception::IllegalInstruction));
}

// ---- interrupts ----

TEST_F(TrapTest, InterruptSavesThePcOfTheInterruptedInstruction)
{
    place(kRamBase + 0x100, { addi(a0, zero, 1) });
    write(csr::mie, bit(Interrupt::MachineTimer));
    write(csr::mstatus, status::kMie);
    lines.set_machine_timer_compare(0);
    hart.set_pc(kRamBase + 0x100);
    hart.run(1);
    EXPECT_EQ(read(csr::mcause), cause_of(Interrupt::MachineTimer));
    EXPECT_EQ(read(csr::mepc), kRamBase + 0x100);
    EXPECT_EQ(read(csr::mtval), 0u);
    EXPECT_EQ(hart.x(a0), 0u); // not executed
    EXPECT_EQ(hart.x(t6), 0x100u); // direct mode: slot 0
    EXPECT_EQ(mstatus() & (status::kMie | status::kMpie), status::kMpie);
    EXPECT_EQ(hart.instret(), 1u); // only the handler's first instruction retired
}

TEST_F(TrapTest, VectoredMtvecSendsInterruptsToBasePlusFourTimesCause)
{
    write(csr::mtvec, kMachineVector | 1);
    write(csr::mie, bit(Interrupt::MachineTimer));
    write(csr::mstatus, status::kMie);
    lines.set_machine_timer_compare(0);
    execute({ kNop });
    EXPECT_EQ(read(csr::mcause), cause_of(Interrupt::MachineTimer));
    EXPECT_EQ(hart.x(t6), 0x100u + 7);
    EXPECT_EQ(hart.pc(), kMachineVector + 4 * 7 + 4);
    // Exceptions still go to the base.
    lower_every_line();
    execute({ kEcall });
    EXPECT_EQ(hart.pc(), kMachineVector);
}

TEST_F(TrapTest, VectoredStvecForDelegatedInterrupts)
{
    write(csr::stvec, kSupervisorVector | 1);
    write(csr::mideleg, bit(Interrupt::SupervisorExternal));
    write(csr::mie, bit(Interrupt::SupervisorExternal));
    write(csr::mstatus, status::kSie);
    lines.set_level(Interrupt::SupervisorExternal, true);
    execute({ kNop }, Privilege::Supervisor);
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(read(csr::scause), cause_of(Interrupt::SupervisorExternal));
    EXPECT_EQ(read(csr::sepc), kRamBase);
    EXPECT_EQ(hart.x(t6), 0x200u + 9);
    EXPECT_NE(mstatus() & status::kSpp, 0u);
    EXPECT_NE(mstatus() & status::kSpie, 0u);
    EXPECT_EQ(mstatus() & status::kSie, 0u);
}

TEST_F(TrapTest, InterruptPriorityOrder)
{
    // The spec's order: MEI, MSI, MTI, SEI, SSI, STI.
    const std::vector<Interrupt> order = { Interrupt::MachineExternal, Interrupt::MachineSoftware,
        Interrupt::MachineTimer, Interrupt::SupervisorExternal, Interrupt::SupervisorSoftware,
        Interrupt::SupervisorTimer };
    for (size_t first = 0; first < order.size(); ++first) {
        hart.reset(kRamBase);
        write(csr::mtvec, kMachineVector);
        lower_every_line();
        for (size_t i = first; i < order.size(); ++i)
            raise(order[i]);
        write(csr::mie, 0xaaa);
        write(csr::mstatus, status::kMie);
        execute({ kNop });
        EXPECT_EQ(read(csr::mcause), cause_of(order[first]))
            << "with interrupts " << first << ".." << order.size() - 1 << " pending";
    }
}

TEST_F(TrapTest, MachineInterruptsNeedMieOnlyInMachineMode)
{
    write(csr::mie, bit(Interrupt::MachineSoftware));
    lines.set_level(Interrupt::MachineSoftware, true);
    execute({ addi(a0, zero, 1) }); // MIE = 0 in M: not taken
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(read(csr::mcause), 0u);
    execute({ addi(a0, zero, 2) }, Privilege::Supervisor); // below M: taken regardless
    EXPECT_EQ(read(csr::mcause), cause_of(Interrupt::MachineSoftware));
    EXPECT_EQ(hart.privilege(), Privilege::Machine);
    EXPECT_EQ(mpp(), 1u);
    EXPECT_EQ(hart.x(a0), 1u);
}

TEST_F(TrapTest, DisabledInMieIsNeverTaken)
{
    write(csr::mstatus, status::kMie);
    write(csr::mie, bit(Interrupt::MachineExternal));
    lines.set_machine_timer_compare(0);
    lines.set_level(Interrupt::MachineSoftware, true);
    execute({ addi(a0, zero, 1) }, Privilege::User);
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(hart.privilege(), Privilege::User);
}

TEST_F(TrapTest, DelegatedInterruptsAreNotTakenInMachineMode)
{
    write(csr::mideleg, bit(Interrupt::SupervisorSoftware));
    write(csr::mie, bit(Interrupt::SupervisorSoftware));
    write(csr::mip, bit(Interrupt::SupervisorSoftware));
    write(csr::mstatus, status::kMie | status::kSie);
    execute({ addi(a0, zero, 1) });
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(hart.pc(), kRamBase + 4);
    EXPECT_EQ(read(csr::mcause), 0u);
    EXPECT_EQ(read(csr::scause), 0u);
    // In S-mode it needs SIE...
    write(csr::mstatus, 0);
    execute({ addi(a0, zero, 2) }, Privilege::Supervisor);
    EXPECT_EQ(hart.x(a0), 2u);
    EXPECT_EQ(read(csr::scause), 0u);
    write(csr::mstatus, status::kSie);
    execute({ addi(a0, zero, 3) }, Privilege::Supervisor);
    EXPECT_EQ(hart.x(a0), 2u);
    EXPECT_EQ(read(csr::scause), cause_of(Interrupt::SupervisorSoftware));
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    // ...and in U-mode it is taken even with SIE clear.
    write(csr::mstatus, 0);
    write(csr::scause, 0);
    execute({ addi(a0, zero, 4) }, Privilege::User);
    EXPECT_EQ(read(csr::scause), cause_of(Interrupt::SupervisorSoftware));
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(mstatus() & status::kSpp, 0u);
}

TEST_F(TrapTest, EnablingMieWithACsrWriteTakesThePendingInterruptNext)
{
    write(csr::mie, bit(Interrupt::MachineExternal));
    lines.set_level(Interrupt::MachineExternal, true);
    // csrsi mstatus, 8 ; addi a0, zero, 1
    execute({ i_type(0x73, 6, zero, 8, csr::mstatus), addi(a0, zero, 1) });
    EXPECT_EQ(read(csr::mcause), cause_of(Interrupt::MachineExternal));
    EXPECT_EQ(read(csr::mepc), kRamBase + 4);
    EXPECT_EQ(hart.x(a0), 0u);
}

// ---- WFI ----

TEST_F(TrapTest, WfiWithNothingPendingExitsToTheCaller)
{
    EXPECT_EQ(execute({ kWfi, addi(a0, zero, 1) }), HartExit::WaitForInterrupt);
    EXPECT_EQ(hart.pc(), kRamBase + 4);
    EXPECT_EQ(hart.x(a0), 0u);
    // Resuming continues after the wfi.
    EXPECT_EQ(hart.run(1), HartExit::BudgetExhausted);
    EXPECT_EQ(hart.x(a0), 1u);
}

TEST_F(TrapTest, WfiIsANopWhenAnInterruptIsPendingButGloballyDisabled)
{
    write(csr::mie, bit(Interrupt::MachineTimer));
    lines.set_machine_timer_compare(0); // pending, but mstatus.MIE = 0
    EXPECT_EQ(execute({ kWfi, addi(a0, zero, 1) }), HartExit::BudgetExhausted);
    EXPECT_EQ(hart.x(a0), 1u);
    EXPECT_EQ(hart.pc(), kRamBase + 8);
    EXPECT_EQ(read(csr::mcause), 0u);
}

TEST_F(TrapTest, WaitForInterruptReturnsPromptlyWhenSomethingIsPending)
{
    write(csr::mie, bit(Interrupt::MachineExternal));
    lines.set_level(Interrupt::MachineExternal, true);
    const auto start = std::chrono::steady_clock::now();
    hart.wait_for_interrupt();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(TrapTest, WaitForInterruptWakesAtTheTimerCompare)
{
    write(csr::mie, bit(Interrupt::MachineTimer));
    lines.set_machine_timer_compare(clock.ticks() + host::Clock::kFrequency / 50); // 20 ms
    lines.clear_attention();
    const auto start = std::chrono::steady_clock::now();
    hart.wait_for_interrupt();
    const auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_LT(waited, std::chrono::seconds(5));
}

// ---- built-in firmware mode ----

TEST_F(TrapTest, WithFirmwareInHostSupervisorEcallExitsRun)
{
    cpu::Hart sbi_hart { cpu::HartConfig { 0, true }, bus, lines, clock };
    sbi_hart.reset(kRamBase);
    place(kRamBase, { kEcall, addi(a0, zero, 1) });
    sbi_hart.set_privilege(Privilege::Supervisor);
    EXPECT_EQ(sbi_hart.run(10), HartExit::SupervisorCall);
    EXPECT_EQ(sbi_hart.pc(), kRamBase); // at the ecall: the firmware advances it
    EXPECT_EQ(sbi_hart.x(a0), 0u);
    // Any other trap into M is reported, not taken.
    place(kRamBase, { 0xffffffff });
    sbi_hart.set_pc(kRamBase);
    EXPECT_EQ(sbi_hart.run(10), HartExit::MachineTrapNoFirmware);
    EXPECT_EQ(sbi_hart.read_csr_as_machine(csr::mcause), cause_of(Exception::IllegalInstruction));
    EXPECT_EQ(sbi_hart.read_csr_as_machine(csr::mepc), kRamBase);
    EXPECT_EQ(sbi_hart.privilege(), Privilege::Supervisor);
}
