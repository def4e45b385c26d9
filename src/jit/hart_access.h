#pragma once
// What translated code needs of a Hart: where its state lives (offsets from the Hart pointer
// that translated code keeps in rbp) and the entry points it calls for everything it does not
// do inline. The one friend of Hart in the translator.
#include "cpu/hart.h"

#include <cstddef>
#include <cstdint>

namespace rvisor::jit {

struct HartAccess {
    static int32_t offset_of(const cpu::Hart& hart, const void* member)
    {
        return static_cast<int32_t>(
            reinterpret_cast<const char*>(member) - reinterpret_cast<const char*>(&hart));
    }
    static int32_t x(const cpu::Hart& hart, unsigned index)
    {
        return offset_of(hart, &hart.m_state.x[index]);
    }
    static int32_t f(const cpu::Hart& hart, unsigned index)
    {
        return offset_of(hart, &hart.m_state.f[index]);
    }
    static int32_t pc(const cpu::Hart& hart) { return offset_of(hart, &hart.m_state.pc); }
    static int32_t instret(const cpu::Hart& hart) { return offset_of(hart, &hart.m_state.instret); }
    static int32_t privilege(const cpu::Hart& hart)
    {
        return offset_of(hart, &hart.m_state.privilege);
    }
    static int32_t data_tag_bits(const cpu::Hart& hart)
    {
        return offset_of(hart, &hart.m_data_tag_bits);
    }
    static int32_t mstatus(const cpu::Hart& hart) { return offset_of(hart, &hart.m_state.mstatus); }
    static int32_t fflags(const cpu::Hart& hart) { return offset_of(hart, &hart.m_state.fflags); }
    static int32_t frm(const cpu::Hart& hart) { return offset_of(hart, &hart.m_state.frm); }
    static int32_t trapped(const cpu::Hart& hart) { return offset_of(hart, &hart.m_trapped); }
    static int32_t tlb_table(const cpu::Hart& hart, unsigned kind)
    {
        return offset_of(hart, hart.m_tlb.table(kind));
    }

    static const cpu::Tlb& tlb(const cpu::Hart& hart) { return hart.m_tlb; }
    static cpu::Privilege privilege_of(const cpu::Hart& hart) { return hart.m_state.privilege; }
    static uint8_t frm_of(const cpu::Hart& hart) { return hart.m_state.frm; }
    // Moves the exception flags translated code gathered in MXCSR into fflags (and clears them
    // there): before anything reads fflags, and when translated code returns.
    static void fold_host_float_flags(cpu::Hart& hart);
    static bool tracing(const cpu::Hart& hart) { return static_cast<bool>(hart.m_tracer); }

    // run()'s bookkeeping around a stretch of translated code.
    static void begin_run(cpu::Hart& hart)
    {
        hart.m_exit_requested = false;
        hart.m_exit = cpu::HartExit::BudgetExhausted;
        hart.m_inside_run.store(true);
    }
    static void end_run(cpu::Hart& hart) { hart.m_inside_run.store(false); }
    static bool exit_requested(const cpu::Hart& hart) { return hart.m_exit_requested; }
    static cpu::HartExit exit_reason(const cpu::Hart& hart) { return hart.m_exit; }
    static bool needs_service(const cpu::Hart& hart)
    {
        return hart.m_lines.attention() || hart.m_check_interrupts_now;
    }
    static bool service_events(cpu::Hart& hart) { return hart.service_events(); }

    // The host address of the instruction at pc, translating (and faulting) as a fetch does;
    // nullptr with *faulted clear when the instruction is not in RAM or crosses a page.
    static uint8_t* fetch_pointer(cpu::Hart& hart, bool& faulted);

    // Entry points for translated code (System V calling convention, Hart* first).
    // Executes one instruction in the interpreter; nonzero when translated code must return
    // to the dispatcher (a trap, or a request to leave run()).
    static uint64_t interpret(cpu::Hart* hart, const isa::DecodedInstruction* insn);
    // The slow paths of loads and stores; a fault leaves m_trapped set.
    template <typename T, bool Signed> static uint64_t load(cpu::Hart* hart, uint64_t address);
    template <typename T> static void store(cpu::Hart* hart, uint64_t address, uint64_t value);
};

} // namespace rvisor::jit
