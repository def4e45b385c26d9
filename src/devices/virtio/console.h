#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

namespace rvisor::devices::virtio {

// A virtio console (virtio 1.2 section 5.3, device id 3) with one port and no optional
// features, which Linux shows as /dev/hvc0: queue 0 (receiveq) carries the host's input to the
// guest, queue 1 (transmitq) the guest's output to the host.
//
// Input waits in a queue of up to kMaxPendingInput bytes (more is dropped) until the driver
// offers receive buffers, and survives a device reset, as typed-ahead characters do. A receive
// chain with device-readable buffers, or a transmit chain with device-writable ones, breaks
// the protocol and sets DEVICE_NEEDS_RESET.
//
// Threads: receive() may be called from any thread; `output` runs on the device's worker
// thread, one call per byte, in the order the guest wrote them.
class VirtioConsole final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 64;
    static constexpr unsigned kReceiveQueue = 0;
    static constexpr unsigned kTransmitQueue = 1;
    static constexpr size_t kMaxPendingInput = 4096;

    explicit VirtioConsole(std::function<void(uint8_t)> output);

    // A byte of input for the guest.
    void receive(uint8_t byte);

    uint32_t device_id() const override { return 3; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 2; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    // Without VIRTIO_CONSOLE_F_SIZE or F_MULTIPORT no configuration field is valid.
    uint64_t read_config(uint64_t, unsigned) const override { return 0; }
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }

private:
    void process_queues();
    void transmit_output(VirtQueue&);
    void deliver_input(VirtQueue&);

    std::function<void(uint8_t)> m_output;

    // Set by activate() and cleared by reset() while the worker is idle; the worker reads it.
    VirtQueue* m_queues { nullptr };
    // The worker's alone: the input bytes on their way into one chain.
    std::vector<uint8_t> m_buffer;

    // Shared by receive()'s callers and the worker.
    std::mutex m_mutex;
    std::deque<uint8_t> m_pending_input;
    bool m_running { false }; // between activate() and reset()

    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
