// The reference execution engine: the semantics of every instruction in isa/instructions.def.
#include "cpu/hart.h"
#include "cpu/status_bits.h"

#include <bit>

namespace rvisor::cpu {

namespace {

using isa::Opcode;

int64_t sext32(uint64_t value) { return static_cast<int32_t>(static_cast<uint32_t>(value)); }

uint64_t mulh_signed(int64_t a, int64_t b)
{
    return static_cast<uint64_t>((static_cast<__int128>(a) * b) >> 64);
}
uint64_t mulh_unsigned(uint64_t a, uint64_t b)
{
    return static_cast<uint64_t>((static_cast<unsigned __int128>(a) * b) >> 64);
}
uint64_t mulh_signed_unsigned(int64_t a, uint64_t b)
{
    return static_cast<uint64_t>((static_cast<__int128>(a) * static_cast<__int128>(b)) >> 64);
}

// Division as the M extension defines it: no traps; x/0 = -1 (all ones), x%0 = x, and the
// overflowing MIN/-1 = MIN with remainder 0.
template <typename S> S divide(S a, S b)
{
    using U = std::make_unsigned_t<S>;
    if (b == 0)
        return static_cast<S>(~U { 0 });
    if constexpr (std::is_signed_v<S>) {
        if (a == std::numeric_limits<S>::min() && b == -1)
            return a;
    }
    return a / b;
}
template <typename S> S remainder(S a, S b)
{
    if (b == 0)
        return a;
    if constexpr (std::is_signed_v<S>) {
        if (a == std::numeric_limits<S>::min() && b == -1)
            return 0;
    }
    return a % b;
}

uint64_t orc_b(uint64_t value)
{
    uint64_t result = 0;
    for (unsigned i = 0; i < 8; ++i) {
        if ((value >> (8 * i)) & 0xff)
            result |= 0xffull << (8 * i);
    }
    return result;
}

} // namespace

void Hart::execute(const isa::DecodedInstruction& insn)
{
    uint64_t next_pc = m_state.pc + insn.length;
    const uint64_t rs1 = m_state.x[insn.rs1];
    const uint64_t rs2 = m_state.x[insn.rs2];
    const int64_t imm = insn.immediate;
    uint64_t& rd = m_state.x[insn.rd]; // x0 is re-zeroed at the end
    auto illegal = [&] { raise_exception(Exception::IllegalInstruction, insn.bits); };

    switch (insn.opcode) {
    case Opcode::illegal:
    case Opcode::count: illegal(); return;

    // RV64I
    case Opcode::lui: rd = imm; break;
    case Opcode::auipc: rd = m_state.pc + imm; break;
    case Opcode::jal:
        rd = next_pc;
        next_pc = m_state.pc + imm;
        break;
    case Opcode::jalr:
        next_pc = (rs1 + imm) & ~uint64_t { 1 };
        rd = m_state.pc + insn.length;
        break;
    case Opcode::beq:
        if (rs1 == rs2)
            next_pc = m_state.pc + imm;
        break;
    case Opcode::bne:
        if (rs1 != rs2)
            next_pc = m_state.pc + imm;
        break;
    case Opcode::blt:
        if (int64_t(rs1) < int64_t(rs2))
            next_pc = m_state.pc + imm;
        break;
    case Opcode::bge:
        if (int64_t(rs1) >= int64_t(rs2))
            next_pc = m_state.pc + imm;
        break;
    case Opcode::bltu:
        if (rs1 < rs2)
            next_pc = m_state.pc + imm;
        break;
    case Opcode::bgeu:
        if (rs1 >= rs2)
            next_pc = m_state.pc + imm;
        break;

#define RV_LOAD(op, type, convert)                                                                 \
    case Opcode::op: {                                                                             \
        auto value = load<type>(rs1 + imm);                                                        \
        if (!value)                                                                                \
            return;                                                                                \
        rd = static_cast<uint64_t>(static_cast<int64_t>(convert(*value)));                         \
        break;                                                                                     \
    }
        RV_LOAD(lb, uint8_t, static_cast<int8_t>)
        RV_LOAD(lh, uint16_t, static_cast<int16_t>)
        RV_LOAD(lw, uint32_t, static_cast<int32_t>)
        RV_LOAD(ld, uint64_t, uint64_t)
        RV_LOAD(lbu, uint8_t, uint64_t)
        RV_LOAD(lhu, uint16_t, uint64_t)
        RV_LOAD(lwu, uint32_t, uint64_t)
#undef RV_LOAD
#define RV_STORE(op, type)                                                                         \
    case Opcode::op:                                                                               \
        if (!store<type>(rs1 + imm, static_cast<type>(rs2)))                                       \
            return;                                                                                \
        break;
        RV_STORE(sb, uint8_t)
        RV_STORE(sh, uint16_t)
        RV_STORE(sw, uint32_t)
        RV_STORE(sd, uint64_t)
#undef RV_STORE

    case Opcode::addi: rd = rs1 + imm; break;
    case Opcode::slti: rd = int64_t(rs1) < imm; break;
    case Opcode::sltiu: rd = rs1 < uint64_t(imm); break;
    case Opcode::xori: rd = rs1 ^ imm; break;
    case Opcode::ori: rd = rs1 | imm; break;
    case Opcode::andi: rd = rs1 & imm; break;
    case Opcode::slli: rd = rs1 << imm; break;
    case Opcode::srli: rd = rs1 >> imm; break;
    case Opcode::srai: rd = int64_t(rs1) >> imm; break;
    case Opcode::add: rd = rs1 + rs2; break;
    case Opcode::sub: rd = rs1 - rs2; break;
    case Opcode::sll: rd = rs1 << (rs2 & 63); break;
    case Opcode::slt: rd = int64_t(rs1) < int64_t(rs2); break;
    case Opcode::sltu: rd = rs1 < rs2; break;
    case Opcode::xor_: rd = rs1 ^ rs2; break;
    case Opcode::srl: rd = rs1 >> (rs2 & 63); break;
    case Opcode::sra: rd = int64_t(rs1) >> (rs2 & 63); break;
    case Opcode::or_: rd = rs1 | rs2; break;
    case Opcode::and_: rd = rs1 & rs2; break;
    case Opcode::addiw: rd = sext32(rs1 + imm); break;
    case Opcode::slliw: rd = sext32(rs1 << imm); break;
    case Opcode::srliw: rd = sext32(uint32_t(rs1) >> imm); break;
    case Opcode::sraiw: rd = int32_t(rs1) >> imm; break;
    case Opcode::addw: rd = sext32(rs1 + rs2); break;
    case Opcode::subw: rd = sext32(rs1 - rs2); break;
    case Opcode::sllw: rd = sext32(uint32_t(rs1) << (rs2 & 31)); break;
    case Opcode::srlw: rd = sext32(uint32_t(rs1) >> (rs2 & 31)); break;
    case Opcode::sraw: rd = int32_t(rs1) >> (rs2 & 31); break;
    case Opcode::fence: break; // x86-64 is TSO and devices complete synchronously
    case Opcode::fence_i: // decoding is keyed by instruction bits, but translations are not
        m_code_flush_requested.store(true, std::memory_order_relaxed);
        break;
    case Opcode::ecall:
        raise_exception(m_state.privilege == Privilege::User ? Exception::EcallFromU
                : m_state.privilege == Privilege::Supervisor ? Exception::EcallFromS
                                                             : Exception::EcallFromM,
            0);
        return;
    case Opcode::ebreak: raise_exception(Exception::Breakpoint, m_state.pc); return;

    // Privileged
    case Opcode::sret:
        if (m_state.privilege == Privilege::User
            || (m_state.privilege == Privilege::Supervisor && (m_state.mstatus & status::kTsr))) {
            illegal();
            return;
        }
        return_from_trap(Privilege::Supervisor);
        return;
    case Opcode::mret:
        if (m_state.privilege != Privilege::Machine) {
            illegal();
            return;
        }
        return_from_trap(Privilege::Machine);
        return;
    case Opcode::wfi:
        if (m_state.privilege == Privilege::User
            || (m_state.privilege == Privilege::Supervisor && (m_state.mstatus & status::kTw))) {
            illegal();
            return;
        }
        if (!interrupts_pending_ignoring_enables()) {
            m_exit = HartExit::WaitForInterrupt;
            m_exit_requested = true;
        }
        break;
    case Opcode::sfence_vma:
        if (m_state.privilege == Privilege::User
            || (m_state.privilege == Privilege::Supervisor && (m_state.mstatus & status::kTvm))) {
            illegal();
            return;
        }
        if (insn.rs1 == 0)
            m_tlb.flush();
        else
            m_tlb.flush_address(rs1);
        break;

    // Zicsr: csrrs/csrrc with rs1 = x0 (and the immediate forms with 0) only read.
    case Opcode::csrrw:
    case Opcode::csrrs:
    case Opcode::csrrc:
    case Opcode::csrrwi:
    case Opcode::csrrsi:
    case Opcode::csrrci: {
        const auto address = static_cast<uint32_t>(imm);
        const bool immediate_form = insn.opcode >= Opcode::csrrwi;
        const uint64_t operand = immediate_form ? insn.rs1 : rs1;
        const bool is_write = insn.opcode == Opcode::csrrw || insn.opcode == Opcode::csrrwi;
        const bool writes = is_write || insn.rs1 != 0;
        std::optional<uint64_t> old;
        if (!is_write || insn.rd != 0) {
            old = read_csr(address);
            if (!old) {
                illegal();
                return;
            }
        }
        if (writes) {
            uint64_t value = operand;
            if (insn.opcode == Opcode::csrrs || insn.opcode == Opcode::csrrsi)
                value = read_modify_write_base(address, *old) | operand;
            else if (insn.opcode == Opcode::csrrc || insn.opcode == Opcode::csrrci)
                value = read_modify_write_base(address, *old) & ~operand;
            if (!write_csr(address, value)) {
                illegal();
                return;
            }
        }
        if (old)
            rd = *old;
        break;
    }

    // M
    case Opcode::mul: rd = rs1 * rs2; break;
    case Opcode::mulh: rd = mulh_signed(int64_t(rs1), int64_t(rs2)); break;
    case Opcode::mulhsu: rd = mulh_signed_unsigned(int64_t(rs1), rs2); break;
    case Opcode::mulhu: rd = mulh_unsigned(rs1, rs2); break;
    case Opcode::div: rd = divide<int64_t>(rs1, rs2); break;
    case Opcode::divu: rd = divide<uint64_t>(rs1, rs2); break;
    case Opcode::rem: rd = remainder<int64_t>(rs1, rs2); break;
    case Opcode::remu: rd = remainder<uint64_t>(rs1, rs2); break;
    case Opcode::mulw: rd = sext32(rs1 * rs2); break;
    case Opcode::divw: rd = sext32(divide<int32_t>(int32_t(rs1), int32_t(rs2))); break;
    case Opcode::divuw: rd = sext32(divide<uint32_t>(uint32_t(rs1), uint32_t(rs2))); break;
    case Opcode::remw: rd = sext32(remainder<int32_t>(int32_t(rs1), int32_t(rs2))); break;
    case Opcode::remuw: rd = sext32(remainder<uint32_t>(uint32_t(rs1), uint32_t(rs2))); break;

    // A
    case Opcode::lr_w:
    case Opcode::lr_d: {
        const unsigned size = insn.opcode == Opcode::lr_w ? 4 : 8;
        uint8_t* host = atomic_pointer(rs1, size, true);
        if (!host)
            return;
        if (size == 4) {
            m_state.reserved_value
                = __atomic_load_n(reinterpret_cast<uint32_t*>(host), __ATOMIC_SEQ_CST);
            rd = sext32(m_state.reserved_value);
        } else {
            m_state.reserved_value
                = __atomic_load_n(reinterpret_cast<uint64_t*>(host), __ATOMIC_SEQ_CST);
            rd = m_state.reserved_value;
        }
        m_state.reservation = rs1;
        break;
    }
    case Opcode::sc_w:
    case Opcode::sc_d: {
        const unsigned size = insn.opcode == Opcode::sc_w ? 4 : 8;
        uint8_t* host = atomic_pointer(rs1, size, false);
        if (!host)
            return;
        bool stored = false;
        if (m_state.reservation == rs1) {
            if (size == 4) {
                auto expected = static_cast<uint32_t>(m_state.reserved_value);
                stored = __atomic_compare_exchange_n(reinterpret_cast<uint32_t*>(host), &expected,
                    static_cast<uint32_t>(rs2), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            } else {
                uint64_t expected = m_state.reserved_value;
                stored = __atomic_compare_exchange_n(reinterpret_cast<uint64_t*>(host), &expected,
                    rs2, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
            }
        }
        m_state.reservation.reset();
        rd = stored ? 0 : 1;
        break;
    }
#define RV_AMO(op, type, operation)                                                                \
    case Opcode::op: {                                                                             \
        uint8_t* host = atomic_pointer(rs1, sizeof(type), false);                                  \
        if (!host)                                                                                 \
            return;                                                                                \
        auto* word = reinterpret_cast<type*>(host);                                                \
        type old = __atomic_load_n(word, __ATOMIC_RELAXED);                                        \
        const auto b = static_cast<type>(rs2);                                                     \
        for (;;) {                                                                                 \
            [[maybe_unused]] const type a = old;                                                   \
            const type updated = static_cast<type>(operation);                                     \
            if (__atomic_compare_exchange_n(                                                       \
                    word, &old, updated, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))               \
                break;                                                                             \
        }                                                                                          \
        rd = sizeof(type) == 4 ? uint64_t(sext32(old)) : uint64_t(old);                            \
        break;                                                                                     \
    }
        RV_AMO(amoswap_w, uint32_t, b)
        RV_AMO(amoadd_w, uint32_t, a + b)
        RV_AMO(amoxor_w, uint32_t, a ^ b)
        RV_AMO(amoand_w, uint32_t, a & b)
        RV_AMO(amoor_w, uint32_t, a | b)
        RV_AMO(amomin_w, uint32_t, std::min(int32_t(a), int32_t(b)))
        RV_AMO(amomax_w, uint32_t, std::max(int32_t(a), int32_t(b)))
        RV_AMO(amominu_w, uint32_t, std::min(a, b))
        RV_AMO(amomaxu_w, uint32_t, std::max(a, b))
        RV_AMO(amoswap_d, uint64_t, b)
        RV_AMO(amoadd_d, uint64_t, a + b)
        RV_AMO(amoxor_d, uint64_t, a ^ b)
        RV_AMO(amoand_d, uint64_t, a & b)
        RV_AMO(amoor_d, uint64_t, a | b)
        RV_AMO(amomin_d, uint64_t, std::min(int64_t(a), int64_t(b)))
        RV_AMO(amomax_d, uint64_t, std::max(int64_t(a), int64_t(b)))
        RV_AMO(amominu_d, uint64_t, std::min(a, b))
        RV_AMO(amomaxu_d, uint64_t, std::max(a, b))
#undef RV_AMO

    // Zba
    case Opcode::sh1add: rd = (rs1 << 1) + rs2; break;
    case Opcode::sh2add: rd = (rs1 << 2) + rs2; break;
    case Opcode::sh3add: rd = (rs1 << 3) + rs2; break;
    case Opcode::add_uw: rd = uint32_t(rs1) + rs2; break;
    case Opcode::sh1add_uw: rd = (uint64_t(uint32_t(rs1)) << 1) + rs2; break;
    case Opcode::sh2add_uw: rd = (uint64_t(uint32_t(rs1)) << 2) + rs2; break;
    case Opcode::sh3add_uw: rd = (uint64_t(uint32_t(rs1)) << 3) + rs2; break;
    case Opcode::slli_uw: rd = uint64_t(uint32_t(rs1)) << imm; break;

    // Zbb
    case Opcode::andn: rd = rs1 & ~rs2; break;
    case Opcode::orn: rd = rs1 | ~rs2; break;
    case Opcode::xnor: rd = ~(rs1 ^ rs2); break;
    case Opcode::clz: rd = std::countl_zero(rs1); break;
    case Opcode::ctz: rd = std::countr_zero(rs1); break;
    case Opcode::cpop: rd = std::popcount(rs1); break;
    case Opcode::clzw: rd = std::countl_zero(uint32_t(rs1)); break;
    case Opcode::ctzw: rd = std::countr_zero(uint32_t(rs1)); break;
    case Opcode::cpopw: rd = std::popcount(uint32_t(rs1)); break;
    case Opcode::max: rd = std::max(int64_t(rs1), int64_t(rs2)); break;
    case Opcode::maxu: rd = std::max(rs1, rs2); break;
    case Opcode::min: rd = std::min(int64_t(rs1), int64_t(rs2)); break;
    case Opcode::minu: rd = std::min(rs1, rs2); break;
    case Opcode::sext_b: rd = int64_t(int8_t(rs1)); break;
    case Opcode::sext_h: rd = int64_t(int16_t(rs1)); break;
    case Opcode::zext_h: rd = uint16_t(rs1); break;
    case Opcode::rol: rd = std::rotl(rs1, int(rs2 & 63)); break;
    case Opcode::ror: rd = std::rotr(rs1, int(rs2 & 63)); break;
    case Opcode::rolw: rd = sext32(std::rotl(uint32_t(rs1), int(rs2 & 31))); break;
    case Opcode::rorw: rd = sext32(std::rotr(uint32_t(rs1), int(rs2 & 31))); break;
    case Opcode::rori: rd = std::rotr(rs1, int(imm)); break;
    case Opcode::roriw: rd = sext32(std::rotr(uint32_t(rs1), int(imm))); break;
    case Opcode::orc_b: rd = orc_b(rs1); break;
    case Opcode::rev8: rd = __builtin_bswap64(rs1); break;

    // Zbs
    case Opcode::bclr: rd = rs1 & ~(1ull << (rs2 & 63)); break;
    case Opcode::bclri: rd = rs1 & ~(1ull << imm); break;
    case Opcode::bext: rd = (rs1 >> (rs2 & 63)) & 1; break;
    case Opcode::bexti: rd = (rs1 >> imm) & 1; break;
    case Opcode::binv: rd = rs1 ^ (1ull << (rs2 & 63)); break;
    case Opcode::binvi: rd = rs1 ^ (1ull << imm); break;
    case Opcode::bset: rd = rs1 | (1ull << (rs2 & 63)); break;
    case Opcode::bseti: rd = rs1 | (1ull << imm); break;

    // Zicond
    case Opcode::czero_eqz: rd = rs2 == 0 ? 0 : rs1; break;
    case Opcode::czero_nez: rd = rs2 != 0 ? 0 : rs1; break;

    default:
        // Everything left is F or D: all of it needs mstatus.FS on.
        if (!float_enabled()) {
            illegal();
            return;
        }
        if (!execute_float(insn))
            return;
        break;
    }
    m_state.x[0] = 0;
    m_state.pc = next_pc;
}

} // namespace rvisor::cpu
