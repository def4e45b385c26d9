// Address translation through a real hart: Sv39 and Sv48 page tables built in guest RAM by the
// test, code run in S- and U-mode, faults checked by cause and tval, A/D updates read back from
// the page-table entries in RAM.
#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"
#include "jit/translator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>

using namespace rvisor;
using cpu::Exception;
using cpu::Privilege;
namespace csr = isa::csr;
namespace status = cpu::status;
namespace pte = cpu::pte;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 4 << 20;
constexpr uint64_t kCodePage = kRamBase; // physical page holding the test code
constexpr uint64_t kTrapVector = kRamBase + 0x1000; // M-mode, untranslated
constexpr uint64_t kDataA = kRamBase + 0x10000; // physical data pages
constexpr uint64_t kDataB = kRamBase + 0x11000;
constexpr uint64_t kDataC = kRamBase + 0x12000;
constexpr uint64_t kTableArea = kRamBase + 0x100000;

// Virtual addresses.
constexpr uint64_t kCode = 0x10000; // supervisor code
constexpr uint64_t kUserCode = 0x50000; // the same physical page, with U set
constexpr uint64_t kData = 0x20000;

constexpr uint64_t R = pte::kRead, W = pte::kWrite, X = pte::kExecute, U = pte::kUser;

// ---- encoders ----
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
constexpr unsigned zero = 0, ra = 1, a0 = 10, a1 = 11, a2 = 12;
constexpr uint32_t ld(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x03, 3, rd, rs1, imm);
}
constexpr uint32_t lw(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x03, 2, rd, rs1, imm);
}
constexpr uint32_t sd(unsigned rs2, unsigned rs1, int32_t imm)
{
    return s_type(0x23, 3, rs1, rs2, imm);
}
constexpr uint32_t jalr(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x67, 0, rd, rs1, imm);
}
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm)
{
    return i_type(0x13, 0, rd, rs1, imm);
}
constexpr uint32_t sfence_vma(unsigned rs1, unsigned rs2)
{
    return 0x12000073 | rs1 << 15 | rs2 << 20;
}
constexpr uint32_t jal_self() // jal zero, 0: a loop in place
{
    return 0x0000006f;
}
constexpr uint32_t kNop = 0x00000013;

static_assert(ld(a0, a1, 8) == 0x0085b503); // GNU as: ld a0, 8(a1)
static_assert(sd(a1, 2, -8) == 0xfeb13c23); // sd a1, -8(sp)
static_assert(sfence_vma(a0, a1) == 0x12b50073);

// Builds a page table tree in RAM: tables are allocated from kTableArea, leaves are written
// without A and D so that the hardware update is observable.
class PageTables {
public:
    PageTables(mem::GuestRam& ram, unsigned levels, uint64_t area = kTableArea)
        : m_ram(ram)
        , m_levels(levels)
        , m_next(area)
    {
        m_root = allocate();
    }

    uint64_t satp() const { return (uint64_t { m_levels + 5 } << 60) | (m_root >> 12); }

    // Maps va to pa with a leaf at `leaf_level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) and returns the
    // leaf PTE's physical address.
    uint64_t map(uint64_t va, uint64_t pa, uint64_t flags, unsigned leaf_level = 0)
    {
        uint64_t table = m_root;
        for (unsigned level = m_levels - 1; level > leaf_level; --level) {
            const uint64_t entry = table + index(va, level) * 8;
            uint64_t value = read64(entry);
            if (!(value & pte::kValid)) {
                value = ((allocate() >> 12) << 10) | pte::kValid;
                write64(entry, value);
            }
            table = (value >> 10) << 12;
        }
        const uint64_t entry = table + index(va, leaf_level) * 8;
        write64(entry, ((pa >> 12) << 10) | flags | pte::kValid);
        return entry;
    }
    // The physical address of the entry for va at `level`, for tests that edit it.
    uint64_t entry(uint64_t va, unsigned level = 0)
    {
        uint64_t table = m_root;
        for (unsigned l = m_levels - 1; l > level; --l)
            table = (read64(table + index(va, l) * 8) >> 10) << 12;
        return table + index(va, level) * 8;
    }

