// libFuzzer target: the built-in SBI's call interface (README.md). Two harts in S-mode share
// 64 KiB of guest RAM; hart 0 runs, hart 1 is stopped until a call starts it. The input is
//
//   n (1 byte), then n bytes the console offers to reads (legacy getchar, DBCN read),
//   then calls of 50 bytes each:
//     selector (1 byte): bits 3..0 pick a7 from kExtensions (15: a7 is the next 8 bytes),
//                        bit 4 the calling hart
//     a6 (1 byte; 0xff: the next 8 bytes)
//     a0..a5 (8 bytes each)
//
// Every call must answer with an error code the SBI specification defines for that function
// (or, for the legacy extensions, what v0.1 returns), step past the ecall unless it stopped or
// non-retentively suspended its hart, and change no guest byte but those a DBCN read was asked
// to fill. A DBCN address past RAM's end or wrapping around must be refused, not followed.
#include "byte_reader.h"
#include "cpu/hart.h"
#include "firmware/sbi.h"
#include "fuzz_check.h"
#include "host/clock.h"
#include "isa/csr_address.h"
#include "mem/bus.h"
#include "mem/guest_ram.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <initializer_list>
#include <memory>
#include <vector>

namespace {

using rvisor::firmware::HsmState;
using rvisor::fuzz::check;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 64 * 1024;
constexpr unsigned kHarts = 2;

constexpr uint64_t kBase = 0x10, kTime = 0x54494d45, kIpi = 0x735049, kRfence = 0x52464e43,
                   kHsm = 0x48534d, kSrst = 0x53525354, kDbcn = 0x4442434e;
constexpr uint64_t kExtensions[]
    = { kBase, kTime, kIpi, kRfence, kHsm, kSrst, kDbcn, 0, 1, 2, 3, 4, 8, 0x12345678 };

// The SBI's error codes (SBI specification v2.0, "Standard SBI Errors").
constexpr int64_t kSuccess = 0, kFailed = -1, kNotSupported = -2, kInvalidParam = -3, kDenied = -4,
                  kInvalidAddress = -5, kAlreadyAvailable = -6;

enum Register : unsigned { a0 = 10, a1, a2, a3, a4, a5, a6, a7 };

class Platform final : public rvisor::firmware::SbiPlatform {
public:
    explicit Platform(std::span<const uint8_t> console_input)
        : m_console_input(console_input.begin(), console_input.end())
    {
        for (unsigned index = 0; index < kHarts; ++index) {
            m_harts.push_back(std::make_unique<rvisor::cpu::Hart>(
                rvisor::cpu::HartConfig { index, true }, m_bus, m_lines[index], m_clock));
            rvisor::firmware::Sbi::enter_supervisor(*m_harts[index], kRamBase, index, 0);
            // A machine software interrupt stays pending (never delegated, so S-mode never
            // takes it), so a suspend returns at once instead of sleeping.
            m_harts[index]->write_csr_as_machine(rvisor::isa::csr::mie, 1 << 3);
            m_lines[index].set_level(rvisor::cpu::Interrupt::MachineSoftware, true);
        }
        m_states[0] = HsmState::Started;
    }

    rvisor::mem::GuestRam& ram() { return m_ram; }
    const std::vector<uint8_t>& console_output() const { return m_console_output; }
    std::optional<rvisor::firmware::ResetRequest> reset() const { return m_reset; }

    // What the machine's hart thread does with a hart that start_hart() made pending.
    bool runnable(unsigned index)
    {
        if (m_states[index] == HsmState::StartPending) {
            rvisor::firmware::Sbi::enter_supervisor(
                *m_harts[index], m_start[index].first, index, m_start[index].second);
            m_states[index] = HsmState::Started;
        }
        return m_states[index] == HsmState::Started;
    }

