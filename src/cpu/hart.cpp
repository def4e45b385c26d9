#include "cpu/hart.h"

#include "cpu/status_bits.h"
#include "isa/decoder.h"

#include <cstring>

namespace rvisor::cpu {

namespace {

constexpr uint64_t kCheckInterval = 512;

} // namespace

Hart::Hart(
    const HartConfig& config, const mem::Bus& bus, InterruptLines& lines, const host::Clock& clock)
    : m_config(config)
    , m_bus(bus)
    , m_lines(lines)
    , m_clock(clock)
{
    reset(0);
}

void Hart::reset(uint64_t reset_pc)
{
    HartState state;
    state.pc = reset_pc;
    load_state(state);
}

void Hart::load_state(const HartState& state)
{
    m_state = state;
    m_tlb.flush();
    refresh_data_privilege();
    m_check_interrupts_now = true;
    // Whatever was translated before may not be what the restarted hart will find.
    m_code_flush_requested.store(true);
}

void Hart::set_privilege(Privilege privilege)
{
    m_state.privilege = privilege;
    refresh_data_privilege();
}

HartExit Hart::run(uint64_t budget, bool until_jump)
{
    m_exit_requested = false;
    m_exit = HartExit::BudgetExhausted;
    m_inside_run.store(true);
    uint64_t until_check = 1;
    while (budget-- > 0) {
        if (--until_check == 0 || m_lines.attention() || m_check_interrupts_now) {
            until_check = kCheckInterval;
            if (!service_events())
                break;
        }
        uint32_t bits;
        m_trapped = false;
        // The common case inline: the whole instruction on a RAM page the TLB knows.
        uint8_t* host = (m_state.pc & 0xfff) <= 0xffc
            ? m_tlb.lookup(
                static_cast<unsigned>(Access::Fetch), m_state.pc, tlb_tag_bits(Access::Fetch))
            : nullptr;
        if (host) [[likely]] {
            std::memcpy(&bits, host, 4);
            if (isa::is_compressed(bits))
                bits &= 0xffff;
        } else if (!fetch(bits)) {
            if (m_exit_requested)
                break;
            continue;
        }
        const isa::DecodedInstruction& insn = m_decode_cache.decode(m_state.pc, bits);
        if (m_tracer) [[unlikely]]
            m_tracer(*this, insn);
        const uint64_t next_pc = m_state.pc + insn.length;
        execute(insn);
        if (!m_trapped)
            ++m_state.instret;
        if (m_exit_requested || (until_jump && m_state.pc != next_pc))
            break;
    }
    m_inside_run.store(false);
    return m_exit;
}

bool Hart::service_events()
{
    m_lines.clear_attention();
    m_check_interrupts_now = false;
    if (m_tlb_flush_requested.load(std::memory_order_relaxed)
        && m_tlb_flush_requested.exchange(false))
        m_tlb.flush();
    if (auto interrupt = pending_interrupt()) {
        take_trap(static_cast<uint64_t>(*interrupt), true, 0);
        if (m_exit_requested)
            return false;
    }
    return true;
}

void Hart::wait_for_interrupt()
{
    m_lines.clear_attention();
    if (interrupts_pending_ignoring_enables())
        return;
    uint64_t timer = m_lines.machine_timer_compare();
    if (m_state.menvcfg & envcfg::kStce)
        timer = std::min(timer, m_state.stimecmp);
    const auto deadline = m_clock.time_point_of(timer);
    if (!m_config.halt_polling) {
        m_lines.wait_until(deadline);
        return;
    }
    if (m_halt_poll.poll(m_lines, deadline))
        return;
    const auto start = HaltPoll::Clock::now();
    m_lines.wait_until(deadline);
    m_halt_poll.slept(HaltPoll::Clock::now() - start, m_lines.attention());
}

// ---- traps and interrupts ----

void Hart::raise_exception(Exception cause, uint64_t tval)
{
    take_trap(static_cast<uint64_t>(cause), false, tval);
}

void Hart::take_trap(uint64_t cause, bool interrupt, uint64_t tval)
{
    m_trapped = true;
    const uint64_t delegation = interrupt ? m_state.mideleg : m_state.medeleg;
    const bool to_supervisor
        = m_state.privilege != Privilege::Machine && ((delegation >> cause) & 1) != 0;
    const uint64_t cause_value = cause | (interrupt ? uint64_t { 1 } << 63 : 0);

    if (!to_supervisor && m_config.firmware_in_host) {
        m_exit_requested = true;
        if (!interrupt && cause == static_cast<uint64_t>(Exception::EcallFromS)) {
            m_exit = HartExit::SupervisorCall;
            return;
        }
        // Kept for the report; there is no M-mode software to see them.
        m_state.mepc = m_state.pc;
        m_state.mcause = cause_value;
        m_state.mtval = tval;
        m_exit = HartExit::MachineTrapNoFirmware;
        return;
    }

    if (to_supervisor) {
        m_state.sepc = m_state.pc;
        m_state.scause = cause_value;
        m_state.stval = tval;
        uint64_t s = m_state.mstatus;
        s = (s & ~status::kSpie) | ((s & status::kSie) ? status::kSpie : 0);
        s &= ~status::kSie;
        s = (s & ~status::kSpp) | (m_state.privilege == Privilege::Supervisor ? status::kSpp : 0);
        m_state.mstatus = s;
        m_state.privilege = Privilege::Supervisor;
        refresh_data_privilege();
        m_state.pc = (m_state.stvec & ~uint64_t { 3 })
            + ((m_state.stvec & 1) && interrupt ? 4 * cause : 0);
    } else {
        m_state.mepc = m_state.pc;
        m_state.mcause = cause_value;
        m_state.mtval = tval;
        uint64_t s = m_state.mstatus;
        s = (s & ~status::kMpie) | ((s & status::kMie) ? status::kMpie : 0);
        s &= ~status::kMie;
        s = (s & ~status::kMpp) | (static_cast<uint64_t>(m_state.privilege) << status::kMppShift);
        m_state.mstatus = s;
        m_state.privilege = Privilege::Machine;
        refresh_data_privilege();
        m_state.pc = (m_state.mtvec & ~uint64_t { 3 })
            + ((m_state.mtvec & 1) && interrupt ? 4 * cause : 0);
    }
}

void Hart::return_from_trap(Privilege from)
{
    uint64_t s = m_state.mstatus;
    if (from == Privilege::Machine) {
        auto previous = static_cast<Privilege>((s & status::kMpp) >> status::kMppShift);
        s = (s & ~status::kMie) | ((s & status::kMpie) ? status::kMie : 0);
        s |= status::kMpie;
        s &= ~status::kMpp; // MPP becomes U, the least-privileged mode
        if (previous != Privilege::Machine)
            s &= ~status::kMprv;
        m_state.privilege = previous;
        m_state.pc = m_state.mepc;
    } else {
        auto previous = (s & status::kSpp) ? Privilege::Supervisor : Privilege::User;
        s = (s & ~status::kSie) | ((s & status::kSpie) ? status::kSie : 0);
        s |= status::kSpie;
        s &= ~status::kSpp;
        s &= ~status::kMprv; // previous is never M
        m_state.privilege = previous;
        m_state.pc = m_state.sepc;
    }
    if ((s ^ m_state.mstatus) & status::kMprv)
        note_translation_state_changed();
    m_state.mstatus = s;
    refresh_data_privilege();
    m_check_interrupts_now = true;
}

uint64_t Hart::machine_interrupt_pending()
{
    if (m_lines.take_software_supervisor_request())
        m_state.mip |= bit(Interrupt::SupervisorSoftware);
    const uint64_t now = time();
    uint64_t pending = m_state.mip | m_lines.levels();
    pending &= ~bit(Interrupt::SupervisorSoftware) | m_state.mip; // SSIP lives only in m_state.mip
    if (now >= m_lines.machine_timer_compare())
        pending |= bit(Interrupt::MachineTimer);
    if (m_state.menvcfg & envcfg::kStce) {
        pending &= ~bit(Interrupt::SupervisorTimer);
        if (now >= m_state.stimecmp)
            pending |= bit(Interrupt::SupervisorTimer);
    }
    return pending;
}

bool Hart::interrupts_pending_ignoring_enables()
{
    return (machine_interrupt_pending() & m_state.mie) != 0;
}

std::optional<Interrupt> Hart::pending_interrupt()
{
    const uint64_t pending = machine_interrupt_pending() & m_state.mie;
    if (pending == 0)
        return std::nullopt;
    const bool machine_enabled
        = m_state.privilege != Privilege::Machine || (m_state.mstatus & status::kMie) != 0;
    const bool supervisor_enabled = m_state.privilege == Privilege::User
        || (m_state.privilege == Privilege::Supervisor && (m_state.mstatus & status::kSie) != 0);
    // Interrupts for M-mode come before those delegated to S-mode; within each, the spec's order.
    for (uint64_t takeable : { machine_enabled ? pending & ~m_state.mideleg : 0,
             supervisor_enabled ? pending & m_state.mideleg : 0 }) {
        for (Interrupt interrupt : { Interrupt::MachineExternal, Interrupt::MachineSoftware,
                 Interrupt::MachineTimer, Interrupt::SupervisorExternal,
                 Interrupt::SupervisorSoftware, Interrupt::SupervisorTimer }) {
            if (takeable & bit(interrupt))
                return interrupt;
        }
    }
    return std::nullopt;
}

// ---- memory ----

uint8_t* Hart::host_pointer_slow(uint64_t address, Access access, bool& faulted, uint64_t& physical)
{
    const Privilege privilege = effective_privilege(access);
    const auto kind = static_cast<unsigned>(access);
    const bool paged = privilege != Privilege::Machine && (m_state.satp >> 60) != 0;
    uint64_t mapping_size = 0x1000;
    if (paged) {
        auto translated = walk_page_table(address, access, privilege, mapping_size);
        if (!translated) {
            faulted = true;
            return nullptr;
        }
        physical = *translated;
    } else {
        physical = address;
    }
    const mem::GuestRam& ram = m_bus.ram();
    const uint64_t page = physical & ~uint64_t { 0xfff };
    if (!ram.contains(page, 0x1000))
        return nullptr;
    ram.populate_around(page);
    m_tlb.insert(kind, address, tlb_tag_bits(access), ram.pointer(page), mapping_size);
    return ram.pointer(physical);
}

std::optional<uint64_t> Hart::walk_page_table(
    uint64_t address, Access access, Privilege privilege, uint64_t& mapping_size)
{
    const Exception fault = access == Access::Fetch ? Exception::InstructionPageFault
        : access == Access::Load                    ? Exception::LoadPageFault
                                                    : Exception::StorePageFault;
    const unsigned levels = static_cast<unsigned>(m_state.satp >> 60) - 5; // Sv39 = 8 → 3 levels
    const unsigned virtual_bits = 12 + 9 * levels;
    // The address must be the sign extension of its low virtual_bits bits.
    if (static_cast<uint64_t>(
            static_cast<int64_t>(address << (64 - virtual_bits)) >> (64 - virtual_bits))
        != address) {
        raise_exception(fault, address);
        return std::nullopt;
    }
    uint64_t table = (m_state.satp & ((uint64_t { 1 } << 44) - 1)) << 12;
    for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
        const uint64_t vpn = (address >> (12 + 9 * level)) & 0x1ff;
        const uint64_t pte_address = table + vpn * 8;
        const mem::GuestRam& ram = m_bus.ram();
        if (!ram.contains(pte_address, 8)) {
            raise_exception(access == Access::Fetch ? Exception::InstructionAccessFault
                    : access == Access::Load        ? Exception::LoadAccessFault
                                                    : Exception::StoreAccessFault,
                address);
            return std::nullopt;
        }
        auto* pte_pointer = reinterpret_cast<uint64_t*>(ram.pointer(pte_address));
        uint64_t pte = __atomic_load_n(pte_pointer, __ATOMIC_RELAXED);
        for (;;) {
            const bool valid = pte & pte::kValid;
            const bool readable = pte & pte::kRead;
            const bool writable = pte & pte::kWrite;
            const bool executable = pte & pte::kExecute;
            if (!valid || (!readable && writable) || (pte >> 54) != 0) {
                raise_exception(fault, address);
                return std::nullopt;
            }
            if (!readable && !executable) {
                if (level == 0) {
                    raise_exception(fault, address);
                    return std::nullopt;
                }
                break; // a pointer to the next level
            }
            // A leaf: check permissions.
            const bool user_page = pte & pte::kUser;
            bool allowed;
            if (access == Access::Fetch)
                allowed = executable;
            else if (access == Access::Load)
                allowed = readable || (executable && (m_state.mstatus & status::kMxr));
            else
                allowed = writable;
            if (privilege == Privilege::User && !user_page)
                allowed = false;
            if (privilege == Privilege::Supervisor && user_page
                && (access == Access::Fetch || !(m_state.mstatus & status::kSum)))
                allowed = false;
            const uint64_t ppn = (pte >> 10) & ((uint64_t { 1 } << 44) - 1);
            const uint64_t low_ppn_mask = (uint64_t { 1 } << (9 * level)) - 1;
            if (!allowed || (ppn & low_ppn_mask) != 0) {
                raise_exception(fault, address);
                return std::nullopt;
            }
            // Hardware A/D update (the privileged spec 1.12's permitted option), atomically, so
            // a concurrent change by another hart is not lost.
            uint64_t updated = pte | pte::kAccessed | (access == Access::Store ? pte::kDirty : 0);
            if (updated != pte
                && !__atomic_compare_exchange_n(
                    pte_pointer, &pte, updated, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                continue; // the PTE changed under us: check it again
            const uint64_t offset_mask = (uint64_t { 1 } << (12 + 9 * level)) - 1;
            mapping_size = offset_mask + 1;
            return ((ppn << 12) & ~offset_mask) | (address & offset_mask);
        }
        table = ((pte >> 10) & ((uint64_t { 1 } << 44) - 1)) << 12;
    }
    raise_exception(fault, address);
    return std::nullopt;
}

bool Hart::fetch(uint32_t& bits)
{
    bool faulted;
    uint64_t physical = 0;
    const uint64_t pc = m_state.pc;
    // Only when run()'s inline TLB hit failed: a miss (the walk fills the TLB), MMIO (the boot
    // ROM), or an instruction that crosses a page. Fetched in halves, as C allows.
    auto fetch_half = [&](uint64_t address, uint16_t& half) {
        uint8_t* host = host_pointer(address, Access::Fetch, faulted, physical);
        if (faulted)
            return false;
        if (host) {
            std::memcpy(&half, host, 2);
            return true;
        }
        auto value = m_bus.read(physical, 2);
        if (!value) {
            raise_exception(Exception::InstructionAccessFault, address);
            return false;
        }
        half = static_cast<uint16_t>(*value);
        return true;
    };
    uint16_t low, high;
    if (!fetch_half(pc, low))
        return false;
    if (isa::is_compressed(low)) {
        bits = low;
        return true;
    }
    if (!fetch_half(pc + 2, high))
        return false;
    bits = low | (uint32_t { high } << 16);
    return true;
}

template <typename T> std::optional<T> Hart::load_slow(uint64_t address)
{
    bool faulted;
    uint64_t physical = 0;
    if ((address & 0xfff) + sizeof(T) <= 0x1000) {
        uint8_t* host = host_pointer(address, Access::Load, faulted, physical);
        if (host) {
            T value;
            std::memcpy(&value, host, sizeof(T));
            return value;
        }
        if (faulted)
            return std::nullopt;
        if ((address & (sizeof(T) - 1)) == 0) {
            if (auto value = m_bus.read(physical, sizeof(T)))
                return static_cast<T>(*value);
            raise_exception(Exception::LoadAccessFault, address);
            return std::nullopt;
        }
    }
    // Misaligned across a page or into MMIO: byte by byte, each translated.
    uint64_t value = 0;
    for (unsigned i = 0; i < sizeof(T); ++i) {
        auto byte = load<uint8_t>(address + i);
        if (!byte)
            return std::nullopt;
        value |= uint64_t { *byte } << (8 * i);
    }
    return static_cast<T>(value);
}

template <typename T> bool Hart::store_slow(uint64_t address, T value)
{
    bool faulted;
    uint64_t physical = 0;
    if ((address & 0xfff) + sizeof(T) <= 0x1000) {
        uint8_t* host = host_pointer(address, Access::Store, faulted, physical);
        if (host) {
            std::memcpy(host, &value, sizeof(T));
            return true;
        }
        if (faulted)
            return false;
        if ((address & (sizeof(T) - 1)) == 0) {
            if (m_bus.write(physical, sizeof(T), value))
                return true;
            raise_exception(Exception::StoreAccessFault, address);
            return false;
        }
    } else {
        // Crossing a page: both pages must be writable before any byte is, so the store is
        // all or nothing.
        host_pointer(address + sizeof(T) - 1, Access::Store, faulted, physical);
        if (faulted)
            return false;
    }
    for (unsigned i = 0; i < sizeof(T); ++i) {
        if (!store<uint8_t>(address + i, static_cast<uint8_t>(uint64_t { value } >> (8 * i))))
            return false;
    }
    return true;
}

template std::optional<uint8_t> Hart::load_slow(uint64_t);
template std::optional<uint16_t> Hart::load_slow(uint64_t);
template std::optional<uint32_t> Hart::load_slow(uint64_t);
template std::optional<uint64_t> Hart::load_slow(uint64_t);
template bool Hart::store_slow(uint64_t, uint8_t);
template bool Hart::store_slow(uint64_t, uint16_t);
template bool Hart::store_slow(uint64_t, uint32_t);
template bool Hart::store_slow(uint64_t, uint64_t);

// Host pointer for an atomic access (naturally aligned, RAM only). AMOs need store permission
// even for lr (which faults as a load), as the spec says.
uint8_t* Hart::atomic_pointer(uint64_t address, unsigned size, bool is_load_reserved)
{
    const Access access = is_load_reserved ? Access::Load : Access::Store;
    if (address & (size - 1)) {
        raise_exception(
            is_load_reserved ? Exception::LoadMisaligned : Exception::StoreMisaligned, address);
        return nullptr;
    }
    bool faulted;
    uint64_t physical = 0;
    uint8_t* host = host_pointer(address, access, faulted, physical);
    if (!host && !faulted) {
        raise_exception(
            is_load_reserved ? Exception::LoadAccessFault : Exception::StoreAccessFault, address);
    }
    return host;
}

} // namespace rvisor::cpu
