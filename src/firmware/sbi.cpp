#include "firmware/sbi.h"

#include "cpu/status_bits.h"
#include "isa/csr_address.h"

#include <thread>

namespace rvisor::firmware {

namespace {

constexpr int64_t kSuccess = 0;
constexpr int64_t kErrNotSupported = -2;
constexpr int64_t kErrInvalidParam = -3;
constexpr int64_t kErrAlreadyAvailable = -6;

constexpr uint64_t kExtBase = 0x10;
constexpr uint64_t kExtTime = 0x54494d45;
constexpr uint64_t kExtIpi = 0x735049;
constexpr uint64_t kExtRfence = 0x52464e43;
constexpr uint64_t kExtHsm = 0x48534d;
constexpr uint64_t kExtSrst = 0x53525354;
constexpr uint64_t kExtDbcn = 0x4442434e;
constexpr uint64_t kLegacySetTimer = 0x00;
constexpr uint64_t kLegacyPutchar = 0x01;
constexpr uint64_t kLegacyGetchar = 0x02;
constexpr uint64_t kLegacyClearIpi = 0x03;
constexpr uint64_t kLegacyShutdown = 0x08;

constexpr uint64_t kSpecVersion = 2ull << 24; // v2.0
constexpr uint64_t kImplementationId = 0x52564953; // "RVIS"
constexpr uint64_t kImplementationVersion = 1;

constexpr uint64_t kSuspendNonRetentive = 0x80000000;

// a0..a7 by name, for readability of the calling convention.
enum Register : unsigned { a0 = 10, a1, a2, a3, a4, a5, a6, a7 };

bool is_supported_extension(uint64_t id)
{
    switch (id) {
    case kExtBase:
    case kExtTime:
    case kExtIpi:
    case kExtRfence:
    case kExtHsm:
    case kExtSrst:
    case kExtDbcn:
    case kLegacySetTimer:
    case kLegacyPutchar:
    case kLegacyGetchar:
    case kLegacyClearIpi:
    case kLegacyShutdown: return true;
    default: return false;
    }
}

} // namespace

void Sbi::enter_supervisor(cpu::Hart& hart, uint64_t pc, uint64_t a0_value, uint64_t a1_value)
{
    using namespace isa::csr;
    using cpu::Exception;
    // Everything but the ecalls that reach this firmware goes to the kernel: the hart performs
    // misaligned accesses itself, so there is nothing else for M-mode to emulate.
    uint64_t exceptions = 0;
    for (Exception cause : { Exception::InstructionMisaligned, Exception::InstructionAccessFault,
             Exception::IllegalInstruction, Exception::Breakpoint, Exception::LoadMisaligned,
             Exception::LoadAccessFault, Exception::StoreMisaligned, Exception::StoreAccessFault,
             Exception::EcallFromU, Exception::InstructionPageFault, Exception::LoadPageFault,
             Exception::StorePageFault })
        exceptions |= uint64_t { 1 } << static_cast<unsigned>(cause);
    hart.write_csr_as_machine(medeleg, exceptions);
    hart.write_csr_as_machine(mideleg,
        cpu::bit(cpu::Interrupt::SupervisorSoftware) | cpu::bit(cpu::Interrupt::SupervisorTimer)
            | cpu::bit(cpu::Interrupt::SupervisorExternal));
    hart.write_csr_as_machine(mcounteren, 0xffffffff);
    // User mode may read cycle, time and instret (Linux's vDSO reads time directly); the kernel
    // never sets scounteren itself and relies on firmware for it, as OpenSBI does.
    hart.write_csr_as_machine(scounteren, 0x7);
    hart.write_csr_as_machine(menvcfg, cpu::envcfg::kStce | cpu::envcfg::kFiom);
    hart.write_csr_as_machine(satp, 0);
    hart.write_csr_as_machine(sstatus, 0);
    hart.write_csr_as_machine(sie, 0);
    hart.set_x(a0, a0_value);
    hart.set_x(a1, a1_value);
    hart.set_privilege(cpu::Privilege::Supervisor);
    hart.set_pc(pc);
}

void Sbi::handle_call(unsigned hart_index)
{
    cpu::Hart& hart = m_platform.hart(hart_index);
    const uint64_t extension = hart.x(a7);
    const uint64_t function = hart.x(a6);
    Result result { kErrNotSupported, 0 };
    bool legacy = false;

    switch (extension) {
    case kLegacySetTimer:
        legacy = true;
        hart.write_csr_as_machine(isa::csr::stimecmp, hart.x(a0));
        result = { kSuccess, 0 };
        break;
    case kLegacyPutchar:
        legacy = true;
        m_platform.console_write(static_cast<uint8_t>(hart.x(a0)));
        result = { kSuccess, 0 };
        break;
    case kLegacyGetchar: {
        legacy = true;
        auto byte = m_platform.console_read();
        result = { byte ? int64_t { *byte } : -1, 0 };
        break;
    }
    case kLegacyClearIpi:
        legacy = true;
        hart.write_csr_as_machine(isa::csr::sip, 0);
        result = { kSuccess, 0 };
        break;
    case kLegacyShutdown:
        legacy = true;
        m_platform.system_reset(ResetRequest::Poweroff);
        result = { kSuccess, 0 };
        break;
    case kExtBase: result = base(function, hart.x(a0)); break;
    case kExtTime:
        if (function == 0) {
            hart.write_csr_as_machine(isa::csr::stimecmp, hart.x(a0));
            result = { kSuccess, 0 };
        }
        break;
    case kExtIpi:
        if (function == 0)
            result = send_ipi(hart.x(a0), hart.x(a1));
        break;
    case kExtRfence: result = remote_fence(hart_index, function, hart.x(a0), hart.x(a1)); break;
    case kExtHsm: result = hart_state_management(hart_index, function, hart); break;
    case kExtSrst:
        if (function == 0)
            result = system_reset(hart.x(a0), hart.x(a1));
        break;
    case kExtDbcn: result = debug_console(function, hart); break;
    default: break;
    }

    if (m_platform.hart_state(hart_index) != HsmState::Started)
        return; // the hart stopped itself, or was replaced by a non-retentive resume
    hart.set_x(a0, static_cast<uint64_t>(result.error));
    if (!legacy)
        hart.set_x(a1, result.value);
    hart.set_pc(hart.pc() + 4);
}

Sbi::Result Sbi::base(uint64_t function, uint64_t argument)
{
    switch (function) {
    case 0: return { kSuccess, kSpecVersion };
    case 1: return { kSuccess, kImplementationId };
    case 2: return { kSuccess, kImplementationVersion };
    case 3: return { kSuccess, is_supported_extension(argument) ? 1u : 0u };
    case 4: // mvendorid, marchid, mimpid: all 0, as the harts report
    case 5:
    case 6: return { kSuccess, 0 };
    default: return { kErrNotSupported, 0 };
    }
}

template <typename Visit> int64_t Sbi::for_each_hart(uint64_t mask, uint64_t mask_base, Visit visit)
{
    const unsigned count = m_platform.hart_count();
    if (mask_base == UINT64_MAX) { // every hart
        for (unsigned i = 0; i < count; ++i)
            visit(i);
        return kSuccess;
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        if (!(mask & (uint64_t { 1 } << bit)))
            continue;
        if (mask_base + bit >= count)
            return kErrInvalidParam;
    }
    for (unsigned bit = 0; bit < 64; ++bit) {
        if (mask & (uint64_t { 1 } << bit))
            visit(static_cast<unsigned>(mask_base + bit));
    }
    return kSuccess;
}

Sbi::Result Sbi::send_ipi(uint64_t mask, uint64_t mask_base)
{
    int64_t error = for_each_hart(mask, mask_base, [&](unsigned index) {
        m_platform.interrupt_lines(index).set_level(cpu::Interrupt::SupervisorSoftware, true);
    });
    return { error, 0 };
}

Sbi::Result Sbi::remote_fence(unsigned caller, uint64_t function, uint64_t mask, uint64_t mask_base)
{
    if (function > 2)
        return { kErrNotSupported, 0 };
    if (function == 0) {
        return { for_each_hart(mask, mask_base,
                     [&](unsigned index) { m_platform.hart(index).request_code_flush(); }),
            0 };
    }
    // sfence.vma (all, or by ASID): flush whole TLBs, a superset of what was asked.
    std::vector<unsigned> targets;
    int64_t error = for_each_hart(mask, mask_base, [&](unsigned index) {
        if (index == caller)
            m_platform.hart(index).flush_tlb();
        else if (m_platform.hart_state(index) == HsmState::Started) {
            m_platform.hart(index).request_tlb_flush();
            targets.push_back(index);
        }
    });
    // The kernel may free page tables once this returns: wait until each target has flushed.
    // A hart that is not executing flushes before it runs again, so it need not be waited for;
    // meanwhile this hart answers requests aimed at it, so two harts fencing each other finish.
    for (unsigned index : targets) {
        while (m_platform.hart(index).tlb_flush_outstanding())
            std::this_thread::yield();
    }
    return { error, 0 };
}

Sbi::Result Sbi::hart_state_management(unsigned caller, uint64_t function, cpu::Hart& hart)
{
    switch (function) {
    case 0: { // hart_start(hartid, start_addr, opaque)
        const uint64_t target = hart.x(a0);
        if (target >= m_platform.hart_count())
            return { kErrInvalidParam, 0 };
        if (!m_platform.start_hart(static_cast<unsigned>(target), hart.x(a1), hart.x(a2)))
            return { kErrAlreadyAvailable, 0 };
        return { kSuccess, 0 };
    }
    case 1: // hart_stop()
        m_platform.stop_hart(caller);
        return { kSuccess, 0 };
    case 2: { // hart_get_status(hartid)
        const uint64_t target = hart.x(a0);
        if (target >= m_platform.hart_count())
            return { kErrInvalidParam, 0 };
        return { kSuccess,
            static_cast<uint64_t>(m_platform.hart_state(static_cast<unsigned>(target))) };
    }
    case 3: { // hart_suspend(type, resume_addr, opaque)
        const uint64_t type = hart.x(a0);
        if (type != 0 && type != kSuspendNonRetentive)
            return { kErrInvalidParam, 0 };
        hart.wait_for_interrupt();
        if (type == kSuspendNonRetentive) {
            const uint64_t resume = hart.x(a1), opaque = hart.x(a2);
            enter_supervisor(hart, resume - 4, hart.hart_id(), opaque);
            // The caller's pc += 4 lands on resume; a0/a1 must survive it.
            return { static_cast<int64_t>(hart.hart_id()), opaque };
        }
        return { kSuccess, 0 };
    }
    default: return { kErrNotSupported, 0 };
    }
}

Sbi::Result Sbi::debug_console(uint64_t function, cpu::Hart& hart)
{
    const mem::GuestRam& ram = m_platform.hart(0).bus().ram();
    // base_hi holds the bits of the address above XLEN: on RV64 no memory is there.
    const auto buffer = [&] {
        return hart.x(a2) == 0 ? ram.span(hart.x(a1), hart.x(a0)) : std::span<uint8_t> {};
    };
    switch (function) {
    case 0: { // console_write(num_bytes, base_lo, base_hi)
        auto bytes = buffer();
        if (bytes.size() != hart.x(a0))
            return { kErrInvalidParam, 0 };
        for (uint8_t byte : bytes)
            m_platform.console_write(byte);
        return { kSuccess, bytes.size() };
    }
    case 1: { // console_read(num_bytes, base_lo, base_hi)
        auto bytes = buffer();
        if (bytes.size() != hart.x(a0))
            return { kErrInvalidParam, 0 };
        uint64_t count = 0;
        while (count < bytes.size()) {
            auto byte = m_platform.console_read();
            if (!byte)
                break;
            bytes[count++] = *byte;
        }
        return { kSuccess, count };
    }
    case 2: // console_write_byte(byte)
        m_platform.console_write(static_cast<uint8_t>(hart.x(a0)));
        return { kSuccess, 0 };
    default: return { kErrNotSupported, 0 };
    }
}

Sbi::Result Sbi::system_reset(uint64_t type, uint64_t reason)
{
    // Types above 2 and reasons above 1 (system failure) are reserved or vendor-specific, and
    // this SBI implements none of them.
    if (type > 2 || reason > 1)
        return { kErrInvalidParam, 0 };
    if (type == 0)
        m_platform.system_reset(reason == 1 ? ResetRequest::Failure : ResetRequest::Poweroff);
    else
        m_platform.system_reset(ResetRequest::Reboot);
    return { kSuccess, 0 };
}

} // namespace rvisor::firmware