    uint64_t read64(uint64_t address) const
    {
        uint64_t value;
        std::memcpy(&value, m_ram.pointer(address), 8);
        return value;
    }
    void write64(uint64_t address, uint64_t value)
    {
        std::memcpy(m_ram.pointer(address), &value, 8);
    }

private:
    static uint64_t index(uint64_t va, unsigned level) { return (va >> (12 + 9 * level)) & 0x1ff; }
    uint64_t allocate()
    {
        const uint64_t table = m_next;
        m_next += 0x1000;
        std::memset(m_ram.pointer(table), 0, 0x1000);
        return table;
    }

    mem::GuestRam& m_ram;
    unsigned m_levels;
    uint64_t m_next;
    uint64_t m_root;
};

class MmuTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, kRamSize };
    mem::Bus bus { ram };
    cpu::InterruptLines lines;
    host::Clock clock;
    cpu::Hart hart { cpu::HartConfig { 0, false }, bus, lines, clock };
    PageTables tables { ram, 3 };

    void SetUp() override
    {
        hart.reset(kRamBase);
        hart.write_csr_as_machine(csr::mtvec, kTrapVector);
        place(kTrapVector, { kNop });
        write64(kDataA, 0xaaaa0000aaaa0000);
        write64(kDataB, 0xbbbb0000bbbb0000);
        write64(kDataC, 0xcccc0000cccc0000);
    }

    void place(uint64_t physical, std::initializer_list<uint32_t> words)
    {
        uint8_t* p = ram.pointer(physical);
        for (uint32_t word : words) {
            std::memcpy(p, &word, 4);
            p += 4;
        }
    }
    uint64_t read64(uint64_t physical) const { return tables.read64(physical); }
    void write64(uint64_t physical, uint64_t value) { tables.write64(physical, value); }

    // Maps the code page at kCode (S) and kUserCode (U) and turns translation on.
    void enable(PageTables& t)
    {
        t.map(kCode, kCodePage, R | X);
        t.map(kUserCode, kCodePage, R | X | U);
        hart.write_csr_as_machine(csr::satp, t.satp());
    }
    void enable() { enable(tables); }

    // Runs the words (placed in the code page) from its virtual address at `privilege`.
    void run(std::initializer_list<uint32_t> words, Privilege privilege = Privilege::Supervisor,
        unsigned steps = 0)
    {
        place(kCodePage, words);
        hart.set_privilege(privilege);
        hart.set_pc(privilege == Privilege::User ? kUserCode : kCode);
        hart.run(steps ? steps : words.size());
    }
    uint64_t start_of(Privilege privilege) const
    {
        return privilege == Privilege::User ? kUserCode : kCode;
    }

    void expect_no_trap(uint64_t expected_pc)
    {
        EXPECT_EQ(hart.pc(), expected_pc)
            << "trapped: mcause " << hart.read_csr_as_machine(csr::mcause) << " mtval 0x"
            << std::hex << hart.read_csr_as_machine(csr::mtval);
    }
    void expect_fault(Exception cause, uint64_t tval, uint64_t epc)
    {
        EXPECT_EQ(hart.pc(), kTrapVector);
        EXPECT_EQ(hart.privilege(), Privilege::Machine);
        EXPECT_EQ(hart.read_csr_as_machine(csr::mcause), static_cast<uint64_t>(cause));
        EXPECT_EQ(hart.read_csr_as_machine(csr::mtval), tval);
        EXPECT_EQ(hart.read_csr_as_machine(csr::mepc), epc);
    }
    // One load (or store) from `va` at `privilege`: returns a0 or checks the fault.
    void load_expecting_fault(uint64_t va, Privilege privilege = Privilege::Supervisor)
    {
        hart.set_x(a1, va);
        run({ ld(a0, a1, 0) }, privilege);
        expect_fault(Exception::LoadPageFault, va, start_of(privilege));
    }
    uint64_t load_ok(uint64_t va, Privilege privilege = Privilege::Supervisor)
    {
        hart.set_x(a1, va);
        hart.set_x(a0, 0);
        run({ ld(a0, a1, 0) }, privilege);
        expect_no_trap(start_of(privilege) + 4);
        return hart.x(a0);
    }
    void store_expecting_fault(uint64_t va, Privilege privilege = Privilege::Supervisor)
    {
        hart.set_x(a1, va);
        run({ sd(a2, a1, 0) }, privilege);
        expect_fault(Exception::StorePageFault, va, start_of(privilege));
    }
    void store_ok(uint64_t va, uint64_t value, Privilege privilege = Privilege::Supervisor)
    {
        hart.set_x(a1, va);
        hart.set_x(a2, value);
        run({ sd(a2, a1, 0) }, privilege);
        expect_no_trap(start_of(privilege) + 4);
    }
    void fetch_expecting_fault(uint64_t target, Privilege privilege = Privilege::Supervisor)
    {
        hart.set_x(a1, target);
        run({ jalr(zero, a1, 0) }, privilege, 2);
        expect_fault(Exception::InstructionPageFault, target, target);
    }
};

} // namespace

