#include "jit/hart_access.h"

#include "isa/decoder.h"
#include "jit/host_float.h"

#include <cstring>
#include <xmmintrin.h>

namespace rvisor::jit {

uint8_t* HartAccess::fetch_pointer(cpu::Hart& hart, bool& faulted)
{
    faulted = false;
    const uint64_t pc = hart.m_state.pc;
    uint64_t physical = 0;
    uint8_t* host = hart.host_pointer(pc, cpu::Hart::Access::Fetch, faulted, physical);
    if (!host)
        return nullptr;
    // The first instruction must lie in the page; a 4-byte one at its last halfword does not.
    if ((pc & 0xfff) == 0xffe) {
        uint16_t low;
        std::memcpy(&low, host, 2);
        if (!isa::is_compressed(low))
            return nullptr;
    }
    return host;
}

void HartAccess::fold_host_float_flags(cpu::Hart& hart)
{
    const uint32_t mxcsr = _mm_getcsr();
    hart.m_state.fflags |= kFflagsOfMxcsr[mxcsr & kMxcsrFlags];
    _mm_setcsr(mxcsr & ~kMxcsrFlags);
}

uint64_t HartAccess::interpret(cpu::Hart* hart, const isa::DecodedInstruction* insn)
{
    if (insn->opcode >= isa::Opcode::csrrw && insn->opcode <= isa::Opcode::csrrci)
        fold_host_float_flags(*hart); // fflags or fcsr may be read
    // The interpreter's arithmetic leaves its own flags in MXCSR (it accrues fflags itself):
    // translated code's flags and rounding mode are put back afterwards.
    const uint32_t mxcsr = _mm_getcsr();
    hart->m_trapped = false;
    hart->execute(*insn);
    _mm_setcsr(mxcsr);
    if (!hart->m_trapped)
        ++hart->m_state.instret;
    return hart->m_trapped || hart->m_exit_requested;
}

template <typename T, bool Signed> uint64_t HartAccess::load(cpu::Hart* hart, uint64_t address)
{
    hart->m_trapped = false;
    const std::optional<T> value = hart->load<T>(address);
    if (!value)
        return 0;
    if constexpr (Signed)
        return static_cast<uint64_t>(
            static_cast<int64_t>(static_cast<std::make_signed_t<T>>(*value)));
    else
        return *value;
}

template <typename T> void HartAccess::store(cpu::Hart* hart, uint64_t address, uint64_t value)
{
    hart->m_trapped = false;
    hart->store<T>(address, static_cast<T>(value));
}

template uint64_t HartAccess::load<uint8_t, false>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint8_t, true>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint16_t, false>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint16_t, true>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint32_t, false>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint32_t, true>(cpu::Hart*, uint64_t);
template uint64_t HartAccess::load<uint64_t, false>(cpu::Hart*, uint64_t);
template void HartAccess::store<uint8_t>(cpu::Hart*, uint64_t, uint64_t);
template void HartAccess::store<uint16_t>(cpu::Hart*, uint64_t, uint64_t);
template void HartAccess::store<uint32_t>(cpu::Hart*, uint64_t, uint64_t);
template void HartAccess::store<uint64_t>(cpu::Hart*, uint64_t, uint64_t);

} // namespace rvisor::jit
