#include "differential/differential.h"

#include "cpu/hart.h"
#include "cpu/status_bits.h"
#include "isa/csr_address.h"
#include "isa/decoder.h"
#include "isa/disassembler.h"
#include "isa/instruction.h"
#include "jit/translator.h"
#include "mem/bus.h"
#include "mem/guest_ram.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace rvisor::differential {

namespace {

// ---- values worth trying ----

constexpr uint64_t kBoxed = 0xffffffff00000000;

constexpr std::array<uint64_t, 34> kInterestingDoubles = {
    0x0000000000000000, // +0
    0x8000000000000000, // -0
    0x3ff0000000000000, // 1
    0xbff0000000000000, // -1
    0x3fe0000000000000, // 0.5
    0xbfe0000000000000, // -0.5
    0x3fdfffffffffffff, // the largest double below 0.5
    0x3ff8000000000000, // 1.5
    0x4004000000000000, // 2.5
    0xc004000000000000, // -2.5
    0x0010000000000000, // the smallest normal
    0x0000000000000001, // the smallest subnormal
    0x800fffffffffffff, // -(the largest subnormal)
    0x7fefffffffffffff, // the largest finite
    0xffefffffffffffff,
    0x7ff0000000000000, // +inf
    0xfff0000000000000, // -inf
    0x7ff8000000000000, // the canonical NaN
    0xfff8000000000000,
    0x7ffc000000000abc, // quiet NaN with a payload
    0x7ff0000000000001, // signalling NaNs
    0xfff4000000001234,
    0x43e0000000000000, // 2^63
    0xc3e0000000000000, // -2^63
    0x43dfffffffffffff, // the largest double below 2^63
    0xc3e0000000000001, // the largest double below -2^63
    0x43f0000000000000, // 2^64
    0x41e0000000000000, // 2^31
    0xc1e0000000000000, // -2^31
    0x41dfffffffc00000, // 2^31 - 1
    0xc1e0000000200000, // -2^31 - 1
    0x41efffffffe00000, // 2^32 - 1
    0x41f0000000000000, // 2^32
    0x7e37e43c8800759c, // 1e300
};

constexpr std::array<uint32_t, 31> kInterestingSingles = {
    0x00000000, // +0
    0x80000000, // -0
    0x3f800000, // 1
    0xbf800000, // -1
    0x3f000000, // 0.5
    0xbf000000, // -0.5
    0x3effffff, // the largest float below 0.5
    0x3fc00000, // 1.5
    0x40200000, // 2.5
    0xc0200000, // -2.5
    0x00800000, // the smallest normal
    0x00000001, // the smallest subnormal
    0x807fffff, // -(the largest subnormal)
    0x7f7fffff, // the largest finite
    0xff7fffff,
    0x7f800000, // +inf
    0xff800000, // -inf
    0x7fc00000, // the canonical NaN
    0xffc00000,
    0x7fc01234, // quiet NaN with a payload
    0x7f800001, // signalling NaNs
    0xffa00000,
    0x5f000000, // 2^63
    0xdf000000, // -2^63
    0x5effffff, // the largest float below 2^63
    0x5f800000, // 2^64
    0x4f000000, // 2^31
    0xcf000000, // -2^31
    0x4effffff, // the largest float below 2^31
    0x4f800000, // 2^32
    0x4f7fffff, // the largest float below 2^32
};

constexpr std::array<uint64_t, 20> kInterestingIntegers = {
    0,
    1,
    2,
    ~uint64_t { 0 },
    0x7fffffffffffffff,
    0x8000000000000000,
    0x8000000000000001,
    0x000000007fffffff,
    0xffffffff80000000,
    0x0000000080000000,
    0x00000000ffffffff,
    0x0000000100000000,
    0xffffffff00000000,
    0x0101010101010101,
    0x8080808080808080,
    0x00000000fffffffe,
    31,
    32,
    63,
    64,
};

constexpr std::array<int32_t, 10> kInterestingImmediates
    = { 0, 1, -1, 2, 31, 32, 63, 64, 2047, -2048 };

// ---- the initial RAM image ----

// The data area's contents past the f table, the same for every program: values that make
// loaded registers useful (pointers back into the data area) or interesting.
const std::vector<uint8_t>& data_fill()
{
    static const std::vector<uint8_t> fill = [] {
        std::vector<uint8_t> bytes(kDataSize);
        uint64_t state = 0x243f6a8885a308d3;
        const auto next = [&state] {
            // splitmix64
            uint64_t z = (state += 0x9e3779b97f4a7c15);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
            z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
            return z ^ (z >> 31);
        };
        for (size_t offset = 0; offset < kDataSize; offset += 8) {
            const uint64_t random = next();
            uint64_t value = next();
            switch (random % 5) {
            case 0: value = kDataBase + (value % kDataSize); break;
            case 1: value = kInterestingDoubles[value % kInterestingDoubles.size()]; break;
            case 2: value = kBoxed | kInterestingSingles[value % kInterestingSingles.size()]; break;
            case 3: value = kInterestingIntegers[value % kInterestingIntegers.size()]; break;
            default: break;
            }
            std::memcpy(bytes.data() + offset, &value, 8);
        }
        return bytes;
    }();
    return fill;
}

// The prologue's base register for the f table.
constexpr unsigned kTableRegister = 5;

uint32_t fld(unsigned rd, unsigned rs1, int32_t offset)
{
    return 0x07 | rd << 7 | 3 << 12 | rs1 << 15 | static_cast<uint32_t>(offset) << 20;
}

void check_fits(const DifferentialProgram& program)
{
    if (kCodeBase + program.code.size() > kDataBase) {
        throw std::invalid_argument(
            fmt::format("the code ({} bytes) runs into the data area", program.code.size()));
    }
}

// ---- one hart with its own RAM ----

struct Machine {
    mem::GuestRam ram { kRamBase, kRamSize };
    mem::Bus bus { ram };
    cpu::InterruptLines lines;
    host::Clock clock;
    // With the built-in firmware standing in for M-mode, the first trap ends run(): programs
    // stop there with the trap's cause in mcause, mepc and mtval.
    cpu::Hart hart { cpu::HartConfig { 0, true }, bus, lines, clock };

