#pragma once
// One RISC-V hart (RV64GC + Zba/Zbb/Zbs/Zicond, M/S/U, Sv39/Sv48/Sv57): its architectural
// state and the interpreter that executes it. The machine runs each hart on its own thread.
#include "cpu/decode_cache.h"
#include "cpu/halt_poll.h"
#include "cpu/hart_state.h"
#include "cpu/interrupt_lines.h"
#include "cpu/status_bits.h"
#include "cpu/tlb.h"
#include "cpu/trap.h"
#include "host/clock.h"
#include "isa/instruction.h"
#include "mem/bus.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>

namespace rvisor::jit {
struct HartAccess;
}

namespace rvisor::cpu {

// Why Hart::run() returned.
enum class HartExit {
    BudgetExhausted,
    WaitForInterrupt, // executed WFI with nothing pending: the caller may sleep
    SupervisorCall, // ecall from S-mode served by the built-in firmware (pc at the ecall)
    MachineTrapNoFirmware, // a trap into M-mode while the built-in firmware stands in for M-mode
};

struct HartConfig {
    uint64_t hart_id = 0;
    // True when no M-mode software runs (built-in SBI): ecalls from S-mode exit run() instead of
    // trapping, and any other trap into M-mode is a fatal guest error.
    bool firmware_in_host = false;
    // Spin briefly before sleeping in wfi (HaltPoll): only where a spinning hart takes no host
    // core another hart or an I/O thread would need.
    bool halt_polling = false;
};

class Hart {
public:
    Hart(const HartConfig& config, const mem::Bus& bus, InterruptLines& lines,
        const host::Clock& clock);

    // Executes up to `budget` instructions; with `until_jump`, stops after the first one that
    // does not fall through to the next (a taken branch, a jump, a trap), where a translator's
    // block would end.
    HartExit run(uint64_t budget, bool until_jump = false);
    // Sleeps (after a WFI exit) until an interrupt is pending, a timer compare is reached or
    // something wakes the hart's lines (a pause, an IPI, a remote fence); it may return early,
    // as WFI may. No timeout: an idle hart costs the host nothing between its events.
    void wait_for_interrupt();

    // Architectural state, for firmware, loaders, tests and the tracer.
    uint64_t pc() const { return m_state.pc; }
    void set_pc(uint64_t pc) { m_state.pc = pc; }
    uint64_t x(unsigned index) const { return m_state.x[index]; }
    void set_x(unsigned index, uint64_t value)
    {
        if (index != 0)
            m_state.x[index] = value;
    }
    uint64_t f(unsigned index) const { return m_state.f[index]; }
    Privilege privilege() const { return m_state.privilege; }
    void set_privilege(Privilege privilege);
    uint64_t hart_id() const { return m_config.hart_id; }
    uint64_t instret() const { return m_state.instret; }

    // The whole architectural state, for snapshots. Only while the hart is not running (the
    // machine parks it first); loading drops every cache derived from the old state.
    const HartState& state() const { return m_state; }
    void load_state(const HartState& state);

    // Resets to the power-on state (M-mode, pc = reset_pc, CSRs cleared, TLB flushed).
    void reset(uint64_t reset_pc);

    // CSR access as an instruction at the current privilege would make it; nullopt = illegal.
    std::optional<uint64_t> read_csr(uint32_t address);
    bool write_csr(uint32_t address, uint64_t value);
    // CSR access with M-mode rights, for the built-in firmware and tests.
    uint64_t read_csr_as_machine(uint32_t address);
    void write_csr_as_machine(uint32_t address, uint64_t value);

    // Drops every cached translation; only on the hart's own thread.
    void flush_tlb() { m_tlb.flush(); }
    // From another thread (remote sfence.vma): the hart flushes before its next instruction.
    void request_tlb_flush()
    {
        m_tlb_flush_requested.store(true);
        m_lines.wake();
    }
    // True while a requested flush is not done and the hart is executing instructions.
    bool tlb_flush_outstanding() const
    {
        return m_tlb_flush_requested.load() && m_inside_run.load();
    }

    // fence.i, locally or from another hart (SBI remote fence.i): translated code must be
    // dropped before the hart's next instruction. The interpreter has nothing to drop.
    void request_code_flush()
    {
        m_code_flush_requested.store(true);
        m_lines.wake();
    }
    bool take_code_flush_request()
    {
        return m_code_flush_requested.load(std::memory_order_relaxed)
            && m_code_flush_requested.exchange(false);
    }

    const mem::Bus& bus() const { return m_bus; }

    // Called with every instruction about to execute (for --trace); empty = no tracing.
    void set_tracer(std::function<void(const Hart&, const isa::DecodedInstruction&)> tracer)
    {
        m_tracer = std::move(tracer);
    }

    // Loads and stores through the MMU as the current privilege sees memory; nullopt/false after
    // raising the fault. Public for the built-in firmware's use of guest pointers (e.g. DBCN).
    template <typename T> std::optional<T> load(uint64_t address)
    {
        if ((address & 0xfff) + sizeof(T) <= 0x1000) [[likely]] {
            if (uint8_t* host = m_tlb.lookup(
                    static_cast<unsigned>(Access::Load), address, tlb_tag_bits(Access::Load))) {
                T value;
                std::memcpy(&value, host, sizeof(T));
                return value;
            }
        }
        return load_slow<T>(address);
    }
    template <typename T> bool store(uint64_t address, T value)
    {
        if ((address & 0xfff) + sizeof(T) <= 0x1000) [[likely]] {
            if (uint8_t* host = m_tlb.lookup(
                    static_cast<unsigned>(Access::Store), address, tlb_tag_bits(Access::Store))) {
                std::memcpy(host, &value, sizeof(T));
                return true;
            }
        }
        return store_slow<T>(address, value);
    }

private:
    // The binary translator reads and writes the state directly, and calls back in for what it
    // does not translate.
    friend struct jit::HartAccess;

