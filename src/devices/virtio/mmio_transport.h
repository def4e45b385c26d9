#pragma once
#include "devices/plic.h"
#include "devices/virtio/device.h"
#include "devices/virtio/queue.h"
#include "mem/guest_ram.h"
#include "mem/mmio_device.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace rvisor::devices::virtio {

// The virtio-mmio transport, version 2 (virtio 1.2 section 4.2.2, modern devices only), in one
// 4 KiB slot. Control registers are 32-bit; other access sizes read as zero and are ignored:
//   0x000 MagicValue "virt"         0x044 QueueReady            0x080 QueueDescLow/High
//   0x004 Version (2)               0x050 QueueNotify           0x090 QueueDriverLow/High
//   0x008 DeviceID, 0x00c VendorID  0x060 InterruptStatus       0x0a0 QueueDeviceLow/High
//   0x010 DeviceFeatures(+Sel 0x14) 0x064 InterruptACK          0x0ac SHMSel, 0x0b0.. SHM (none)
//   0x020 DriverFeatures(+Sel 0x24) 0x070 Status                0x0fc ConfigGeneration
//   0x030 QueueSel, 0x034 QueueNumMax, 0x038 QueueNum           0x100 device configuration
//
// The interrupt line is high while InterruptStatus is non-zero. A driver that breaks the
// protocol (bad ring addresses, malformed chains) gets DEVICE_NEEDS_RESET and a configuration
// change interrupt; the queues stop until it writes 0 to Status.
//
// Threads: harts call read() and write(); the device's worker raises interrupts and reports
// failures through the queues. Status writes that reset the device wait for the worker.
class VirtioMmio final : public mem::MmioDevice {
public:
    static constexpr uint64_t kRegionSize = 0x1000;
    // "RVIS" in memory order, the way QEMU's 0x554d4551 reads "QEMU".
    static constexpr uint32_t kVendorId = 0x53495652;

    // `ram` and `device` must outlive the transport. With `verbose`, the first protocol
    // violation after each reset is described on stderr.
    VirtioMmio(mem::GuestRam& ram, VirtioDevice& device, InterruptLine irq, bool verbose);
    // Resets the device, so that its worker lets go of the queues this transport owns.
    ~VirtioMmio() override;
    VirtioMmio(const VirtioMmio&) = delete;
    VirtioMmio& operator=(const VirtioMmio&) = delete;

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // The host changed the device's configuration (a balloon's target): ConfigGeneration
    // moves on, and a driver that is running gets a configuration change notification.
    void notify_config_change();
    // The VM is pausing or resuming: the device finishes or restarts its queue work.
    void pause() { m_device.pause(); }
    void resume() { m_device.resume(); }
    // Saved state: registers, queue layouts and cursors, the device's own state, interrupt
    // status. Only while paused. load() is for a transport fresh from its constructor; it
    // activates the device when the driver had, and throws state::StateError for a layout the
    // queues refuse or a device state the device refuses.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    struct QueueRegisters {
        uint32_t size { 0 };
        uint64_t descriptor_area { 0 };
        uint64_t driver_area { 0 };
        uint64_t device_area { 0 };
    };

    uint32_t read_register(uint64_t offset);
    void write_register(uint64_t offset, uint32_t value);
    void write_status(uint32_t value);
    void write_queue_ready(uint32_t value);
    void notify_queue(uint32_t index);
    // The selected queue's registers while the driver may still change them, else null.
    QueueRegisters* configurable_queue();
    bool features_acceptable() const;
    void reset();

    // Safe from any thread; they take only m_interrupt_mutex.
    void raise_interrupt(uint32_t reasons);
    void acknowledge_interrupt(uint32_t reasons);
    void fail(const std::string& reason);
    void update_line();

    VirtioDevice& m_device;
    InterruptLine m_irq;
    bool m_verbose;

    // Hart-side state, under m_mutex.
    mutable std::mutex m_mutex;
    std::vector<VirtQueue> m_queues;
    std::vector<QueueRegisters> m_queue_registers;
    uint64_t m_driver_features { 0 };
    uint32_t m_device_features_select { 0 };
    uint32_t m_driver_features_select { 0 };
    uint32_t m_queue_select { 0 };
    uint32_t m_config_generation { 0 };
    // Written under m_mutex; atomic because fail() reads it from the worker.
    std::atomic<uint32_t> m_status { 0 };

    // What the worker may change too, under m_interrupt_mutex (taken after m_mutex, never
    // before it, so a reset waiting for the worker cannot deadlock with it).
    mutable std::mutex m_interrupt_mutex;
    uint32_t m_interrupt_status { 0 };
    bool m_needs_reset { false };
    bool m_line_level { false };
};

} // namespace rvisor::devices::virtio
