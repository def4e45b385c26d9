#include "devices/boot_rom.h"

#include <cstring>

namespace rvisor::devices {

namespace {

// Layout of the ROM: code at 0, the two addresses the code loads at 0x30, fw_dynamic_info at
// 0x40 (OpenSBI's struct: magic, version, next_addr, next_mode, options, boot_hart).
constexpr uint32_t kResetCode[] = {
    0x00000297, // auipc t0, 0
    0x04028613, // addi  a2, t0, 0x40
    0xf1402573, // csrr  a0, mhartid
    0x0302b583, // ld    a1, 0x30(t0)
    0x0382b283, // ld    t0, 0x38(t0)
    0x00028067, // jr    t0
};
constexpr uint64_t kDeviceTreeSlot = 0x30;
constexpr uint64_t kEntrySlot = 0x38;
constexpr uint64_t kDynamicInfo = 0x40;
constexpr uint64_t kDynamicInfoMagic = 0x4942534f; // "OSBI"
constexpr uint64_t kDynamicInfoVersion = 2;
constexpr uint64_t kNextModeSupervisor = 1;

} // namespace

BootRom::BootRom(uint64_t firmware_entry, uint64_t device_tree, uint64_t kernel_entry)
{
    std::memcpy(m_bytes.data(), kResetCode, sizeof kResetCode);
    std::memcpy(m_bytes.data() + kDeviceTreeSlot, &device_tree, 8);
    std::memcpy(m_bytes.data() + kEntrySlot, &firmware_entry, 8);
    const uint64_t info[] = { kDynamicInfoMagic, kDynamicInfoVersion, kernel_entry,
        kNextModeSupervisor, 0, UINT64_MAX };
    std::memcpy(m_bytes.data() + kDynamicInfo, info, sizeof info);
}

uint64_t BootRom::read(uint64_t offset, unsigned size)
{
    uint64_t value = 0;
    std::memcpy(&value, m_bytes.data() + offset, size);
    return value;
}

} // namespace rvisor::devices