    // Loads the program, runs the prologue and sets up the rest of the initial state.
    void start(const DifferentialProgram& program)
    {
        // Only what is not zero: RAM starts zeroed, and writing all of it would be most of the
        // cost of a short program.
        for (unsigned i = 0; i < 32; ++i) {
            const uint32_t word = fld(i, kTableRegister, static_cast<int32_t>(8 * i));
            std::memcpy(ram.pointer(kPrologueBase + 4 * i), &word, 4);
        }
        std::memcpy(ram.pointer(kCodeBase), program.code.data(), program.code.size());
        const auto& fill = data_fill();
        std::memcpy(ram.pointer(kDataBase), fill.data(), fill.size());
        std::memcpy(ram.pointer(kDataBase), program.f.data(), sizeof(program.f));
        hart.reset(kPrologueBase);
        const uint64_t mstatus = hart.read_csr_as_machine(isa::csr::mstatus);
        hart.write_csr_as_machine(isa::csr::mstatus, mstatus | cpu::status::kFs);
        hart.set_x(kTableRegister, kDataBase);
        if (hart.run(32) != cpu::HartExit::BudgetExhausted || hart.pc() != kCodeBase)
            throw std::logic_error(fmt::format("the prologue stopped at {:#x}", hart.pc()));
        for (unsigned i = 1; i < 32; ++i)
            hart.set_x(i, program.x[i]);
        hart.write_csr_as_machine(isa::csr::fflags, program.fflags);
        hart.write_csr_as_machine(isa::csr::frm, program.frm);
        const uint64_t fs = program.float_enabled ? cpu::status::kFs : 0;
        hart.write_csr_as_machine(
            isa::csr::mstatus, mstatus | (program.mstatus & ~cpu::status::kFs) | fs);
        hart.write_csr_as_machine(isa::csr::mepc, program.mepc);
        hart.write_csr_as_machine(isa::csr::sepc, program.sepc);
        hart.set_privilege(program.privilege);
    }
};

// Bytes a store, sc or AMO writes; 0 for any other instruction.
unsigned store_size(isa::Opcode opcode)
{
    using isa::Opcode;
    switch (opcode) {
    case Opcode::sb: return 1;
    case Opcode::sh: return 2;
    case Opcode::sw:
    case Opcode::fsw:
    case Opcode::sc_w:
    case Opcode::amoswap_w:
    case Opcode::amoadd_w:
    case Opcode::amoxor_w:
    case Opcode::amoand_w:
    case Opcode::amoor_w:
    case Opcode::amomin_w:
    case Opcode::amomax_w:
    case Opcode::amominu_w:
    case Opcode::amomaxu_w: return 4;
    case Opcode::sd:
    case Opcode::fsd:
    case Opcode::sc_d:
    case Opcode::amoswap_d:
    case Opcode::amoadd_d:
    case Opcode::amoxor_d:
    case Opcode::amoand_d:
    case Opcode::amoor_d:
    case Opcode::amomin_d:
    case Opcode::amomax_d:
    case Opcode::amominu_d:
    case Opcode::amomaxu_d: return 8;
    default: return 0;
    }
}

// Watches the interpreter for an instruction whose bytes were written since the last fence.i:
// from then on the spec allows the translator's stale code, and differences prove nothing.
class UnfencedCodeWatch {
public:
    void before(const cpu::Hart& hart, const isa::DecodedInstruction& insn)
    {
        if (insn.opcode == isa::Opcode::fence_i) {
            std::fill(m_written.begin(), m_written.end(), false);
            return;
        }
        if (written(hart.pc(), insn.length))
            m_ran_unfenced_code = true;
        // Addresses are physical: programs run without translation.
        if (const unsigned size = store_size(insn.opcode)) {
            const uint64_t address = hart.x(insn.rs1) + static_cast<uint64_t>(insn.immediate);
            for (uint64_t byte = address; byte != address + size; ++byte) {
                if (byte - kRamBase < kRamSize)
                    m_written[byte - kRamBase] = true;
            }
        }
    }
    bool ran_unfenced_code() const { return m_ran_unfenced_code; }

private:
    bool written(uint64_t address, unsigned length) const
    {
        for (uint64_t byte = address; byte != address + length; ++byte) {
            if (byte - kRamBase < kRamSize && m_written[byte - kRamBase])
                return true;
        }
        return false;
    }

