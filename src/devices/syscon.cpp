#include "devices/syscon.h"

namespace rvisor::devices {

namespace {

constexpr uint16_t kFailure = 0x3333;
constexpr uint16_t kPoweroff = 0x5555;
constexpr uint16_t kReboot = 0x7777;

} // namespace

Syscon::Syscon(std::function<void(PowerRequest)> request)
    : m_request(std::move(request))
{
}

uint64_t Syscon::read(uint64_t, unsigned) { return 0; }

void Syscon::write(uint64_t offset, unsigned size, uint64_t value)
{
    // Linux's regmap writes the 32-bit register whole; OpenSBI's sifive_test driver writes
    // only its low half (writew), so a 16-bit write is a request with code 0.
    if (offset != 0 || size < 2)
        return;
    auto status = static_cast<uint16_t>(value);
    auto code = static_cast<uint16_t>(value >> 16);
    switch (status) {
    case kPoweroff: m_request({ PowerRequest::Kind::Poweroff }); return;
    case kReboot: m_request({ PowerRequest::Kind::Reboot }); return;
    case kFailure: m_request({ PowerRequest::Kind::Failure, code }); return;
    default: return;
    }
}

} // namespace rvisor::devices
