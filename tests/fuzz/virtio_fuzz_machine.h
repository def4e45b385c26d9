#pragma once
#include "devices/virtio/mmio_transport.h"
#include "fuzzed_device.h"
#include "mem/bus.h"
#include "mem/guest_ram.h"
#include "script.h"
#include "unit/virtio_test_driver.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace rvisor::fuzz {

// The virtio-mmio registers a driver uses (virtio 1.2, 4.2.2). The Status bits and the
// descriptor flags are the unit tests' (virtio_test_driver.h).
// Features, the device's and the driver's, 32 bits at a time:
constexpr uint64_t kDeviceFeatures = 0x010, kDeviceFeaturesSelect = 0x014;
constexpr uint64_t kDriverFeatures = 0x020, kDriverFeaturesSelect = 0x024;
// The selected queue, and where its parts are (the high halves 4 bytes above):
constexpr uint64_t kQueueSelect = 0x030, kQueueSizeMax = 0x034, kQueueSize = 0x038;
constexpr uint64_t kQueueReady = 0x044;
constexpr uint64_t kQueueDescriptorLow = 0x080, kQueueDriverLow = 0x090, kQueueDeviceLow = 0x0a0;
// Notifications, interrupts and status; the device's own configuration above them:
constexpr uint64_t kQueueNotify = 0x050, kInterruptAcknowledge = 0x064, kStatus = 0x070;
constexpr uint64_t kConfig = 0x100;

// What every virtio fuzz target runs: a small guest RAM between its guard regions, a device
// with its transport in the first virtio-mmio slot, and the bus between them, through which
// every register access goes as a hart's does. RAM is small so that its ends, where a stray
// host access would reach a guard region and fault, are never far from a fuzzed address.
//
// RAM's layout, as the scripts see it: queue q's descriptor table at ring_area(q), its
// available ring 4 KiB above, its used ring 8 KiB above (room for 256 entries each); the data
// area, for buffers and indirect tables, above the rings of three queues.
class VirtioFuzzMachine {
public:
    static constexpr uint64_t kRamBase = 0x8000'0000;
    static constexpr uint64_t kRamSize = 128 << 10;
    static constexpr uint64_t kRamEnd = kRamBase + kRamSize;
    static constexpr uint64_t kTransportBase = 0x1000'1000;
    static constexpr unsigned kMaxQueues = 3;
    static constexpr uint64_t kRingAreaSize = 0x3000;
    static constexpr uint64_t kDataBase = kRamBase + kMaxQueues * kRingAreaSize;
    static constexpr uint64_t kDataSize = kRamEnd - kDataBase;

    static uint64_t ring_area(unsigned queue) { return kRamBase + queue * kRingAreaSize; }
    static uint64_t available_ring(unsigned queue) { return ring_area(queue) + 0x1000; }
    static uint64_t used_ring(unsigned queue) { return ring_area(queue) + 0x2000; }

    // `make_device` builds the device on this machine's RAM, reading its settings (an image
    // that is read-only, say) from the front of the script.
    using DeviceFactory
        = std::function<std::unique_ptr<FuzzedDevice>(mem::GuestRam&, ScriptReader&)>;
    VirtioFuzzMachine(const DeviceFactory& make_device, ScriptReader& script);

    mem::GuestRam& ram() { return m_ram; }
    mem::Bus& bus() { return m_bus; }
    FuzzedDevice& subject() { return *m_subject; }
    devices::virtio::VirtioMmio& transport() { return m_transport; }

    // A 32-bit transport register, through the bus.
    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    // Waits until the device's worker has done what it was woken for.
    void settle() { m_subject->device().wait_until_idle(); }

private:
    // In this order: the transport resets the device when it goes, and the device uses RAM.
    mem::GuestRam m_ram;
    std::unique_ptr<FuzzedDevice> m_subject;
    devices::virtio::VirtioMmio m_transport;
    mem::Bus m_bus;
};

// The device broke a rule the spec gives it: says which, and aborts, so that libFuzzer keeps
// the input as a crash.
[[noreturn]] void report_violation(const std::string& what);

} // namespace rvisor::fuzz
