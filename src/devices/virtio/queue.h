#pragma once
#include "devices/virtio/buffer_list.h"
#include "mem/guest_ram.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>

namespace rvisor::devices::virtio {

// One request taken from the available ring: the head index to hand back with push(), and its
// buffers, the device-readable ones first (the driver must put them first, and a chain that
// does not is refused).
struct DescriptorChain {
    uint16_t head { 0 };
    BufferList readable;
    BufferList writable;
};

// Where the driver placed a queue's three parts, as the transport's registers say.
struct QueueLayout {
    uint16_t size { 0 };
    uint64_t descriptor_area { 0 };
    uint64_t driver_area { 0 }; // the available ring
    uint64_t device_area { 0 }; // the used ring
};

// A split virtqueue (virtio 1.2 section 2.7), seen from the device side.
//
// The guest owns the rings and may write anything into them at any time, so every value read
// from them is read once into a local and checked before use: ring addresses when the queue is
// enabled, each descriptor's index, flags, buffer and chain length when its chain is popped. A
// violation is the driver's fault, never a host error: the queue stops (pop() returns nothing
// from then on) and `fail` tells the transport, which sets DEVICE_NEEDS_RESET.
//
// Threads: enable() and disable() run while no device work is in progress (the transport
// guarantees it); pop(), push(), notify_used() and fail() run on the device's worker thread.
class VirtQueue {
public:
    static constexpr uint16_t kMaxSize = 32768;

    // `interrupt` raises the transport's used-buffer interrupt; `fail` reports a protocol
    // violation with a sentence. Both may be called from the device's worker thread.
    VirtQueue(const mem::GuestRam&, std::function<void()> interrupt,
        std::function<void(const std::string&)> fail);

    // Checks the layout against guest RAM and the spec's alignment rules and makes the queue
    // ready; on failure returns why and leaves the queue disabled. `features` are the
    // negotiated ones (event index and indirect descriptors change how the queue works).
    std::optional<std::string> enable(const QueueLayout&, uint64_t features);
    void disable();
    bool ready() const { return m_ready; }
    uint16_t size() const { return m_size; }

    // The next available chain, or nothing when the ring is empty, the queue is not ready, or
    // the driver broke the protocol (then `fail` was called).
    std::optional<DescriptorChain> pop();
    // pop() for a receive queue, whose chains the device only writes: a chain with a readable
    // buffer fails the queue (and `role` names the queue in the reason).
    std::optional<DescriptorChain> pop_writable(const char* role);
    // How many chains the driver has made available so far (the available ring's idx, which
    // wraps at 2^16): a change shows that the driver has offered another chain.
    uint16_t available_index() const;
    // Asks the driver to notify the device once the available index moves past `index` (with
    // VIRTIO_F_EVENT_IDX the driver kicks only when asked; without it, always).
    void notify_after_available(uint16_t index);
    // Returns a chain to the driver with the number of bytes written into its writable part.
    void push(uint16_t head, uint32_t bytes_written);
    // Interrupts the driver for the chains pushed since the last call, unless it asked not to be.
    void notify_used();
    // The device found a chain it cannot make sense of; the queue stops.
    void fail(const std::string& reason);

    // Saved state: where the device is in the rings (the layout is the transport's). load()
    // follows enable() with the saved layout; the device must not be using the queue.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    std::optional<std::string> read_chain(uint16_t head, DescriptorChain&) const;
    uint16_t load_available(uint64_t offset) const;

    const mem::GuestRam& m_ram;
    std::function<void()> m_interrupt;
    std::function<void(const std::string&)> m_fail;

    std::span<uint8_t> m_descriptors;
    std::span<uint8_t> m_available;
    std::span<uint8_t> m_used;
    uint16_t m_size { 0 };
    bool m_ready { false };
    bool m_event_index { false };
    bool m_indirect { false };

    bool m_broken { false };
    uint16_t m_next_available { 0 };
    uint16_t m_next_used { 0 };
    // used->idx when the driver was last considered for an interrupt.
    uint16_t m_notified_used { 0 };
};

} // namespace rvisor::devices::virtio