    std::vector<bool> m_written = std::vector<bool>(kRamSize);
    bool m_ran_unfenced_code = false;
};

std::string_view exit_name(cpu::HartExit exit)
{
    switch (exit) {
    case cpu::HartExit::BudgetExhausted: return "budget exhausted";
    case cpu::HartExit::WaitForInterrupt: return "wait for interrupt";
    case cpu::HartExit::SupervisorCall: return "supervisor call";
    case cpu::HartExit::MachineTrapNoFirmware: return "machine trap";
    }
    return "?";
}

std::string disassemble_at(const Machine& machine, uint64_t pc)
{
    if (!machine.ram.contains(pc, 2))
        return "outside RAM";
    uint32_t bits = 0;
    std::memcpy(&bits, machine.ram.pointer(pc), machine.ram.contains(pc, 4) ? 4 : 2);
    return isa::disassemble(isa::decode(bits), pc);
}

FinalState final_state(cpu::Hart& hart, cpu::HartExit exit)
{
    FinalState state { exit, hart.pc(), hart.instret(), {}, {},
        static_cast<uint64_t>(hart.privilege()), 0, 0, hart.read_csr_as_machine(isa::csr::mstatus),
        hart.read_csr_as_machine(isa::csr::mcause), hart.read_csr_as_machine(isa::csr::mepc),
        hart.read_csr_as_machine(isa::csr::mtval) };
    for (unsigned i = 0; i < 32; ++i) {
        state.x[i] = hart.x(i);
        state.f[i] = hart.f(i);
    }
    // fflags and frm read as zero while FS is off; the run is over, so turning it on is harmless.
    hart.write_csr_as_machine(isa::csr::mstatus, state.mstatus | cpu::status::kFs);
    state.fflags = hart.read_csr_as_machine(isa::csr::fflags);
    state.frm = hart.read_csr_as_machine(isa::csr::frm);
    return state;
}

std::vector<std::string> compare(const FinalState& reference, const FinalState& candidate)
{
    std::vector<std::string> differences;
    const auto check = [&](std::string_view name, uint64_t expected, uint64_t actual) {
        if (expected != actual) {
            differences.push_back(
                fmt::format("{}: interpreter {:#x}, translator {:#x}", name, expected, actual));
        }
    };
    if (reference.exit != candidate.exit) {
        differences.push_back(fmt::format("exit: interpreter {}, translator {}",
            exit_name(reference.exit), exit_name(candidate.exit)));
    }
    check("pc", reference.pc, candidate.pc);
    check("instret", reference.instret, candidate.instret);
    for (unsigned i = 1; i < 32; ++i)
        check(isa::x_register_name(i), reference.x[i], candidate.x[i]);
    for (unsigned i = 0; i < 32; ++i)
        check(isa::f_register_name(i), reference.f[i], candidate.f[i]);
    check("privilege", reference.privilege, candidate.privilege);
    check("fflags", reference.fflags, candidate.fflags);
    check("frm", reference.frm, candidate.frm);
    check("mstatus", reference.mstatus, candidate.mstatus);
    check("mcause", reference.mcause, candidate.mcause);
    check("mepc", reference.mepc, candidate.mepc);
    check("mtval", reference.mtval, candidate.mtval);
    return differences;
}

std::optional<std::string> compare_ram(const Machine& reference, const Machine& candidate)
{
    const uint8_t* expected = reference.ram.pointer(kRamBase);
    const uint8_t* actual = candidate.ram.pointer(kRamBase);
    if (std::memcmp(expected, actual, kRamSize) == 0)
        return std::nullopt;
    size_t first = 0;
    while (expected[first] == actual[first])
        ++first;
    size_t count = 0;
    for (size_t i = first; i < kRamSize; ++i)
        count += expected[i] != actual[i];
    const size_t start = first & ~size_t { 7 };
    uint64_t expected_word = 0, actual_word = 0;
    std::memcpy(&expected_word, expected + start, 8);
    std::memcpy(&actual_word, actual + start, 8);
    return fmt::format("RAM: {} bytes differ, the first at {:#x}; the double word at {:#x}: "
                       "interpreter {:#018x}, translator {:#018x}",
        count, kRamBase + first, kRamBase + start, expected_word, actual_word);
}

// ---- the generator ----

// Reads the generator's decisions from the input; past its end, everything reads as zero.
class ByteReader {
public:
    explicit ByteReader(std::span<const uint8_t> bytes)
        : m_bytes(bytes)
    {
    }
    bool exhausted() const { return m_offset >= m_bytes.size(); }
    uint8_t byte() { return exhausted() ? 0 : m_bytes[m_offset++]; }
    uint64_t bits(unsigned count)
    {
        uint64_t value = 0;
        for (unsigned shift = 0; shift < count; shift += 8)
            value |= uint64_t { byte() } << shift;
        return count >= 64 ? value : value & ((uint64_t { 1 } << count) - 1);
    }
    uint32_t below(size_t bound) { return static_cast<uint32_t>(bits(16) % bound); }
    bool chance(unsigned percent) { return byte() * 100u < percent * 256u; }
    template <typename T, size_t N> T pick(const std::array<T, N>& values)
    {
        return values[below(N)];
    }

private:
    std::span<const uint8_t> m_bytes;
    size_t m_offset = 0;
};

constexpr size_t kMaxInstructions = 3000;
// Past the limit: a patching store's fence.i and the jump back to the start.
static_assert(kCodeBase + 4 * (kMaxInstructions + 2) <= kDataBase);

uint32_t with_field(uint32_t word, unsigned shift, unsigned width, uint32_t value)
{
    const uint32_t mask = ((1u << width) - 1) << shift;
    return (word & ~mask) | ((value << shift) & mask);
}

uint32_t with_i_immediate(uint32_t word, int32_t immediate)
{
    return with_field(word, 20, 12, static_cast<uint32_t>(immediate));
}

uint32_t with_s_immediate(uint32_t word, int32_t immediate)
{
    const auto u = static_cast<uint32_t>(immediate);
    return with_field(with_field(word, 7, 5, u), 25, 7, u >> 5);
}

// Control transfer offsets, by format: the bits the offset occupies and how far it reaches.
enum class TargetFormat { Branch, Jump, CompressedBranch, CompressedJump };

bool offset_fits(TargetFormat format, int64_t offset)
{
    switch (format) {
    case TargetFormat::Branch: return offset >= -4096 && offset < 4096;
    case TargetFormat::Jump: return offset >= -(1 << 20) && offset < (1 << 20);
    case TargetFormat::CompressedBranch: return offset >= -256 && offset < 256;
    case TargetFormat::CompressedJump: return offset >= -2048 && offset < 2048;
    }
    return false;
}

uint32_t with_offset(TargetFormat format, uint32_t word, int64_t offset)
{
    const auto u = static_cast<uint32_t>(offset);
    const auto bit = [u](unsigned index) { return (u >> index) & 1; };
    const auto range
        = [u](unsigned high, unsigned low) { return (u >> low) & ((1u << (high - low + 1)) - 1); };
    switch (format) {
    case TargetFormat::Branch:
        return (word & ~0xfe000f80u) | bit(12) << 31 | range(10, 5) << 25 | range(4, 1) << 8
            | bit(11) << 7;
    case TargetFormat::Jump:
        return (word & ~0xfffff000u) | bit(20) << 31 | range(10, 1) << 21 | bit(11) << 20
            | range(19, 12) << 12;
    case TargetFormat::CompressedBranch:
        return (word & ~0x1c7cu) | bit(8) << 12 | range(4, 3) << 10 | range(7, 6) << 5
            | range(2, 1) << 3 | bit(5) << 2;
    case TargetFormat::CompressedJump:
        return (word & ~0x1ffcu) | bit(11) << 12 | bit(4) << 11 | range(9, 8) << 9 | bit(10) << 8
            | bit(6) << 7 | bit(7) << 6 | range(3, 1) << 3 | bit(5) << 2;
    }
    return word;
}

// Instructions that end a translated block: control transfers and system instructions.
bool ends_block(isa::Opcode opcode)
{
    using isa::Opcode;
    switch (opcode) {
    case Opcode::jal:
    case Opcode::jalr:
    case Opcode::beq:
    case Opcode::bne:
    case Opcode::blt:
    case Opcode::bge:
    case Opcode::bltu:
    case Opcode::bgeu:
    case Opcode::ecall:
    case Opcode::ebreak:
    case Opcode::mret:
    case Opcode::sret:
    case Opcode::sfence_vma:
    case Opcode::fence_i:
    case Opcode::csrrw:
    case Opcode::csrrs:
    case Opcode::csrrc:
    case Opcode::csrrwi:
    case Opcode::csrrsi:
    case Opcode::csrrci: return true;
    default: return false;
    }
}

constexpr uint32_t kFenceI = 0x0000100f;
constexpr uint32_t kJal = 0x0000006f; // to x0, with its offset still to set

// What a register initially holds, which decides what the generator uses it for.
enum class Role : uint8_t { Value, Data, AlignedData, Code, Instruction };

class Generator {
public:
    explicit Generator(std::span<const uint8_t> bytes)
        : m_in(bytes)
    {
        for (const auto& row : isa::instruction_table()) {
            if (row.opcode == isa::Opcode::wfi) // it waits for the host's clock
                continue;
            m_rows.push_back(&row);
            if (!ends_block(row.opcode))
                m_straight_rows.push_back(&row);
        }
    }