// ---- Sv39 translation ----

TEST_F(MmuTest, Sv39FourKilobytePagesTranslate)
{
    tables.map(kData, kDataA, R | W);
    tables.map(kData + 0x1000, kDataB, R | W);
    enable();
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    EXPECT_EQ(load_ok(kData + 0x1000), 0xbbbb0000bbbb0000u);
    store_ok(kData + 0x1008, 0x1234);
    EXPECT_EQ(read64(kDataB + 8), 0x1234u);
    // Untranslated, the same virtual address is outside RAM: translation really happened.
    EXPECT_NE(kData, kDataA);
}

TEST_F(MmuTest, Sv39MegapageAndGigapageTranslate)
{
    tables.map(0x200000, kRamBase, R | W, 1); // 2 MiB: VA 0x200000 -> PA 0x80000000
    tables.map(0x40000000, kRamBase, R | W, 2); // 1 GiB: VA 0x40000000 -> PA 0x80000000
    enable();
    EXPECT_EQ(load_ok(0x200000 + (kDataA - kRamBase)), 0xaaaa0000aaaa0000u);
    EXPECT_EQ(load_ok(0x200000 + (kDataC - kRamBase)), 0xcccc0000cccc0000u);
    EXPECT_EQ(load_ok(0x40000000 + (kDataB - kRamBase)), 0xbbbb0000bbbb0000u);
    store_ok(0x40000000 + (kDataC - kRamBase) + 8, 77);
    EXPECT_EQ(read64(kDataC + 8), 77u);
}

TEST_F(MmuTest, MisalignedSuperpageIsAPageFault)
{
    tables.map(0x400000, kRamBase + 0x1000, R | W, 1); // megapage, PPN[0] != 0
    tables.map(0x80000000, kRamBase + 0x200000, R | W, 2); // gigapage, PPN[1] != 0
    enable();
    load_expecting_fault(0x400000 + 0x18);
    load_expecting_fault(0x80000000 + 0x10);
    store_expecting_fault(0x400000);
}

TEST_F(MmuTest, CanonicalNegativeAddressesTranslate)
{
    const uint64_t high = 0xffffffffc0000000; // the top gigabyte of Sv39
    tables.map(high + 0x3000, kDataB, R | W);
    enable();
    EXPECT_EQ(load_ok(high + 0x3000), 0xbbbb0000bbbb0000u);
}

TEST_F(MmuTest, NonCanonicalAddressesFault)
{
    enable();
    load_expecting_fault(0x0000004000000000); // bit 38 set, bits 63:39 clear
    store_expecting_fault(0xffff000000001000); // bits 63:39 set, bit 38 clear
    fetch_expecting_fault(0x8000000000000000);
}

TEST_F(MmuTest, InvalidAndReservedEntriesFault)
{
    const uint64_t entry = tables.map(kData, kDataA, R | W);
    tables.map(kData + 0x1000, kDataB, W); // W without R is reserved
    tables.map(kData + 0x2000, kDataC, R | (1ull << 54)); // reserved high bit (no Svpbmt)
    enable();
    write64(entry, read64(entry) & ~pte::kValid);
    load_expecting_fault(kData);
    load_expecting_fault(kData + 0x1000);
    load_expecting_fault(kData + 0x2000);
    load_expecting_fault(kData + 0x5000); // nothing mapped there at all
}

