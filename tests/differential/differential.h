#pragma once
// Differential testing of the binary translator against the interpreter, the reference: one
// program on two independent harts, one per engine, then a comparison of everything the program
// can leave behind (registers, the CSRs it can reach, the trap it stopped at, all of RAM).
#include "cpu/hart.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace rvisor::differential {

// The guest's physical layout, the same for every program: code at the bottom of RAM, starting
// just before a page boundary so that most programs cross one, and data at the top, so that
// stores rarely reach code and accesses near the top run off the end of RAM.
constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 64 * 1024;
constexpr uint64_t kDataSize = 16 * 1024;
constexpr uint64_t kDataBase = kRamBase + kRamSize - kDataSize;
// A prologue loads f0..f31 from the first 256 bytes of the data area and falls through into
// the program's code.
constexpr uint64_t kPrologueSize = 32 * 4;
constexpr uint64_t kCodeBase = kRamBase + 0x1000 - 0x100;
constexpr uint64_t kPrologueBase = kCodeBase - kPrologueSize;

struct DifferentialProgram {
    std::vector<uint8_t> code; // at kCodeBase
    std::array<uint64_t, 32> x {}; // x[0] is ignored
    std::array<uint64_t, 32> f {};
    uint8_t frm = 0;
    uint8_t fflags = 0;
    bool float_enabled = true; // mstatus.FS is Dirty, else Off (F and D are illegal)
    // The privilege the code starts in, and what mret and sret go back to: mstatus's other
    // writable bits (MPP, SPP, MPRV...) and mepc and sepc.
    cpu::Privilege privilege = cpu::Privilege::Machine;
    uint64_t mstatus = 0;
    uint64_t mepc = 0;
    uint64_t sepc = 0;
    uint64_t instruction_limit = 1000;
};

// What a program leaves behind in the hart, after run() returned `exit`.
struct FinalState {
    cpu::HartExit exit;
    uint64_t pc;
    uint64_t instret;
    std::array<uint64_t, 32> x;
    std::array<uint64_t, 32> f;
    uint64_t privilege;
    uint64_t fflags;
    uint64_t frm;
    uint64_t mstatus;
    uint64_t mcause;
    uint64_t mepc;
    uint64_t mtval;
};

// Runs the program under both engines, each from the same initial state, the translator first
// with the instruction limit, then the interpreter to the same instret. Returns a description of
// what differs, or nullopt when nothing does, or when the program executed code it had written
// without a fence.i in between (the spec lets a hart run the old instructions then). Throws
// std::invalid_argument when the code does not fit below the data area.
std::optional<std::string> run_differential(const DifferentialProgram& program);

// Runs the program under the translator alone, for checks against known results. With
// release_every, in slices of that many instructions, the translator giving back its code
// between them as for a guest gone idle.
FinalState run_translated(const DifferentialProgram& program, uint64_t release_every = 0);

// A program of instructions from the whole instruction table and the compressed forms (and a
// few arbitrary words), with registers and control flow chosen to keep it mostly running (loads
// and stores into the data area, branches to its own instructions) and values chosen to reach
// edge cases. The same bytes always give the same program; reading past their end reads zeros.
DifferentialProgram generate_program(std::span<const uint8_t> random_bytes);

// The program's initial state, then its code as "address: bits  disassembly" lines, for reports.
std::string describe_program(const DifferentialProgram& program);

} // namespace rvisor::differential
