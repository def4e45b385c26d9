#pragma once
// The reset vector a real board keeps in ROM at 0x1000: it hands M-mode firmware the hart id
// (a0), the device tree (a1) and OpenSBI's fw_dynamic_info (a2), then jumps to the firmware.
#include "mem/mmio_device.h"

#include <array>
#include <cstdint>

namespace rvisor::devices {

class BootRom final : public mem::MmioDevice {
public:
    static constexpr uint64_t kBase = 0x1000;
    static constexpr uint64_t kSize = 0x1000;

    BootRom(uint64_t firmware_entry, uint64_t device_tree, uint64_t kernel_entry);

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t, unsigned, uint64_t) override { } // ROM: writes are ignored

private:
    std::array<uint8_t, kSize> m_bytes {};
};

} // namespace rvisor::devices