// ---- permissions ----

TEST_F(MmuTest, ReadWriteExecutePermissions)
{
    tables.map(kData, kDataA, R); // read-only
    tables.map(kData + 0x1000, kDataB, X); // execute-only
    tables.map(kData + 0x2000, kDataC, R | W); // no execute
    enable();
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    store_expecting_fault(kData + 8);
    load_expecting_fault(kData + 0x1000);
    fetch_expecting_fault(kData + 0x2000);
}

TEST_F(MmuTest, StoreFaultLeavesMemoryUnchanged)
{
    tables.map(kData, kDataA, R);
    enable();
    write64(kDataA + 8, 5);
    hart.set_x(a2, 6);
    store_expecting_fault(kData + 8);
    EXPECT_EQ(read64(kDataA + 8), 5u);
}

TEST_F(MmuTest, ExecuteOnlyPageRunsCode)
{
    tables.map(0x60000, kDataC, X);
    enable();
    const uint32_t body[] = { addi(a0, zero, 42), kNop };
    std::memcpy(ram.pointer(kDataC), body, sizeof body);
    hart.set_x(a1, 0x60000);
    run({ jalr(zero, a1, 0) }, Privilege::Supervisor, 2);
    expect_no_trap(0x60004);
    EXPECT_EQ(hart.x(a0), 42u);
}

TEST_F(MmuTest, UserModeNeedsTheUserBit)
{
    tables.map(kData, kDataA, R | W); // supervisor page
    tables.map(kData + 0x1000, kDataB, R | W | U); // user page
    enable();
    load_expecting_fault(kData, Privilege::User);
    store_expecting_fault(kData, Privilege::User);
    EXPECT_EQ(load_ok(kData + 0x1000, Privilege::User), 0xbbbb0000bbbb0000u);
    store_ok(kData + 0x1000, 9, Privilege::User);
    EXPECT_EQ(read64(kDataB), 9u);
    // User code may not run from a supervisor page.
    fetch_expecting_fault(kCode, Privilege::User);
}

TEST_F(MmuTest, SupervisorNeedsSumForUserPagesAndNeverExecutesThem)
{
    tables.map(kData, kDataA, R | W | U);
    tables.map(0x60000, kDataC, R | X | U);
    enable();
    load_expecting_fault(kData);
    store_expecting_fault(kData);
    hart.write_csr_as_machine(csr::sstatus, status::kSum);
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    store_ok(kData, 3);
    EXPECT_EQ(read64(kDataA), 3u);
    fetch_expecting_fault(0x60000); // SUM does not allow execution
    hart.write_csr_as_machine(csr::sstatus, 0);
    load_expecting_fault(kData); // and switching it off takes effect at once, with no sfence
}

TEST_F(MmuTest, TranslatedLoadsSeeSumSwitchedOffWithoutSfence)
{
    // Translated code probes the TLB inline; an entry made while SUM was set must not serve a
    // load after it is cleared.
    tables.map(kData, kDataA, R | W | U);
    enable();
    place(kTrapVector, { jal_self() });
    place(kCodePage, { ld(a0, a1, 0), jal_self() });
    jit::Translator translator { hart, jit::TranslatorOptions { .translate_after = 1 } };
    hart.set_privilege(Privilege::Supervisor);
    hart.set_x(a1, kData);
    hart.write_csr_as_machine(csr::sstatus, status::kSum);
    hart.set_pc(kCode);
    translator.run(100);
    expect_no_trap(kCode + 4);
    EXPECT_EQ(hart.x(a0), 0xaaaa0000aaaa0000u);

    hart.write_csr_as_machine(csr::sstatus, 0);
    hart.set_x(a0, 0);
    hart.set_pc(kCode);
    translator.run(100);
    expect_fault(Exception::LoadPageFault, kData, kCode);
    EXPECT_EQ(hart.x(a0), 0u);
}

TEST_F(MmuTest, MxrMakesExecutablePagesReadable)
{
    tables.map(kData, kDataA, X);
    tables.map(kData + 0x1000, kDataB, X | U);
    enable();
    load_expecting_fault(kData);
    hart.write_csr_as_machine(csr::sstatus, status::kMxr);
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    EXPECT_EQ(load_ok(kData + 0x1000, Privilege::User), 0xbbbb0000bbbb0000u);
    store_expecting_fault(kData); // MXR is about loads only
    hart.write_csr_as_machine(csr::sstatus, 0);
    load_expecting_fault(kData); // and switching it off takes effect at once
}