    DifferentialProgram generate()
    {
        DifferentialProgram program;
        const uint8_t rounding = m_in.byte();
        // Mostly the modes SSE has; RMM and the invalid ones are interpreted or trap.
        program.frm = rounding < 200 ? rounding % 4 : rounding < 240 ? 4 : 5 + rounding % 3;
        program.fflags = m_in.chance(50) ? 0 : m_in.byte() & 0x1f;
        program.float_enabled = !m_in.chance(4);
        program.instruction_limit = 100 + m_in.below(4000);
        // Without control transfers, blocks end at their length limit or a page boundary.
        m_straight = m_in.chance(20);
        // Stores into the program's own code, most followed by fence.i.
        m_patching = m_in.chance(15);
        initialize_privilege(program);
        for (unsigned i = 1; i < 32; ++i)
            initialize_x(program, i);
        for (auto& value : program.f)
            value = initial_f();
        while (!m_in.exhausted() && m_instructions.size() < kMaxInstructions)
            add_instruction();
        // Mostly loop rather than run into the zeros after the code.
        if (m_in.chance(75))
            add(with_offset(TargetFormat::Jump, kJal, -static_cast<int64_t>(code_size())), 4);
        resolve(program);
        return program;
    }

private:
    struct Instruction {
        uint32_t bits;
        unsigned length;
    };
    // A branch or jump whose target is chosen once every instruction's address is known.
    struct Fixup {
        size_t index;
        TargetFormat format;
        uint8_t choice;
        uint16_t target;
    };
    // A value that is the address (Role::Code) or the bits (Role::Instruction) of one of the
    // program's instructions.
    struct InstructionReference {
        uint64_t* value;
        Role role;
        uint16_t target;
    };

