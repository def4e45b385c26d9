// The hart's control and status registers: each with its read view, its writable bits and its
// side effects, and the access rules (privilege, read-only, counter enables, TVM, FS).
#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"

namespace rvisor::cpu {

namespace {

using namespace isa::csr;

constexpr uint64_t kMisa = (2ull << 62) | (1 << ('A' - 'A')) | (1 << ('C' - 'A'))
    | (1 << ('D' - 'A')) | (1 << ('F' - 'A')) | (1 << ('I' - 'A')) | (1 << ('M' - 'A'))
    | (1 << ('S' - 'A')) | (1 << ('U' - 'A'));
constexpr uint64_t kSupervisorInterrupts = bit(Interrupt::SupervisorSoftware)
    | bit(Interrupt::SupervisorTimer) | bit(Interrupt::SupervisorExternal);
constexpr uint64_t kAllInterrupts = kSupervisorInterrupts | bit(Interrupt::MachineSoftware)
    | bit(Interrupt::MachineTimer) | bit(Interrupt::MachineExternal);
// Exceptions that may be delegated: all but ecall from M and the reserved causes.
constexpr uint64_t kDelegableExceptions = 0xb3ff;
constexpr uint64_t kPmpAddressMask = (1ull << 54) - 1;

bool in_range(uint32_t address, uint32_t first, uint32_t last)
{
    return address >= first && address <= last;
}

} // namespace

uint64_t Hart::read_status(uint64_t mask) const
{
    uint64_t value = m_state.mstatus & mask;
    if ((m_state.mstatus & status::kFs) == status::kFs)
        value |= status::kSd;
    return value;
}

void Hart::write_status(uint64_t value, uint64_t mask)
{
    uint64_t updated = (m_state.mstatus & ~mask) | (value & mask);
    if (((updated & status::kMpp) >> status::kMppShift) == 2) // reserved: keep the legal value
        updated = (updated & ~status::kMpp) | (m_state.mstatus & status::kMpp);
    if ((updated ^ m_state.mstatus) & status::kTranslationBits)
        note_translation_state_changed();
    m_state.mstatus = updated;
    refresh_data_privilege();
    m_check_interrupts_now = true;
}

bool Hart::counter_enabled(uint32_t address) const
{
    const uint64_t bit_mask = uint64_t { 1 } << (address & 0x1f);
    if (m_state.privilege == Privilege::Machine)
        return true;
    if (!(m_state.mcounteren & bit_mask))
        return false;
    return m_state.privilege == Privilege::Supervisor || (m_state.scounteren & bit_mask);
}

std::optional<uint64_t> Hart::read_csr(uint32_t address)
{
    if (static_cast<unsigned>(m_state.privilege) < ((address >> 8) & 3))
        return std::nullopt;
    if (in_range(address, isa::csr::cycle, hpmcounter31) && !counter_enabled(address))
        return std::nullopt;
    if (address == satp && m_state.privilege == Privilege::Supervisor
        && (m_state.mstatus & status::kTvm))
        return std::nullopt;
    if (address == stimecmp && m_state.privilege == Privilege::Supervisor
        && (!(m_state.menvcfg & envcfg::kStce) || !(m_state.mcounteren & 2)))
        return std::nullopt;
    if (address <= fcsr && !float_enabled())
        return std::nullopt;

    switch (address) {
    case fflags: return m_state.fflags;
    case frm: return m_state.frm;
    case fcsr: return (uint64_t { m_state.frm } << 5) | m_state.fflags;
    case isa::csr::cycle:
    case isa::csr::instret:
    case mcycle:
    case minstret: return m_state.instret;
    case isa::csr::time: return time();
    case sstatus: return read_status(status::kSupervisorVisible);
    case sie: return m_state.mie & m_state.mideleg;
    case stvec: return m_state.stvec;
    case scounteren: return m_state.scounteren;
    case senvcfg: return m_state.senvcfg;
    case sscratch: return m_state.sscratch;
    case sepc: return m_state.sepc;
    case scause: return m_state.scause;
    case stval: return m_state.stval;
    case sip: return machine_interrupt_pending() & m_state.mideleg;
    case stimecmp: return m_state.stimecmp;
    case satp: return m_state.satp;
    case mvendorid:
    case marchid:
    case mimpid:
    case mconfigptr: return 0;
    case mhartid: return m_config.hart_id;
    case mstatus: return read_status(~uint64_t { 0 });
    case misa: return kMisa;
    case medeleg: return m_state.medeleg;
    case mideleg: return m_state.mideleg;
    case mie: return m_state.mie;
    case mtvec: return m_state.mtvec;
    case mcounteren: return m_state.mcounteren;
    case menvcfg: return m_state.menvcfg;
    case mcountinhibit: return m_state.mcountinhibit;
    case mscratch: return m_state.mscratch;
    case mepc: return m_state.mepc;
    case mcause: return m_state.mcause;
    case mtval: return m_state.mtval;
    case mip: return machine_interrupt_pending();
    default: break;
    }
    if (in_range(address, hpmcounter3, hpmcounter31)
        || in_range(address, mhpmcounter3, mhpmcounter31)
        || in_range(address, mhpmevent3, mhpmevent31))
        return 0; // Zihpm: present, counting no events
    if (in_range(address, pmpcfg0, pmpcfg15)) {
        if (address & 1)
            return std::nullopt; // RV64 has only the even pmpcfg registers
        uint64_t value = 0;
        for (unsigned i = 0; i < 8; ++i)
            value |= uint64_t { m_state.pmpcfg[(address - pmpcfg0) * 4 + i] } << (8 * i);
        return value;
    }
    if (in_range(address, pmpaddr0, pmpaddr63))
        return m_state.pmpaddr[address - pmpaddr0];
    return std::nullopt;
}

bool Hart::write_csr(uint32_t address, uint64_t value)
{
    if ((address >> 10) == 3 || !read_csr(address)) // read-only, or not accessible at all
        return false;

    switch (address) {
    case fflags:
        m_state.fflags = value & 0x1f;
        mark_float_dirty();
        return true;
    case frm:
        m_state.frm = value & 7;
        mark_float_dirty();
        return true;
    case fcsr:
        m_state.fflags = value & 0x1f;
        m_state.frm = (value >> 5) & 7;
        mark_float_dirty();
        return true;
    case mcycle:
    case minstret: m_state.instret = value; return true;
    case sstatus: write_status(value, status::kSupervisorWritable); return true;
    case sie: {
        const uint64_t mask = m_state.mideleg & kSupervisorInterrupts;
        m_state.mie = (m_state.mie & ~mask) | (value & mask);
        m_check_interrupts_now = true;
        return true;
    }
    case stvec: m_state.stvec = value & ~uint64_t { 2 }; return true;
    case scounteren: m_state.scounteren = value & 0xffffffff; return true;
    case senvcfg: m_state.senvcfg = value & envcfg::kFiom; return true;
    case sscratch: m_state.sscratch = value; return true;
    case sepc: m_state.sepc = value & ~uint64_t { 1 }; return true;
    case scause: m_state.scause = value; return true;
    case stval: m_state.stval = value; return true;
    case sip: {
        const uint64_t mask = m_state.mideleg & bit(Interrupt::SupervisorSoftware);
        m_state.mip = (m_state.mip & ~mask) | (value & mask);
        m_check_interrupts_now = true;
        return true;
    }
    case stimecmp:
        m_state.stimecmp = value;
        m_check_interrupts_now = true;
        return true;
    case satp: {
        const uint64_t mode = value >> 60;
        if (mode != 0 && mode != 8 && mode != 9 && mode != 10)
            return true; // an unsupported mode leaves satp as it was
        const uint64_t legal = value & ((0xfull << 60) | (0xffffull << 44) | ((1ull << 44) - 1));
        if (legal != m_state.satp)
            m_tlb.flush();
        m_state.satp = legal;
        return true;
    }
    case mstatus: write_status(value, status::kMachineWritable); return true;
    case misa: return true; // fixed: writes are ignored, as WARL allows
    case medeleg: m_state.medeleg = value & kDelegableExceptions; return true;
    case mideleg:
        m_state.mideleg = value & kSupervisorInterrupts;
        m_check_interrupts_now = true;
        return true;
    case mie:
        m_state.mie = value & kAllInterrupts;
        m_check_interrupts_now = true;
        return true;
    case mtvec: m_state.mtvec = value & ~uint64_t { 2 }; return true;
    case mcounteren: m_state.mcounteren = value & 0xffffffff; return true;
    case menvcfg: m_state.menvcfg = value & (envcfg::kFiom | envcfg::kStce); return true;
    case mcountinhibit: m_state.mcountinhibit = value & 0xfffffffd; return true;
    case mscratch: m_state.mscratch = value; return true;
    case mepc: m_state.mepc = value & ~uint64_t { 1 }; return true;
    case mcause: m_state.mcause = value; return true;
    case mtval: m_state.mtval = value; return true;
    case mip: {
        uint64_t mask = kSupervisorInterrupts;
        if (m_state.menvcfg & envcfg::kStce)
            mask &= ~bit(Interrupt::SupervisorTimer); // then STIP follows stimecmp
        m_state.mip = (m_state.mip & ~mask) | (value & mask);
        m_check_interrupts_now = true;
        return true;
    }
    default: break;
    }
    if (in_range(address, mhpmcounter3, mhpmcounter31)
        || in_range(address, mhpmevent3, mhpmevent31))
        return true;
    if (in_range(address, pmpcfg0, pmpcfg15)) {
        for (unsigned i = 0; i < 8; ++i)
            m_state.pmpcfg[(address - pmpcfg0) * 4 + i] = static_cast<uint8_t>(value >> (8 * i));
        return true;
    }
    if (in_range(address, pmpaddr0, pmpaddr63)) {
        m_state.pmpaddr[address - pmpaddr0] = value & kPmpAddressMask;
        return true;
    }
    return false;
}

uint64_t Hart::read_modify_write_base(uint32_t address, uint64_t read_value) const
{
    // mip's SEIP reads as the OR of the software bit and the PLIC's line, but csrrs/csrrc must
    // modify only the software bit, or a momentary external level would latch forever.
    if (address != mip)
        return read_value;
    const uint64_t seip = bit(Interrupt::SupervisorExternal);
    return (read_value & ~seip) | (m_state.mip & seip);
}

uint64_t Hart::read_csr_as_machine(uint32_t address)
{
    const Privilege saved = m_state.privilege;
    set_privilege(Privilege::Machine);
    auto value = read_csr(address);
    set_privilege(saved);
    return value.value_or(0);
}

void Hart::write_csr_as_machine(uint32_t address, uint64_t value)
{
    const Privilege saved = m_state.privilege;
    set_privilege(Privilege::Machine);
    write_csr(address, value);
    set_privilege(saved);
}

} // namespace rvisor::cpu