// ---- accessed and dirty bits ----

TEST_F(MmuTest, HardwareSetsAccessedAndDirtyBits)
{
    const uint64_t data_entry = tables.map(kData, kDataA, R | W);
    enable();
    const uint64_t code_entry = tables.entry(kCode);
    const uint64_t middle_entry = tables.entry(kData, 1);
    const uint64_t middle_before = read64(middle_entry);
    ASSERT_EQ(read64(data_entry) & (pte::kAccessed | pte::kDirty), 0u);
    ASSERT_EQ(read64(code_entry) & (pte::kAccessed | pte::kDirty), 0u);

    load_ok(kData);
    EXPECT_EQ(read64(data_entry) & (pte::kAccessed | pte::kDirty), pte::kAccessed);
    EXPECT_EQ(read64(code_entry) & (pte::kAccessed | pte::kDirty), pte::kAccessed);

    store_ok(kData + 8, 1);
    EXPECT_EQ(read64(data_entry) & (pte::kAccessed | pte::kDirty), pte::kAccessed | pte::kDirty);
    EXPECT_EQ(read64(code_entry) & pte::kDirty, 0u);
    EXPECT_EQ(read64(middle_entry), middle_before); // non-leaf entries are not touched
}

TEST_F(MmuTest, FaultingAccessDoesNotSetAccessedOrDirty)
{
    const uint64_t entry = tables.map(kData, kDataA, R); // not writable
    enable();
    store_expecting_fault(kData);
    EXPECT_EQ(read64(entry) & (pte::kAccessed | pte::kDirty), 0u);
}

TEST_F(MmuTest, StoreAfterLoadStillSetsDirty)
{
    // A load caches the translation; the following store must still mark the page dirty.
    const uint64_t entry = tables.map(kData, kDataA, R | W);
    enable();
    hart.set_x(a1, kData);
    hart.set_x(a2, 99);
    run({ ld(a0, a1, 0), sd(a2, a1, 0) });
    expect_no_trap(kCode + 8);
    EXPECT_EQ(read64(entry) & pte::kDirty, pte::kDirty);
    EXPECT_EQ(read64(kDataA), 99u);
}

// ---- TLB maintenance ----

TEST_F(MmuTest, SfenceVmaMakesAChangedEntryVisible)
{
    const uint64_t entry = tables.map(kData, kDataA, R | W);
    enable();
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    write64(entry, ((kDataB >> 12) << 10) | R | W | pte::kValid);
    hart.set_x(a1, kData);
    run({ sfence_vma(zero, zero), ld(a0, a1, 0) });
    expect_no_trap(kCode + 8);
    EXPECT_EQ(hart.x(a0), 0xbbbb0000bbbb0000u);
    // The single-address form, too.
    write64(entry, ((kDataC >> 12) << 10) | R | W | pte::kValid);
    run({ sfence_vma(a1, zero), ld(a0, a1, 0) });
    expect_no_trap(kCode + 8);
    EXPECT_EQ(hart.x(a0), 0xcccc0000cccc0000u);
}

TEST_F(MmuTest, SfenceVmaAfterRevokingPermissionFaults)
{
    const uint64_t entry = tables.map(kData, kDataA, R | W);
    enable();
    store_ok(kData, 1);
    write64(entry, read64(entry) & ~W);
    hart.set_x(a1, kData);
    run({ sfence_vma(a1, zero), sd(a2, a1, 0) });
    expect_fault(Exception::StorePageFault, kData, kCode + 4);
}

TEST_F(MmuTest, SfenceVmaAfterChangingASuperpage)
{
    const uint64_t entry = tables.map(0x200000, kRamBase, R | W, 1);
    enable();
    EXPECT_EQ(load_ok(0x200000 + (kDataA - kRamBase)), 0xaaaa0000aaaa0000u);
    write64(entry, 0);
    hart.set_x(a1, 0x200000 + (kDataA - kRamBase));
    run({ sfence_vma(a1, zero), ld(a0, a1, 0) });
    expect_fault(Exception::LoadPageFault, 0x200000 + (kDataA - kRamBase), kCode + 4);
}