    void initialize_x(DifferentialProgram& program, unsigned index)
    {
        uint64_t& value = program.x[index];
        // sp and x8..x15 are the bases of the compressed loads and stores; ra and t0 the link
        // registers.
        const bool compressed_base = index == 2 || (index >= 8 && index <= 15);
        const bool link = index == 1 || index == 5;
        const unsigned data_below = compressed_base ? 250 : link ? 25 : 110;
        const unsigned code_below = data_below + (compressed_base ? 0 : link ? 190 : 15);
        const uint8_t choice = m_in.byte();
        if (choice < data_below) {
            value = data_pointer();
            m_roles[index] = value % 8 == 0 ? Role::AlignedData : Role::Data;
            return;
        }
        const uint8_t kind = m_in.byte() % 4;
        if (choice < code_below || (kind == 2 && m_patching)) {
            m_roles[index] = choice < code_below ? Role::Code : Role::Instruction;
            refer_to_instruction(value, m_roles[index]);
        } else if (kind == 0) {
            value = static_cast<uint64_t>(static_cast<int64_t>(m_in.below(33)) - 16);
        } else if (kind == 1) {
            value = m_in.pick(kInterestingIntegers);
        } else {
            value = m_in.bits(64);
        }
    }

    void refer_to_instruction(uint64_t& value, Role role)
    {
        m_references.push_back({ &value, role, static_cast<uint16_t>(m_in.bits(16)) });
    }

    // Where the program starts, and where mret and sret lead (mostly into the code).
    void initialize_privilege(DifferentialProgram& program)
    {
        using cpu::Privilege;
        constexpr std::array kPrivileges
            = { Privilege::User, Privilege::Supervisor, Privilege::Machine, Privilege::Machine };
        program.privilege = m_in.chance(70) ? Privilege::Machine : m_in.pick(kPrivileges);
        namespace status = cpu::status;
        constexpr uint64_t kBits = status::kSie | status::kMie | status::kSpie | status::kMpie
            | status::kSpp | status::kMprv | status::kSum | status::kMxr | status::kTvm
            | status::kTsr;
        program.mstatus = (m_in.bits(32) & kBits)
            | static_cast<uint64_t>(m_in.pick(kPrivileges)) << status::kMppShift;
        for (uint64_t* target : { &program.mepc, &program.sepc }) {
            if (m_in.chance(80))
                refer_to_instruction(*target, Role::Code);
        }
    }

    uint64_t data_pointer()
    {
        // Mostly far enough from the end of RAM for the compressed loads' and stores' offsets.
        constexpr uint64_t kSafeSize = kDataSize - 512;
        const uint8_t choice = m_in.byte();
        const uint64_t offset = m_in.below(kSafeSize);
        if (choice < 100)
            return kDataBase + (offset & ~uint64_t { 7 });
        if (choice < 150) // around a page boundary within RAM
            return kDataBase + (1 + offset % (kDataSize / 0x1000 - 1)) * 0x1000 - 8 + offset % 16;
        if (choice < 155) // around the end of RAM
            return kDataBase + kDataSize - 8 + offset % 16;
        if (choice < 175) // the f table
            return kDataBase + offset % 256;
        return kDataBase + offset;
    }