    enum class Access : uint8_t { Fetch = 0, Load = 1, Store = 2 };

    // Between instructions: remote TLB flushes, then a pending interrupt. False when the
    // interrupt's trap ends run() (built-in firmware).
    bool service_events();

    void execute(const isa::DecodedInstruction& insn);
    // Everything but a TLB hit within one page: walks, MMIO, page-crossing accesses.
    template <typename T> std::optional<T> load_slow(uint64_t address);
    template <typename T> bool store_slow(uint64_t address, T value);
    // F and D; false when the instruction trapped.
    bool execute_float(const isa::DecodedInstruction& insn);
    void raise_exception(Exception cause, uint64_t tval);
    void take_trap(uint64_t cause, bool interrupt, uint64_t tval);
    // Pending-and-enabled interrupt to take now, if any (priority order of the spec).
    std::optional<Interrupt> pending_interrupt();
    // mip as the hart sees it now: software bits, device lines and the timer comparisons.
    uint64_t machine_interrupt_pending();
    bool interrupts_pending_ignoring_enables();
    void return_from_trap(Privilege from);

    // Translation: guest-virtual to guest-physical; nullopt after raising the page fault.
    std::optional<uint64_t> translate(uint64_t address, Access access);
    std::optional<uint64_t> walk_page_table(
        uint64_t address, Access access, Privilege privilege, uint64_t& mapping_size);
    Privilege effective_privilege(Access access) const
    {
        return access == Access::Fetch ? m_state.privilege : m_data_privilege;
    }
    // After any change to the privilege or mstatus: the privilege loads and stores use (MPRV).
    void refresh_data_privilege()
    {
        m_data_privilege = (m_state.mstatus & status::kMprv)
            ? static_cast<Privilege>((m_state.mstatus & status::kMpp) >> status::kMppShift)
            : m_state.privilege;
        m_data_tag_bits
            = static_cast<uint8_t>(static_cast<unsigned>(m_data_privilege) << kTagPrivilegeShift
                | ((m_state.mstatus & status::kSum) ? kTagSum : 0)
                | ((m_state.mstatus & status::kMxr) ? kTagMxr : 0));
    }
    // What TLB entries are tagged with besides the page: the privilege the access is checked
    // for and, for loads and stores, the mstatus bits that change what that privilege may do
    // (SUM, MXR). An entry made under other bits does not match, so none needs flushing when
    // they change: Linux sets SUM around every copy to or from user memory. The bits start at
    // bit 3, which an aligned access of up to 8 bytes leaves zero in its address: translated
    // code compares the address's page and alignment bits with an entry's tag in one go.
    static constexpr unsigned kTagPrivilegeShift = 3, kTagSum = 1u << 5, kTagMxr = 1u << 6;
    unsigned tlb_tag_bits(Access access) const
    {
        return access == Access::Fetch
            ? static_cast<unsigned>(m_state.privilege) << kTagPrivilegeShift
            : m_data_tag_bits;
    }
    // Host pointer for an access that stays within one page and lands in RAM, else nullptr
    // (with *physical set when the page is MMIO and no fault was raised). The TLB hit is
    // inline: it is on the path of every fetch, load and store.
    uint8_t* host_pointer(uint64_t address, Access access, bool& faulted, uint64_t& physical)
    {
        faulted = false;
        if (uint8_t* host
            = m_tlb.lookup(static_cast<unsigned>(access), address, tlb_tag_bits(access)))
            return host;
        return host_pointer_slow(address, access, faulted, physical);
    }
    uint8_t* host_pointer_slow(uint64_t address, Access access, bool& faulted, uint64_t& physical);
    // The fetch slow path. Out of line: inlined into run() it took registers from the hot loop
    // and halved the interpreter's speed.
    [[gnu::noinline, gnu::cold]] bool fetch(uint32_t& bits);
    uint8_t* atomic_pointer(uint64_t address, unsigned size, bool is_load_reserved);
    void note_translation_state_changed() { m_tlb.flush(); }

    // CSR internals.
    // The value csrrs/csrrc modify, which differs from the value read only for mip.
    uint64_t read_modify_write_base(uint32_t address, uint64_t read_value) const;
    uint64_t read_status(uint64_t mask) const;
    void write_status(uint64_t value, uint64_t mask);
    bool counter_enabled(uint32_t address) const;
    bool float_enabled() const { return ((m_state.mstatus >> 13) & 3) != 0; }
    void mark_float_dirty() { m_state.mstatus |= uint64_t { 3 } << 13; }
    uint64_t time() const { return m_clock.ticks(); }

    HartConfig m_config;
    const mem::Bus& m_bus;
    InterruptLines& m_lines;
    const host::Clock& m_clock;
    HaltPoll m_halt_poll;

    HartState m_state;
    Privilege m_data_privilege = Privilege::Machine; // see refresh_data_privilege()
    // See tlb_tag_bits().
    uint8_t m_data_tag_bits
        = static_cast<uint8_t>(static_cast<unsigned>(Privilege::Machine) << kTagPrivilegeShift);

    Tlb m_tlb;
    DecodeCache m_decode_cache;
    std::atomic<bool> m_tlb_flush_requested { false };
    std::atomic<bool> m_inside_run { false };
    std::atomic<bool> m_code_flush_requested { false };
    bool m_exit_requested = false;
    bool m_trapped = false; // the current instruction raised a trap
    bool m_check_interrupts_now = false; // interrupt enables may have changed
    HartExit m_exit = HartExit::BudgetExhausted;
    std::function<void(const Hart&, const isa::DecodedInstruction&)> m_tracer;
};

} // namespace rvisor::cpu