TEST_F(MmuTest, TranslatedCodeJumpsToTheNewPageAfterSfenceVmaOfIt)
{
    // The translator caches indirect-jump targets by virtual pc; a flush of one page must drop
    // that page's targets (and only a flush of a page its entries may hold needs to).
    constexpr uint64_t kTarget = 0x30000;
    constexpr uint64_t kFirst = kRamBase + 0x20000, kSecond = kRamBase + 0x21000;
    place(kFirst, { addi(a0, zero, 1), jalr(zero, ra, 0) });
    place(kSecond, { addi(a0, zero, 2), jalr(zero, ra, 0) });
    const uint64_t entry = tables.map(kTarget, kFirst, R | X);
    tables.map(kData, kDataA, R | W);
    enable();
    place(kCodePage,
        { jalr(ra, a2, 0), jal_self(), sfence_vma(a1, zero), jalr(ra, a2, 0), jal_self() });
    jit::Translator translator { hart, jit::TranslatorOptions { .translate_after = 1 } };
    hart.set_privilege(Privilege::Supervisor);
    hart.set_x(a2, kTarget);
    hart.set_pc(kCode);
    translator.run(100);
    expect_no_trap(kCode + 4);
    EXPECT_EQ(hart.x(a0), 1u);

    // A flush of another page keeps the target.
    hart.set_x(a1, kData);
    hart.set_pc(kCode + 8);
    translator.run(100);
    expect_no_trap(kCode + 16);
    EXPECT_EQ(hart.x(a0), 1u);

    write64(entry, ((kSecond >> 12) << 10) | R | X | pte::kValid);
    hart.set_x(a1, kTarget);
    hart.set_pc(kCode + 8);
    translator.run(100);
    expect_no_trap(kCode + 16);
    EXPECT_EQ(hart.x(a0), 2u);
}

TEST_F(MmuTest, SfenceVmaOfAnAddressOutsideASuperpageKeepsTheSuperpage)
{
    // A superpage's cached slices go with a flush of any address inside it, even one whose
    // own slice was never cached; a 4 KiB page elsewhere stays usable.
    const uint64_t big = tables.map(0x40000000, kRamBase, R | W, 1);
    tables.map(kData, kDataA, R | W);
    enable();
    EXPECT_EQ(load_ok(0x40000000 + (kDataB - kRamBase)), 0xbbbb0000bbbb0000u);
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    write64(big, 0);
    hart.set_x(a1, 0x40000000 + 0x1000);
    run({ sfence_vma(a1, zero), kNop });
    expect_no_trap(kCode + 8);
    load_expecting_fault(0x40000000 + (kDataB - kRamBase));
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
}

TEST_F(MmuTest, SatpWriteSwitchesAddressSpaces)
{
    tables.map(kData, kDataA, R | W);
    enable();
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    // A second tree maps the same virtual address elsewhere.
    PageTables other { ram, 3, kTableArea + 0x80000 };
    other.map(kData, kDataB, R | W);
    enable(other);
    EXPECT_EQ(load_ok(kData), 0xbbbb0000bbbb0000u);
    enable(tables);
    EXPECT_EQ(load_ok(kData), 0xaaaa0000aaaa0000u);
    // Bare: S-mode sees physical addresses. (The code's physical address is its virtual one.)
    hart.write_csr_as_machine(csr::satp, 0);
    place(kCodePage, { ld(a0, a1, 0) });
    hart.set_x(a1, kDataC);
    hart.set_pc(kCodePage);
    hart.run(1);
    expect_no_trap(kCodePage + 4);
    EXPECT_EQ(hart.x(a0), 0xcccc0000cccc0000u);
}

// ---- MPRV ----

