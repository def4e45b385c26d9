#pragma once
// A hart's architectural state as plain data: what both execution engines run on and what a
// snapshot saves. Views (sstatus, sie, sip) and caches (TLB, decoded instructions, translated
// code) are not here: they are derived from this and rebuilt after a load.
#include "cpu/status_bits.h"
#include "cpu/trap.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <array>
#include <cstdint>
#include <optional>

namespace rvisor::cpu {

struct HartState {
    uint64_t pc = 0;
    std::array<uint64_t, 32> x {};
    std::array<uint64_t, 32> f {};
    Privilege privilege = Privilege::Machine;
    uint64_t instret = 0;

    uint64_t mstatus = status::kUxl64 | status::kSxl64;
    uint64_t medeleg = 0;
    uint64_t mideleg = 0;
    uint64_t mie = 0;
    uint64_t mip = 0; // software-writable bits: SSIP, STIP (without Sstc), SEIP
    uint64_t mtvec = 0;
    uint64_t mscratch = 0;
    uint64_t mepc = 0;
    uint64_t mcause = 0;
    uint64_t mtval = 0;
    uint64_t mcounteren = 0;
    uint64_t mcountinhibit = 0;
    uint64_t menvcfg = 0;
    uint64_t stvec = 0;
    uint64_t sscratch = 0;
    uint64_t sepc = 0;
    uint64_t scause = 0;
    uint64_t stval = 0;
    uint64_t scounteren = 0;
    uint64_t senvcfg = 0;
    uint64_t satp = 0;
    uint64_t stimecmp = UINT64_MAX;
    uint8_t fflags = 0;
    uint8_t frm = 0;
    std::array<uint8_t, 64> pmpcfg {};
    std::array<uint64_t, 64> pmpaddr {};

    // LR/SC reservation: the address and the value LR saw (SC succeeds by compare-exchange).
    std::optional<uint64_t> reservation;
    uint64_t reserved_value = 0;

    bool operator==(const HartState&) const = default;
};

void save_hart_state(const HartState&, state::StateWriter&);
// Throws state::StateError for values no hart can hold (a reserved privilege, frm above 7).
HartState load_hart_state(state::StateReader&);

} // namespace rvisor::cpu