    uint64_t initial_f()
    {
        const uint8_t choice = m_in.byte();
        if (choice < 90)
            return m_in.pick(kInterestingDoubles);
        if (choice < 170)
            return kBoxed | m_in.pick(kInterestingSingles);
        if (choice < 200) { // not NaN-boxed: reads as the canonical NaN as a single
            const uint64_t upper = m_in.bits(32) & 0xfffffffe;
            return upper << 32 | m_in.pick(kInterestingSingles);
        }
        if (choice < 230)
            return kBoxed | m_in.bits(32);
        return m_in.bits(64);
    }

    unsigned any_register() { return m_in.byte() & 31; }
    unsigned register_with_role(Role role)
    {
        const unsigned start = any_register();
        for (unsigned i = 0; i < 32; ++i) {
            const unsigned index = (start + i) & 31;
            if (m_roles[index] == role)
                return index;
        }
        return start;
    }
    // Results mostly go to registers that hold no pointer, so the pointers last.
    unsigned destination()
    {
        return m_in.chance(90) ? register_with_role(Role::Value) : any_register();
    }
    unsigned data_base()
    {
        const uint8_t choice = m_in.byte();
        if (choice < 115)
            return register_with_role(Role::Data);
        if (choice < 230)
            return register_with_role(Role::AlignedData);
        return any_register();
    }
    // LR, SC and AMOs trap unless naturally aligned.
    unsigned atomic_base()
    {
        return m_in.chance(90) ? register_with_role(Role::AlignedData) : any_register();
    }
    unsigned code_base()
    {
        return m_in.chance(80) ? register_with_role(Role::Code) : any_register();
    }

    int32_t memory_offset()
    {
        const uint8_t choice = m_in.byte();
        if (choice < 150)
            return static_cast<int32_t>(m_in.below(65)) - 32;
        if (choice < 200)
            return (static_cast<int32_t>(m_in.below(65)) - 32) * 8;
        return static_cast<int32_t>(m_in.bits(12) << 20) >> 20;
    }
    // From a code pointer: that instruction or a neighbour.
    int32_t code_offset()
    {
        return m_in.chance(70) ? 0 : 2 * (static_cast<int32_t>(m_in.below(17)) - 8);
    }

    uint32_t rounding_mode()
    {
        const uint8_t choice = m_in.byte();
        if (choice < 150)
            return 7; // dynamic: frm
        if (choice < 250)
            return choice % 5;
        return 5 + choice % 2; // reserved: illegal
    }

    void add(uint32_t bits, unsigned length) { m_instructions.push_back({ bits, length }); }
    size_t code_size() const
    {
        size_t size = 0;
        for (const auto& instruction : m_instructions)
            size += instruction.length;
        return size;
    }
    void add_fixup(TargetFormat format)
    {
        m_fixups.push_back(
            { m_instructions.size(), format, m_in.byte(), static_cast<uint16_t>(m_in.bits(16)) });
    }

    void add_instruction()
    {
        const uint8_t kind = m_in.byte();
        if (kind < 48)
            add_compressed();
        else if (kind < 50 && !m_straight)
            add_raw();
        else
            add_from_table();
    }

    const isa::InstructionInfo& draw_row()
    {
        const auto& rows = m_straight ? m_straight_rows : m_rows;
        const isa::InstructionInfo* row = rows[m_in.below(rows.size())];
        // These end every program (mret and sret return to address 0): a quarter as many.
        const auto opcode = row->opcode;
        const bool always_traps = opcode == isa::Opcode::ecall || opcode == isa::Opcode::ebreak
            || opcode == isa::Opcode::mret || opcode == isa::Opcode::sret;
        if (always_traps && !m_in.chance(25))
            row = rows[m_in.below(rows.size())];
        return *row;
    }

    void add_from_table()
    {
        const isa::InstructionInfo& row = draw_row();
        uint32_t word = row.match | (static_cast<uint32_t>(m_in.bits(32)) & ~row.mask);
        const bool addresses_memory = row.operands.find("(s)") != std::string_view::npos;
        const bool is_atomic = addresses_memory && row.operands.find('o') == std::string_view::npos;
        const bool is_jalr = row.opcode == isa::Opcode::jalr;
        // Only stores have S-type immediates.
        const bool patch = m_patching && row.immediate == isa::ImmediateKind::S && m_in.chance(25);
        for (char operand : row.operands) {
            switch (operand) {
            case 'd': word = with_field(word, 7, 5, destination()); break;
            case 's':
                if (is_jalr || patch)
                    word = with_field(word, 15, 5, code_base());
                else if (is_atomic)
                    word = with_field(word, 15, 5, atomic_base());
                else if (addresses_memory)
                    word = with_field(word, 15, 5, data_base());
                break;
            case 't':
                if (patch)
                    word = with_field(word, 20, 5, register_with_role(Role::Instruction));
                break;
            case 'o':
                if (is_jalr)
                    word = with_i_immediate(word, code_offset());
                else if (patch)
                    word = with_s_immediate(word, code_offset());
                else if (row.immediate == isa::ImmediateKind::S)
                    word = with_s_immediate(word, memory_offset());
                else
                    word = with_i_immediate(word, memory_offset());
                break;
            case 'i':
                if (row.immediate == isa::ImmediateKind::I && m_in.chance(50))
                    word = with_i_immediate(word, m_in.pick(kInterestingImmediates));
                break;
            case 'b': add_fixup(TargetFormat::Branch); break;
            case 'j': add_fixup(TargetFormat::Jump); break;
            // Only the floating-point CSRs: the others read clocks or change the machine.
            case 'c': word = with_field(word, 20, 12, isa::csr::fflags + m_in.below(3)); break;
            case 'm': word = with_field(word, 12, 3, rounding_mode()); break;
            default: break;
            }
        }
        add(word, 4);
        if (patch && m_in.chance(80))
            add(kFenceI, 4);
        // Mostly a store-conditional to the reservation, which random draws would hardly make.
        const bool is_lr_w = row.opcode == isa::Opcode::lr_w;
        if ((is_lr_w || row.opcode == isa::Opcode::lr_d) && m_in.chance(60)) {
            const uint32_t sc = isa::info(is_lr_w ? isa::Opcode::sc_w : isa::Opcode::sc_d).match;
            const uint32_t ordering = m_in.byte() & 3;
            add(sc | destination() << 7 | (word & 0xf8000) | any_register() << 20 | ordering << 25,
                4);
        }
    }

