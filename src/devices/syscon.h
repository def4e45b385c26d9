#pragma once
#include "mem/mmio_device.h"

#include <cstdint>
#include <functional>

namespace rvisor::devices {

// What the guest asked of the machine's power through the syscon.
struct PowerRequest {
    enum class Kind { Poweroff, Reboot, Failure } kind;
    // The exit code the guest reported with a Failure; zero otherwise.
    uint16_t code = 0;
};

// The SiFive test finisher (`sifive,test0`), which Linux drives as a syscon for poweroff and
// reboot and bare-metal tests use to report their result. One 32-bit register at offset 0: its
// low 16 bits say what is wanted (0x5555 poweroff, 0x7777 reboot, 0x3333 failure) and, for a
// failure, its high 16 bits carry the exit code. Other values are ignored; reads return zero.
class Syscon final : public mem::MmioDevice {
public:
    static constexpr uint64_t kRegionSize = 0x1000;

    // `request` is called on the writing hart's thread; the machine decides what stopping means.
    explicit Syscon(std::function<void(PowerRequest)> request);

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

private:
    std::function<void(PowerRequest)> m_request;
};

} // namespace rvisor::devices