TEST_F(MmuTest, MprvWithMppSupervisorTranslatesMachineLoadsAndStores)
{
    tables.map(kData, kDataA, R | W);
    tables.map(kData + 0x1000, kDataB, R | W | U);
    enable();
    hart.write_csr_as_machine(csr::mstatus, status::kMprv | (uint64_t { 1 } << status::kMppShift));
    // M-mode code runs from its physical address: fetches are not affected by MPRV.
    place(kRamBase + 0x2000, { ld(a0, a1, 0), sd(a2, a1, 8) });
    hart.set_privilege(Privilege::Machine);
    hart.set_x(a1, kData);
    hart.set_x(a2, 55);
    hart.set_pc(kRamBase + 0x2000);
    hart.run(2);
    expect_no_trap(kRamBase + 0x2008);
    EXPECT_EQ(hart.x(a0), 0xaaaa0000aaaa0000u);
    EXPECT_EQ(read64(kDataA + 8), 55u);
    // S rules apply, SUM included.
    hart.set_x(a1, kData + 0x1000);
    hart.set_pc(kRamBase + 0x2000);
    hart.run(1);
    expect_fault(Exception::LoadPageFault, kData + 0x1000, kRamBase + 0x2000);
}

TEST_F(MmuTest, WithoutMprvMachineModeIsUntranslated)
{
    tables.map(kData, kDataA, R | W);
    enable();
    place(kRamBase + 0x2000, { ld(a0, a1, 0) });
    hart.set_privilege(Privilege::Machine);
    hart.set_x(a1, kDataB); // a physical address
    hart.set_pc(kRamBase + 0x2000);
    hart.run(1);
    expect_no_trap(kRamBase + 0x2004);
    EXPECT_EQ(hart.x(a0), 0xbbbb0000bbbb0000u);
}

// ---- accesses that span pages ----

TEST_F(MmuTest, MisalignedAccessSpansTwoPhysicallyUnrelatedPages)
{
    tables.map(0x40000, kDataC, R | W);
    tables.map(0x41000, kDataA, R | W); // the next virtual page is a lower physical page
    enable();
    write64(kDataC + 0xff8, 0x4433221100000000);
    write64(kDataA, 0x00000000bbaa9988);
    hart.set_x(a1, 0x40ffc);
    run({ ld(a0, a1, 0) });
    expect_no_trap(kCode + 4);
    EXPECT_EQ(hart.x(a0), 0xbbaa998844332211u);
    hart.set_x(a2, 0x0102030405060708);
    run({ sd(a2, a1, 2) }); // 0x40ffe..0x41005
    expect_no_trap(kCode + 4);
    EXPECT_EQ(ram.pointer(kDataC)[0xffe], 0x08);
    EXPECT_EQ(ram.pointer(kDataC)[0xfff], 0x07);
    EXPECT_EQ(ram.pointer(kDataA)[0], 0x06);
    EXPECT_EQ(ram.pointer(kDataA)[5], 0x01);
}

TEST_F(MmuTest, SpanningStoreIntoAReadOnlyPageChangesNothing)
{
    tables.map(0x40000, kDataC, R | W);
    tables.map(0x41000, kDataA, R);
    enable();
    write64(kDataC + 0xff8, 0);
    hart.set_x(a1, 0x40ffc);
    hart.set_x(a2, ~uint64_t { 0 });
    run({ sd(a2, a1, 0) });
    EXPECT_EQ(hart.pc(), kTrapVector);
    EXPECT_EQ(
        hart.read_csr_as_machine(csr::mcause), static_cast<uint64_t>(Exception::StorePageFault));
    EXPECT_EQ(hart.read_csr_as_machine(csr::mepc), kCode);
    // tval is an address inside the access (the spec allows the faulting portion's address).
    const uint64_t tval = hart.read_csr_as_machine(csr::mtval);
    EXPECT_GE(tval, 0x40ffcu);
    EXPECT_LT(tval, 0x41004u);
    EXPECT_EQ(read64(kDataC + 0xff8), 0u); // all or nothing
    EXPECT_EQ(read64(kDataA), 0xaaaa0000aaaa0000u);
}