    unsigned hart_count() const override { return kHarts; }
    rvisor::cpu::Hart& hart(unsigned index) override { return *m_harts.at(index); }
    rvisor::cpu::InterruptLines& interrupt_lines(unsigned index) override
    {
        return m_lines.at(index);
    }
    HsmState hart_state(unsigned index) const override { return m_states.at(index); }
    bool start_hart(unsigned index, uint64_t pc, uint64_t opaque) override
    {
        if (m_states.at(index) != HsmState::Stopped)
            return false;
        m_states[index] = HsmState::StartPending;
        m_start[index] = { pc, opaque };
        return true;
    }
    void stop_hart(unsigned index) override { m_states.at(index) = HsmState::Stopped; }
    void console_write(uint8_t byte) override { m_console_output.push_back(byte); }
    std::optional<uint8_t> console_read() override
    {
        if (m_console_input.empty())
            return std::nullopt;
        const uint8_t byte = m_console_input.front();
        m_console_input.pop_front();
        return byte;
    }
    void system_reset(rvisor::firmware::ResetRequest request) override { m_reset = request; }

private:
    rvisor::mem::GuestRam m_ram { kRamBase, kRamSize };
    rvisor::mem::Bus m_bus { m_ram };
    rvisor::host::Clock m_clock;
    std::array<rvisor::cpu::InterruptLines, kHarts> m_lines;
    std::vector<std::unique_ptr<rvisor::cpu::Hart>> m_harts;
    std::array<HsmState, kHarts> m_states { HsmState::Stopped, HsmState::Stopped };
    std::array<std::pair<uint64_t, uint64_t>, kHarts> m_start {};
    std::deque<uint8_t> m_console_input;
    std::vector<uint8_t> m_console_output;
    std::optional<rvisor::firmware::ResetRequest> m_reset;
};

struct Call {
    unsigned hart;
    std::array<uint64_t, 8> a; // a0..a7
    uint64_t extension() const { return a[7]; }
    uint64_t function() const { return a[6]; }
};

std::optional<Call> next_call(rvisor::fuzz::ByteReader& input)
{
    const auto selector = input.little_endian(1);
    const auto function = input.little_endian(1);
    if (!selector || !function)
        return std::nullopt;
    Call call { static_cast<unsigned>(*selector >> 4 & 1), {} };
    for (unsigned i = 0; i < 6; ++i) {
        const auto value = input.little_endian(8);
        if (!value)
            return std::nullopt;
        call.a[i] = *value;
    }
    const auto wide = [&](std::optional<uint64_t> value) { return value.value_or(0); };
    call.a[6] = *function == 0xff ? wide(input.little_endian(8)) : *function;
    call.a[7] = (*selector & 15) < std::size(kExtensions) ? kExtensions[*selector & 15]
                                                          : wide(input.little_endian(8));
    return call;
}

bool one_of(int64_t error, std::initializer_list<int64_t> allowed)
{
    for (int64_t code : allowed)
        if (error == code)
            return true;
    return false;
}

// The error codes the specification lets this call return.
bool allowed_error(const Call& call, int64_t error)
{
    const uint64_t function = call.function();
    switch (call.extension()) {
    case kBase: return function <= 6 ? error == kSuccess : error == kNotSupported;
    case kTime: return function == 0 ? error == kSuccess : error == kNotSupported;
    case kIpi:
        return function == 0 ? one_of(error, { kSuccess, kInvalidParam, kFailed })
                             : error == kNotSupported;
    case kRfence:
        return function <= 6
            ? one_of(error, { kSuccess, kInvalidParam, kInvalidAddress, kFailed, kNotSupported })
            : error == kNotSupported;
    case kHsm:
        switch (function) {
        case 0:
            return one_of(
                error, { kSuccess, kInvalidAddress, kInvalidParam, kAlreadyAvailable, kFailed });
        case 1: return error == kFailed; // a hart_stop that succeeds does not return
        case 2: return one_of(error, { kSuccess, kInvalidParam });
        case 3:
            return one_of(
                error, { kSuccess, kNotSupported, kInvalidParam, kInvalidAddress, kFailed });
        default: return error == kNotSupported;
        }
    case kSrst:
        return function == 0 ? one_of(error, { kSuccess, kInvalidParam, kNotSupported, kFailed })
                             : error == kNotSupported;
    case kDbcn:
        return function <= 2 ? one_of(error, { kSuccess, kInvalidParam, kDenied, kFailed })
                             : error == kNotSupported;
    case 0: // legacy set_timer, console_putchar, clear_ipi, shutdown: 0
    case 1:
    case 3:
    case 8: return error == 0;
    case 2: return error >= -1 && error <= 0xff; // legacy console_getchar: a byte, or -1
    default: return error == kNotSupported;
    }
}

void check_memory(const Call& call, int64_t error, uint64_t value,
    const std::vector<uint8_t>& before, Platform& platform)
{
    const auto& ram = platform.ram();
    if (std::memcmp(ram.pointer(kRamBase), before.data(), kRamSize) == 0)
        return;
    const bool dbcn_read = call.extension() == kDbcn && call.function() == 1;
    for (uint64_t offset = 0; offset < kRamSize; ++offset) {
        if (ram.pointer(kRamBase + offset)[0] == before[offset])
            continue;
        const uint64_t address = kRamBase + offset;
        check(dbcn_read && error == kSuccess && address >= call.a[1] && address - call.a[1] < value,
            "only a DBCN read changes guest memory, and only the bytes it returns");
    }
}

void check_dbcn(
    const Call& call, int64_t error, uint64_t value, size_t console_before, Platform& platform)
{
    if (call.extension() != kDbcn || call.function() > 1 || error != kSuccess)
        return;
    // base_addr_hi is the upper half of a 128-bit address on RV64: no RAM is up there.
    check(call.a[2] == 0 || call.a[0] == 0, "a DBCN address above 2^64 is refused");
    check(call.a[0] == 0 || platform.ram().contains(call.a[1], call.a[0]),
        "a DBCN buffer lies inside RAM");
    check(value <= call.a[0], "DBCN moves at most num_bytes");
    if (call.function() == 0 && value > 0) {
        const auto& output = platform.console_output();
        check(output.size() - console_before == value
                && std::equal(output.begin() + static_cast<ptrdiff_t>(console_before), output.end(),
                    platform.ram().pointer(call.a[1])),
            "a DBCN write sends the buffer's bytes");
    }
}

void check_reset(const Call& call, int64_t error, bool reset)
{
    if (call.extension() != kSrst || call.function() != 0)
        return;
    // reset_type: 0 shutdown, 1 cold and 2 warm reboot; reset_reason: 0 none, 1 failure. The
    // rest are reserved or vendor-specific, which this SBI does not implement: INVALID_PARAM.
    const bool valid = call.a[0] <= 2 && call.a[1] <= 1;
    check(valid == (error == kSuccess) && valid == reset,
        "a system reset happens exactly for a defined type and reason");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    rvisor::fuzz::ByteReader input(data, size);
    const auto console_bytes = input.little_endian(1);
    if (!console_bytes)
        return 0;
    Platform platform(input.bytes(*console_bytes));
    rvisor::firmware::Sbi sbi(platform);
    std::vector<uint8_t> before(kRamSize);
    while (const auto call = next_call(input)) {
        if (!platform.runnable(call->hart))
            continue;
        rvisor::cpu::Hart& hart = platform.hart(call->hart);
        for (unsigned i = 0; i < 8; ++i)
            hart.set_x(a0 + i, call->a[i]);
        const uint64_t pc = hart.pc();
        std::copy_n(platform.ram().pointer(kRamBase), kRamSize, before.begin());
        const size_t console_before = platform.console_output().size();
        const bool reset_before = platform.reset().has_value();

        sbi.handle_call(call->hart);

        const auto error = static_cast<int64_t>(hart.x(a0));
        const uint64_t value = hart.x(a1);
        const bool suspended_non_retentive
            = call->extension() == kHsm && call->function() == 3 && call->a[0] == 0x80000000;
        if (platform.hart_state(call->hart) != HsmState::Started) {
            check(call->extension() == kHsm && call->function() == 1, "only hart_stop stops");
        } else if (suspended_non_retentive) {
            check(hart.pc() == call->a[1] && error == static_cast<int64_t>(call->hart)
                    && value == call->a[2],
                "a non-retentive suspend resumes at resume_addr with a0 = hartid, a1 = opaque");
        } else {
            check(hart.pc() == pc + 4, "a call returns past its ecall");
            check(allowed_error(*call, error), "a call returns an error code its function has");
        }
        check_memory(*call, error, value, before, platform);
        check_dbcn(*call, error, value, console_before, platform);
        check_reset(*call, error, !reset_before && platform.reset().has_value());
        if (platform.reset())
            break; // the machine is gone
    }
    return 0;
}
