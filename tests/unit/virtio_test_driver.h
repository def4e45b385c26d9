#pragma once
// What the virtio unit tests share: guest RAM, split rings laid out the way a driver lays them
// out, and a driver that talks to a VirtioMmio through its registers.
#include "devices/virtio/features.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/virtio/queue.h"
#include "mem/guest_ram.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

namespace rvisor::devices::virtio::testing {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint8_t kCanary = 0xa5;

constexpr uint16_t kNext = 1;
constexpr uint16_t kWrite = 2;
constexpr uint16_t kIndirect = 4;

constexpr uint32_t kStatusAcknowledge = 1;
constexpr uint32_t kStatusDriver = 2;
constexpr uint32_t kStatusDriverOk = 4;
constexpr uint32_t kStatusFeaturesOk = 8;
constexpr uint32_t kStatusNeedsReset = 64;

struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};

template <typename T> void poke(mem::GuestRam& ram, uint64_t address, T value)
{
    std::memcpy(ram.pointer(address), &value, sizeof value);
}

template <typename T> T peek(const mem::GuestRam& ram, uint64_t address)
{
    T value;
    std::memcpy(&value, ram.pointer(address), sizeof value);
    return value;
}

inline void fill(mem::GuestRam& ram, uint64_t address, uint64_t length, uint8_t byte)
{
    std::memset(ram.pointer(address), byte, length);
}

inline bool all_bytes_are(const mem::GuestRam& ram, uint64_t address, uint64_t length, uint8_t byte)
{
    for (uint64_t offset = 0; offset < length; ++offset) {
        if (ram.pointer(address)[offset] != byte)
            return false;
    }
    return true;
}

// Polls until `done()` holds. The device works on its own thread; the timeout only catches a
// hang and says nothing about speed.
template <typename Condition> bool wait_until(Condition done)
{
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
}

// One split queue's three parts at `base` (descriptor table), base + 0x1000 (available ring)
// and base + 0x2000 (used ring), written like a driver writes them.
class TestRing {
public:
    TestRing(mem::GuestRam& ram, uint64_t base, uint16_t size)
        : m_ram(ram)
        , m_size(size)
        , m_descriptors(base)
        , m_available(base + 0x1000)
        , m_used(base + 0x2000)
    {
    }

    uint16_t size() const { return m_size; }
    QueueLayout layout() const { return { m_size, m_descriptors, m_available, m_used }; }

    void set(uint16_t index, Descriptor descriptor) { set_at(m_descriptors, index, descriptor); }
    // An entry of a table anywhere in RAM, such as an indirect table.
    void set_at(uint64_t table, uint16_t index, Descriptor descriptor)
    {
        poke(m_ram, table + 16 * uint64_t { index }, descriptor);
    }

    // Offers the chain at `head` to the device.
    void publish(uint16_t head)
    {
        poke<uint16_t>(m_ram, m_available + 4 + 2 * (m_next_available % m_size), head);
        ++m_next_available;
        set_available_index(m_next_available);
    }
    void set_available_index(uint16_t index)
    {
        field(m_available + 2).store(index, std::memory_order_release);
    }
    void set_available_flags(uint16_t flags) { poke<uint16_t>(m_ram, m_available, flags); }
    void set_used_event(uint16_t index)
    {
        poke<uint16_t>(m_ram, m_available + 4 + 2 * m_size, index);
    }

    uint16_t used_index() const { return field(m_used + 2).load(std::memory_order_acquire); }
    uint32_t used_id(uint16_t index) const { return peek<uint32_t>(m_ram, used_element(index)); }
    uint32_t used_length(uint16_t index) const
    {
        return peek<uint32_t>(m_ram, used_element(index) + 4);
    }
    uint16_t available_event() const { return peek<uint16_t>(m_ram, m_used + 4 + 8 * m_size); }

private:
    std::atomic_ref<uint16_t> field(uint64_t address) const
    {
        return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(m_ram.pointer(address)));
    }
    uint64_t used_element(uint16_t index) const { return m_used + 4 + 8 * (index % m_size); }

    mem::GuestRam& m_ram;
    uint16_t m_size;
    uint64_t m_descriptors;
    uint64_t m_available;
    uint64_t m_used;
    uint16_t m_next_available { 0 };
};

// A driver doing through the registers what Linux's virtio_mmio does.
class TestDriver {
public:
    explicit TestDriver(VirtioMmio& transport)
        : m_transport(transport)
    {
    }

    uint32_t read(uint64_t offset) { return static_cast<uint32_t>(m_transport.read(offset, 4)); }
    void write(uint64_t offset, uint32_t value) { m_transport.write(offset, 4, value); }

    uint32_t status() { return read(0x070); }
    bool needs_reset() { return status() & kStatusNeedsReset; }
    uint32_t interrupt_status() { return read(0x060); }

    uint64_t device_features()
    {
        write(0x014, 0);
        uint64_t low = read(0x010);
        write(0x014, 1);
        return low | uint64_t { read(0x010) } << 32;
    }

    // Resets the device and offers `features`; true when the device kept FEATURES_OK.
    bool negotiate(uint64_t features)
    {
        write(0x070, 0);
        write(0x070, kStatusAcknowledge);
        write(0x070, kStatusAcknowledge | kStatusDriver);
        write(0x024, 0);
        write(0x020, static_cast<uint32_t>(features));
        write(0x024, 1);
        write(0x020, static_cast<uint32_t>(features >> 32));
        write(0x070, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
        return status() & kStatusFeaturesOk;
    }

    void set_up_queue(unsigned index, const TestRing& ring)
    {
        QueueLayout layout = ring.layout();
        write(0x030, index);
        write(0x038, layout.size);
        write(0x080, static_cast<uint32_t>(layout.descriptor_area));
        write(0x084, static_cast<uint32_t>(layout.descriptor_area >> 32));
        write(0x090, static_cast<uint32_t>(layout.driver_area));
        write(0x094, static_cast<uint32_t>(layout.driver_area >> 32));
        write(0x0a0, static_cast<uint32_t>(layout.device_area));
        write(0x0a4, static_cast<uint32_t>(layout.device_area >> 32));
        write(0x044, 1);
    }

    void start() { write(0x070, status() | kStatusDriverOk); }

    // Negotiation, queue 0 on `ring`, DRIVER_OK: a device ready for requests.
    bool bring_up(const TestRing& ring, uint64_t features)
    {
        if (!negotiate(features))
            return false;
        set_up_queue(0, ring);
        start();
        return status()
            == (kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    }

    void notify(unsigned queue) { write(0x050, queue); }

private:
    VirtioMmio& m_transport;
};

} // namespace rvisor::devices::virtio::testing
