#pragma once
#include "devices/virtio/queue.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>

namespace rvisor::devices::virtio {

// What a virtio device type (block, entropy, ...) implements; a transport (VirtioMmio) owns
// the queues and the device status and calls these. The device reaches the driver only through
// its queues: pushing used chains, asking for interrupts, and failing a queue whose chains make
// no sense, which the transport turns into DEVICE_NEEDS_RESET.
//
// Threads: everything here is called on a hart's thread with the transport's lock held, so
// nothing may block for long; work that can block (disk I/O) belongs on the device's own
// worker thread, which queue_notified() only wakes.
class VirtioDevice {
public:
    virtual ~VirtioDevice() = default;

    virtual uint32_t device_id() const = 0;
    // The features the device offers; the transport adds VIRTIO_F_VERSION_1.
    virtual uint64_t device_features() const = 0;
    virtual unsigned queue_count() const = 0;
    virtual uint16_t queue_max_size(unsigned index) const = 0;

    // The device-specific configuration space, little-endian; `size` is 1, 2, 4 or 8.
    virtual uint64_t read_config(uint64_t offset, unsigned size) const = 0;
    virtual void write_config(uint64_t offset, unsigned size, uint64_t value) = 0;

    // The driver set DRIVER_OK having accepted `features`. `queues` has queue_count() entries,
    // ready or not, and stays valid until reset().
    virtual void activate(std::span<VirtQueue> queues, uint64_t features) = 0;
    // An available-buffer notification for queue `index`, only between activate() and reset().
    virtual void queue_notified(unsigned index) = 0;
    // Back to the state before activate(). When it returns the device no longer touches the
    // queues or guest memory, so the transport may reset them.
    virtual void reset() = 0;

    // The VM is pausing: finish the request in progress (and report it), then touch neither
    // the queues nor guest memory until resume(). Requests that arrive meanwhile wait.
    virtual void pause() = 0;
    virtual void resume() = 0;
    // Returns once the device has done all the work its notifications and host-side input
    // asked for, and is waiting for more; for tests and fuzzers, which must not look at the
    // rings while a worker may still write them. A device without a worker is always idle.
    virtual void wait_until_idle() { }

    // Saved state of the device itself, which the transport's section carries after its own
    // queues; most devices keep none beyond the queues. Only while paused; load() is for a
    // device fresh from its constructor and comes before activate().
    virtual void save(state::StateWriter&) const { }
    virtual void load(state::StateReader&) { }
};

// `size` bytes at `offset` of a configuration structure kept as little-endian bytes; bytes past
// its end read as zero, as for fields of features the device does not offer.
inline uint64_t read_config_bytes(std::span<const uint8_t> config, uint64_t offset, unsigned size)
{
    uint64_t value = 0;
    if (offset < config.size()) {
        size_t count = std::min<uint64_t>({ size, sizeof value, config.size() - offset });
        std::memcpy(&value, config.data() + offset, count);
    }
    return value;
}

} // namespace rvisor::devices::virtio
