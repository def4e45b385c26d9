#include "devices/virtio/console.h"

#include "devices/virtio/features.h"

#include <algorithm>
#include <string>

namespace rvisor::devices::virtio {

VirtioConsole::VirtioConsole(std::function<void(uint8_t)> output)
    : m_output(std::move(output))
    , m_worker([this] { process_queues(); })
{
}

uint64_t VirtioConsole::device_features() const
{
    return kFeatureEventIndex | kFeatureIndirectDescriptors;
}

void VirtioConsole::receive(uint8_t byte)
{
    std::lock_guard lock(m_mutex);
    if (m_pending_input.size() >= kMaxPendingInput)
        return;
    m_pending_input.push_back(byte);
    // Under the lock, so that reset() cannot slip between the check and the wake-up.
    if (m_running)
        m_worker.wake();
}

void VirtioConsole::activate(std::span<VirtQueue> queues, uint64_t)
{
    m_queues = queues.data();
    std::lock_guard lock(m_mutex);
    m_running = true;
    // Input may have been waiting for the driver.
    m_worker.wake();
}

void VirtioConsole::queue_notified(unsigned) { m_worker.wake(); }

void VirtioConsole::reset()
{
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
    }
    m_worker.cancel();
    m_queues = nullptr;
}

void VirtioConsole::process_queues()
{
    transmit_output(m_queues[kTransmitQueue]);
    deliver_input(m_queues[kReceiveQueue]);
}

void VirtioConsole::transmit_output(VirtQueue& queue)
{
    while (!m_worker.cancelling()) {
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        if (chain->writable.size() != 0) {
            queue.fail(
                "transmit chain " + std::to_string(chain->head) + " has device-writable buffers");
            break;
        }
        // Straight from guest memory: a chain may hold up to 4 GiB, which a copy would make
        // the host allocate.
        for (std::span<uint8_t> segment : chain->readable.segments()) {
            for (uint8_t byte : segment)
                m_output(byte);
        }
        queue.push(chain->head, 0);
    }
    queue.notify_used();
}

void VirtioConsole::deliver_input(VirtQueue& queue)
{
    while (!m_worker.cancelling()) {
        {
            std::lock_guard lock(m_mutex);
            if (m_pending_input.empty())
                break;
        }
        // A chain is taken only when input waits, since it cannot be given back unused.
        std::optional<DescriptorChain> chain = queue.pop_writable("receive");
        if (!chain)
            break;
        {
            std::lock_guard lock(m_mutex);
            size_t count = std::min<uint64_t>(chain->writable.size(), m_pending_input.size());
            auto end = m_pending_input.begin() + static_cast<std::ptrdiff_t>(count);
            m_buffer.assign(m_pending_input.begin(), end);
            m_pending_input.erase(m_pending_input.begin(), end);
        }
        chain->writable.write_at(0, m_buffer);
        queue.push(chain->head, static_cast<uint32_t>(m_buffer.size()));
    }
    queue.notify_used();
}

} // namespace rvisor::devices::virtio
