#include "devices/virtio/rng.h"

#include "devices/virtio/features.h"

#include <sys/random.h>

#include <cerrno>

namespace rvisor::devices::virtio {

namespace {

// Fills as much of `buffer` as the host gives; returns the count.
uint64_t fill_random(std::span<uint8_t> buffer)
{
    uint64_t filled = 0;
    while (filled < buffer.size()) {
        ssize_t count = getrandom(buffer.data() + filled, buffer.size() - filled, 0);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            break;
        filled += static_cast<uint64_t>(count);
    }
    return filled;
}

} // namespace

VirtioRng::VirtioRng()
    : m_worker([this] { fill_buffers(); })
{
}

uint64_t VirtioRng::device_features() const
{
    return kFeatureEventIndex | kFeatureIndirectDescriptors;
}

void VirtioRng::activate(std::span<VirtQueue> queues, uint64_t) { m_queue = &queues[0]; }

void VirtioRng::queue_notified(unsigned) { m_worker.wake(); }

void VirtioRng::reset()
{
    m_worker.cancel();
    m_queue = nullptr;
}

void VirtioRng::fill_buffers()
{
    VirtQueue& queue = *m_queue;
    while (!m_worker.cancelling()) {
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        // Device-readable buffers mean nothing to this device and are left alone.
        uint64_t filled = 0;
        for (std::span<uint8_t> segment : chain->writable.segments()) {
            uint64_t count = fill_random(segment);
            filled += count;
            if (count < segment.size())
                break;
        }
        queue.push(chain->head, static_cast<uint32_t>(filled));
    }
    queue.notify_used();
}

} // namespace rvisor::devices::virtio