    // Not reserved, and mostly leaving pointers alone: the compressed forms' register fields
    // cannot be steered away from them as the table's are.
    bool acceptable_compressed(uint16_t half)
    {
        const uint32_t expanded = isa::expand_compressed(half);
        if (expanded == 0)
            return false;
        const isa::DecodedInstruction insn = isa::decode(expanded);
        if (m_straight && ends_block(insn.opcode))
            return false;
        const bool writes_pointer
            = isa::info(insn.opcode).operands.starts_with('d') && m_roles[insn.rd] != Role::Value;
        return !writes_pointer || m_in.chance(10);
    }

    void add_compressed()
    {
        uint16_t half = 0x0001; // c.nop, should every draw be refused
        for (unsigned attempt = 0; attempt < 4; ++attempt) {
            const auto drawn = static_cast<uint16_t>((m_in.bits(16) & ~3u) | m_in.byte() % 3);
            if (acceptable_compressed(drawn)) {
                half = drawn;
                break;
            }
        }
        const unsigned quadrant = half & 3;
        const unsigned funct3 = half >> 13;
        const unsigned rd = (half >> 7) & 31;
        const unsigned rs2 = (half >> 2) & 31;
        if (quadrant == 1 && funct3 == 5) {
            add_fixup(TargetFormat::CompressedJump);
        } else if (quadrant == 1 && funct3 >= 6) {
            add_fixup(TargetFormat::CompressedBranch);
        } else if (quadrant == 2 && funct3 == 4 && rs2 == 0 && rd != 0) { // c.jr, c.jalr
            if (const unsigned base = code_base(); base != 0)
                half = static_cast<uint16_t>(with_field(half, 7, 5, base));
        }
        add(half, 2);
    }

    // Any 32-bit word at all, mostly illegal, but none that reads a clock or waits.
    void add_raw()
    {
        uint32_t word = static_cast<uint32_t>(m_in.bits(32)) | 3;
        const isa::DecodedInstruction decoded = isa::decode(word);
        if (decoded.opcode >= isa::Opcode::csrrw && decoded.opcode <= isa::Opcode::csrrci)
            word = with_field(word, 20, 12, isa::csr::fflags + m_in.below(3));
        else if (decoded.opcode == isa::Opcode::wfi)
            word = 0xffffffff; // illegal
        add(word, 4);
    }

    // Addresses are known now: branch and jump targets and the registers that refer to
    // instructions get their values.
    void resolve(DifferentialProgram& program)
    {
        std::vector<uint64_t> offsets { 0 };
        for (const auto& instruction : m_instructions)
            offsets.push_back(offsets.back() + instruction.length);
        const size_t count = m_instructions.size();
        for (const auto& fixup : m_fixups) {
            size_t target;
            if (fixup.choice < 128) { // near: loops and skips
                const auto near = static_cast<int64_t>(fixup.index) + fixup.target % 33 - 16;
                target = static_cast<size_t>(std::clamp<int64_t>(near, 0, count));
            } else if (fixup.choice < 220) {
                target = fixup.target % (count + 1);
            } else {
                continue; // the random offset as drawn
            }
            const auto offset = static_cast<int64_t>(offsets[target] - offsets[fixup.index]);
            if (offset_fits(fixup.format, offset)) {
                auto& bits = m_instructions[fixup.index].bits;
                bits = with_offset(fixup.format, bits, offset);
            }
        }
        for (const auto& [value, role, target] : m_references) {
            const size_t instruction = target % (count + 1);
            if (role == Role::Code)
                *value = kCodeBase + offsets[instruction];
            else if (instruction < count)
                *value = m_instructions[instruction].bits;
        }
        for (const auto& instruction : m_instructions) {
            const auto* bytes = reinterpret_cast<const uint8_t*>(&instruction.bits);
            program.code.insert(program.code.end(), bytes, bytes + instruction.length);
        }
    }

