#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"

namespace rvisor::devices::virtio {

// A virtio entropy device (virtio 1.2 section 5.4, device id 4): fills every device-writable
// buffer the driver offers with bytes from the host's getrandom(), on its own thread because
// getrandom() may block until the host's pool is ready.
class VirtioRng final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 64;

    VirtioRng();

    uint32_t device_id() const override { return 4; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 1; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t, unsigned) const override { return 0; }
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }

private:
    void fill_buffers();

    // Set by activate() and cleared by reset() while the worker is idle.
    VirtQueue* m_queue { nullptr };
    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