TEST_F(MmuTest, InstructionSpanningTwoPages)
{
    tables.map(0x70000, kDataC, R | X);
    tables.map(0x71000, kDataA, R | X);
    enable();
    // addi a0, zero, 77 split over the boundary: low half at the end of one page.
    const uint32_t insn = addi(a0, zero, 77);
    const uint16_t low = static_cast<uint16_t>(insn), high = static_cast<uint16_t>(insn >> 16);
    std::memcpy(ram.pointer(kDataC + 0xffe), &low, 2);
    std::memcpy(ram.pointer(kDataA), &high, 2);
    hart.set_x(a1, 0x70ffe);
    run({ jalr(zero, a1, 0) }, Privilege::Supervisor, 2);
    expect_no_trap(0x71002);
    EXPECT_EQ(hart.x(a0), 77u);
    // With the second page unmapped, the fault names the second half; mepc the instruction.
    write64(tables.entry(0x71000), 0);
    hart.write_csr_as_machine(csr::satp, 0);
    hart.write_csr_as_machine(csr::satp, tables.satp()); // flush
    run({ jalr(zero, a1, 0) }, Privilege::Supervisor, 2);
    expect_fault(Exception::InstructionPageFault, 0x71000, 0x70ffe);
}

// ---- delegation of page faults ----

TEST_F(MmuTest, DelegatedPageFaultGoesToSupervisorWithStval)
{
    enable();
    hart.write_csr_as_machine(csr::medeleg, uint64_t { 1 } << 13);
    hart.write_csr_as_machine(csr::stvec, kCode + 0x100);
    hart.set_x(a1, 0x123000);
    run({ ld(a0, a1, 0) }, Privilege::User);
    EXPECT_EQ(hart.privilege(), Privilege::Supervisor);
    EXPECT_EQ(hart.pc(), kCode + 0x100);
    EXPECT_EQ(
        hart.read_csr_as_machine(csr::scause), static_cast<uint64_t>(Exception::LoadPageFault));
    EXPECT_EQ(hart.read_csr_as_machine(csr::stval), 0x123000u);
    EXPECT_EQ(hart.read_csr_as_machine(csr::sepc), kUserCode);
    EXPECT_EQ(hart.read_csr_as_machine(csr::mcause), 0u);
}

// ---- Sv48 ----

TEST_F(MmuTest, Sv48FourLevelTranslation)
{
    PageTables sv48 { ram, 4, kTableArea + 0x80000 };
    const uint64_t far = 0x0000123456789000; // beyond Sv39's reach
    sv48.map(far, kDataB, R | W);
    sv48.map(0x0000400000000000ull + 0x200000, kRamBase, R | W, 1); // a 2 MiB page up high
    enable(sv48);
    EXPECT_EQ(load_ok(far), 0xbbbb0000bbbb0000u);
    EXPECT_EQ(load_ok(0x0000400000000000ull + 0x200000 + (kDataC - kRamBase)), 0xcccc0000cccc0000u);
    load_expecting_fault(0x0000800000000000); // bit 47 set, upper bits clear
    // The same address under Sv39 is not canonical.
    enable(tables);
    load_expecting_fault(far);
}

TEST_F(MmuTest, Sv57FiveLevelTranslation)
{
    PageTables sv57 { ram, 5, kTableArea + 0x80000 };
    const uint64_t far = 0x0004000000002000; // bit 50: only Sv57 reaches it
    sv57.map(far, kDataC, R | W);
    enable(sv57);
    EXPECT_EQ(hart.read_csr_as_machine(csr::satp) >> 60, 10u);
    EXPECT_EQ(load_ok(far), 0xcccc0000cccc0000u);
    load_expecting_fault(0x0100000000000000); // bit 56 set, upper bits clear
}

// ---- atomics ----

TEST_F(MmuTest, AmoNeedsWritePermissionAndLoadReservedOnlyRead)
{
    tables.map(kData, kDataA, R);
    enable();
    constexpr uint32_t amoadd_d = 0x00c5b52f; // amoadd.d a0, a2, (a1)
    constexpr uint32_t lr_d = 0x1005b52f; // lr.d a0, (a1)
    hart.set_x(a1, kData);
    run({ amoadd_d });
    expect_fault(Exception::StorePageFault, kData, kCode);
    EXPECT_EQ(read64(kDataA), 0xaaaa0000aaaa0000u);
    run({ lr_d });
    expect_no_trap(kCode + 4);
    EXPECT_EQ(hart.x(a0), 0xaaaa0000aaaa0000u);
}