    ByteReader m_in;
    std::vector<const isa::InstructionInfo*> m_rows;
    std::vector<const isa::InstructionInfo*> m_straight_rows;
    bool m_straight = false;
    bool m_patching = false;
    std::array<Role, 32> m_roles {};
    std::vector<InstructionReference> m_references;
    std::vector<Instruction> m_instructions;
    std::vector<Fixup> m_fixups;
};

} // namespace

std::optional<std::string> run_differential(const DifferentialProgram& program)
{
    check_fits(program);
    Machine reference;
    Machine candidate;
    reference.start(program);
    candidate.start(program);

    UnfencedCodeWatch watch;
    reference.hart.set_tracer([&watch](const cpu::Hart& hart, const isa::DecodedInstruction& insn) {
        watch.before(hart, insn);
    });

    // The translator stops at block boundaries, so it goes first and the interpreter follows
    // to the same instret.
    jit::Translator translator(candidate.hart, { .translate_after = 1 }); // no interpreted warm-up
    const cpu::HartExit candidate_exit = translator.run(program.instruction_limit);
    const uint64_t target = candidate.hart.instret();
    cpu::HartExit reference_exit = cpu::HartExit::BudgetExhausted;
    while (reference_exit == cpu::HartExit::BudgetExhausted && reference.hart.instret() < target)
        reference_exit = reference.hart.run(target - reference.hart.instret());
    // A trap retires nothing: the instruction the translator stopped at must stop the
    // interpreter too.
    if (candidate_exit != cpu::HartExit::BudgetExhausted
        && reference_exit == cpu::HartExit::BudgetExhausted)
        reference_exit = reference.hart.run(1);

    const FinalState expected = final_state(reference.hart, reference_exit);
    const FinalState actual = final_state(candidate.hart, candidate_exit);
    std::vector<std::string> differences = compare(expected, actual);
    if (auto ram = compare_ram(reference, candidate))
        differences.push_back(*ram);
    if (differences.empty() || watch.ran_unfenced_code())
        return std::nullopt;

    std::string report;
    for (const auto& difference : differences)
        report += difference + '\n';
    report += fmt::format("interpreter stopped at {:#x} ({}), {}, instret {}\n", expected.pc,
        disassemble_at(reference, expected.pc), exit_name(expected.exit), expected.instret);
    report += fmt::format("translator stopped at {:#x} ({}), {}, instret {}\n", actual.pc,
        disassemble_at(candidate, actual.pc), exit_name(actual.exit), actual.instret);
    return report;
}

FinalState run_translated(const DifferentialProgram& program, uint64_t release_every)
{
    check_fits(program);
    Machine machine;
    machine.start(program);
    jit::Translator translator(machine.hart, { .translate_after = 1, .idle_code_bytes = 0 });
    if (release_every == 0)
        return final_state(machine.hart, translator.run(program.instruction_limit));
    cpu::HartExit exit = cpu::HartExit::BudgetExhausted;
    const uint64_t limit = machine.hart.instret() + program.instruction_limit;
    while (exit == cpu::HartExit::BudgetExhausted && machine.hart.instret() < limit) {
        exit = translator.run(std::min(release_every, limit - machine.hart.instret()));
        translator.release_idle_memory();
    }
    return final_state(machine.hart, exit);
}

DifferentialProgram generate_program(std::span<const uint8_t> random_bytes)
{
    return Generator(random_bytes).generate();
}

std::string describe_program(const DifferentialProgram& program)
{
    std::string text
        = fmt::format("frm {}, fflags {:#x}, FS {}, instruction limit {}\n", program.frm,
            program.fflags, program.float_enabled ? "dirty" : "off", program.instruction_limit);
    text += fmt::format("privilege {}, mstatus {:#x}, mepc {:#x}, sepc {:#x}\n",
        static_cast<unsigned>(program.privilege), program.mstatus, program.mepc, program.sepc);
    for (unsigned i = 1; i < 32; ++i)
        text += fmt::format(
            "{:>4} {:#018x}{}", isa::x_register_name(i), program.x[i], i % 4 == 3 ? "\n" : "  ");
    text += '\n';
    for (unsigned i = 0; i < 32; ++i)
        text += fmt::format(
            "{:>4} {:#018x}{}", isa::f_register_name(i), program.f[i], i % 4 == 3 ? "\n" : "  ");
    size_t offset = 0;
    while (offset + 2 <= program.code.size()) {
        uint32_t bits = 0;
        std::memcpy(&bits, program.code.data() + offset, 2);
        if (!isa::is_compressed(bits) && offset + 4 <= program.code.size())
            std::memcpy(&bits, program.code.data() + offset, 4);
        const isa::DecodedInstruction insn = isa::decode(bits);
        const uint64_t pc = kCodeBase + offset;
        text += fmt::format(
            "{:x}: {:0{}x}  {}\n", pc, insn.bits, insn.length * 2, isa::disassemble(insn, pc));
        offset += insn.length;
    }
    return text;
}

} // namespace rvisor::differential
