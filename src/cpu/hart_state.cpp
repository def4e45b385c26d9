#include "cpu/hart_state.h"

#include <fmt/format.h>

namespace rvisor::cpu {

namespace {

// Every 64-bit CSR in one list, so that save and load cannot disagree on the order.
template <typename State, typename Visit> void visit_csrs(State& state, Visit&& visit)
{
    for (auto* csr : { &state.mstatus, &state.medeleg, &state.mideleg, &state.mie, &state.mip,
             &state.mtvec, &state.mscratch, &state.mepc, &state.mcause, &state.mtval,
             &state.mcounteren, &state.mcountinhibit, &state.menvcfg, &state.stvec, &state.sscratch,
             &state.sepc, &state.scause, &state.stval, &state.scounteren, &state.senvcfg,
             &state.satp, &state.stimecmp })
        visit(*csr);
}

} // namespace

void save_hart_state(const HartState& state, state::StateWriter& out)
{
    out.u64(state.pc);
    for (uint64_t value : state.x)
        out.u64(value);
    for (uint64_t value : state.f)
        out.u64(value);
    out.u8(static_cast<uint8_t>(state.privilege));
    out.u64(state.instret);
    visit_csrs(state, [&](uint64_t csr) { out.u64(csr); });
    out.u8(state.fflags);
    out.u8(state.frm);
    for (uint8_t value : state.pmpcfg)
        out.u8(value);
    for (uint64_t value : state.pmpaddr)
        out.u64(value);
    out.boolean(state.reservation.has_value());
    out.u64(state.reservation.value_or(0));
    out.u64(state.reserved_value);
}

HartState load_hart_state(state::StateReader& in)
{
    HartState state;
    state.pc = in.u64();
    for (uint64_t& value : state.x)
        value = in.u64();
    if (state.x[0] != 0)
        in.fail("x0 is not zero");
    for (uint64_t& value : state.f)
        value = in.u64();
    const uint8_t privilege = in.u8();
    if (privilege != 0 && privilege != 1 && privilege != 3)
        in.fail(fmt::format("privilege {} is not U, S or M", privilege));
    state.privilege = static_cast<Privilege>(privilege);
    state.instret = in.u64();
    visit_csrs(state, [&](uint64_t& csr) { csr = in.u64(); });
    state.fflags = in.u8();
    state.frm = in.u8();
    if (state.fflags > 0x1f || state.frm > 7)
        in.fail("fflags or frm holds bits the hart does not have");
    for (uint8_t& value : state.pmpcfg)
        value = in.u8();
    for (uint64_t& value : state.pmpaddr)
        value = in.u64();
    const bool reserved = in.boolean();
    const uint64_t reservation = in.u64();
    if (reserved)
        state.reservation = reservation;
    state.reserved_value = in.u64();
    return state;
}

} // namespace rvisor::cpu
