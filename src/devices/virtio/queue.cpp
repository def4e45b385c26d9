#include "devices/virtio/queue.h"

#include "devices/virtio/features.h"

#include <atomic>
#include <bit>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace rvisor::devices::virtio {

namespace {

static_assert(std::endian::native == std::endian::little,
    "virtio rings are little-endian and are read in place");

constexpr uint16_t kDescriptorNext = 1;
constexpr uint16_t kDescriptorWrite = 2;
constexpr uint16_t kDescriptorIndirect = 4;
constexpr uint16_t kAvailableNoInterrupt = 1;

constexpr uint64_t kDescriptorSize = 16;
constexpr uint64_t kUsedElementSize = 8;
// Offsets inside the available and used rings: flags, idx, then the ring entries.
constexpr uint64_t kIndexOffset = 2;
constexpr uint64_t kRingOffset = 4;
// The spec forbids chains longer than 2^32 bytes; refusing 2^32 itself keeps every used length,
// status byte included, in 32 bits.
constexpr uint64_t kMaxChainBytes = uint64_t { 1 } << 32;

struct Descriptor {
    uint64_t address;
    uint32_t length;
    uint16_t flags;
    uint16_t next;
};
static_assert(sizeof(Descriptor) == kDescriptorSize);

struct UsedElement {
    uint32_t id;
    uint32_t length;
};
static_assert(sizeof(UsedElement) == kUsedElementSize);

// One copy of the descriptor: the guest may rewrite the table while we look at it, so every
// check and every use must see the same values.
Descriptor read_descriptor(std::span<const uint8_t> table, uint32_t index)
{
    Descriptor descriptor;
    std::memcpy(
        &descriptor, table.data() + uint64_t { index } * kDescriptorSize, sizeof descriptor);
    return descriptor;
}

// The 16-bit ring fields that the other side writes concurrently are accessed as atomics, so
// each is read or written once and whole, in the order the memory-ordering protocol needs.
std::atomic_ref<uint16_t> ring_field(std::span<uint8_t> area, uint64_t offset)
{
    return std::atomic_ref<uint16_t>(*reinterpret_cast<uint16_t*>(area.data() + offset));
}

std::string hex(uint64_t value)
{
    char text[24];
    std::snprintf(text, sizeof text, "%#" PRIx64, value);
    return text;
}

// The host bytes of one queue part, or nothing when it is not entirely inside RAM or not
// aligned. The spec's rule is on the guest address; the host pointer's alignment is what makes
// the atomic accesses valid. The two agree while RAM's base is aligned, which is checked here
// rather than assumed.
std::optional<std::span<uint8_t>> queue_area(
    const mem::GuestRam& ram, uint64_t address, uint64_t length, uint64_t alignment)
{
    std::span<uint8_t> area = ram.span(address, length);
    if (area.empty() || address % alignment != 0
        || reinterpret_cast<uintptr_t>(area.data()) % alignment != 0)
        return std::nullopt;
    return area;
}

} // namespace

VirtQueue::VirtQueue(const mem::GuestRam& ram, std::function<void()> interrupt,
    std::function<void(const std::string&)> fail)
    : m_ram(ram)
    , m_interrupt(std::move(interrupt))
    , m_fail(std::move(fail))
{
}

std::optional<std::string> VirtQueue::enable(const QueueLayout& layout, uint64_t features)
{
    disable();
    uint64_t size = layout.size;
    if (size == 0 || size > kMaxSize || !std::has_single_bit(size))
        return "queue size " + std::to_string(size) + " is not a power of two up to 32768";

    auto descriptors = queue_area(m_ram, layout.descriptor_area, kDescriptorSize * size, 16);
    if (!descriptors) {
        return "descriptor table at " + hex(layout.descriptor_area)
            + " is not 16-byte aligned inside guest RAM";
    }
    // Both rings always have room for the event-index field, used or not.
    auto available = queue_area(m_ram, layout.driver_area, 6 + 2 * size, 2);
    if (!available) {
        return "available ring at " + hex(layout.driver_area)
            + " is not 2-byte aligned inside guest RAM";
    }
    auto used = queue_area(m_ram, layout.device_area, 6 + kUsedElementSize * size, 4);
    if (!used)
        return "used ring at " + hex(layout.device_area)
            + " is not 4-byte aligned inside guest RAM";

    m_descriptors = *descriptors;
    m_available = *available;
    m_used = *used;
    m_size = layout.size;
    m_event_index = features & kFeatureEventIndex;
    m_indirect = features & kFeatureIndirectDescriptors;
    m_ready = true;
    return std::nullopt;
}

void VirtQueue::disable()
{
    m_descriptors = {};
    m_available = {};
    m_used = {};
    m_size = 0;
    m_ready = false;
    m_event_index = false;
    m_indirect = false;
    m_broken = false;
    m_next_available = 0;
    m_next_used = 0;
    m_notified_used = 0;
}

uint16_t VirtQueue::load_available(uint64_t offset) const
{
    return ring_field(m_available, offset).load(std::memory_order_relaxed);
}

uint16_t VirtQueue::available_index() const
{
    return ring_field(m_available, kIndexOffset).load(std::memory_order_acquire);
}

void VirtQueue::notify_after_available(uint16_t index)
{
    if (!m_ready || !m_event_index)
        return;
    ring_field(m_used, kRingOffset + kUsedElementSize * m_size)
        .store(index, std::memory_order_relaxed);
    // Published before the caller looks at the index again, as in pop().
    std::atomic_thread_fence(std::memory_order_seq_cst);
}

std::optional<DescriptorChain> VirtQueue::pop_writable(const char* role)
{
    std::optional<DescriptorChain> chain = pop();
    if (chain && chain->readable.size() != 0) {
        fail(std::string(role) + " chain " + std::to_string(chain->head)
            + " has device-readable buffers");
        return std::nullopt;
    }
    return chain;
}

std::optional<DescriptorChain> VirtQueue::pop()
{
    if (!m_ready || m_broken)
        return std::nullopt;

    // Acquire: the ring entries and descriptors the driver wrote before publishing idx are
    // visible once we see the new idx.
    auto available_index = ring_field(m_available, kIndexOffset);
    uint16_t available = available_index.load(std::memory_order_acquire);
    if (available == m_next_available && m_event_index) {
        // About to go idle: ask to be notified at the next chain, then look once more, since
        // the driver may have added one before it could see the new avail_event.
        ring_field(m_used, kRingOffset + kUsedElementSize * m_size)
            .store(m_next_available, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        available = available_index.load(std::memory_order_acquire);
    }
    if (available == m_next_available)
        return std::nullopt;

    uint16_t waiting = available - m_next_available;
    if (waiting > m_size) {
        fail("available index moved " + std::to_string(waiting) + " entries ahead of a "
            + std::to_string(m_size) + "-entry queue");
        return std::nullopt;
    }

    DescriptorChain chain;
    chain.head = load_available(kRingOffset + 2 * (m_next_available % m_size));
    if (auto error = read_chain(chain.head, chain)) {
        fail(*error);
        return std::nullopt;
    }
    ++m_next_available;
    return chain;
}

std::optional<std::string> VirtQueue::read_chain(uint16_t head, DescriptorChain& chain) const
{
    std::span<const uint8_t> table = m_descriptors;
    uint32_t table_entries = m_size;
    // A chain visits each entry of its table at most once, so a longer walk is a loop.
    uint32_t visited = 0;
    bool in_indirect_table = false;
    bool seen_writable = false;
    uint64_t total_bytes = 0;
    uint32_t index = head;

    for (;;) {
        // Only failures pay for a sentence.
        auto where = [&] {
            return (in_indirect_table ? "indirect descriptor " : "descriptor ")
                + std::to_string(index);
        };
        if (index >= table_entries)
            return where() + " is outside its " + std::to_string(table_entries) + "-entry table";
        if (++visited > table_entries)
            return "descriptor chain from head " + std::to_string(head) + " loops";
        Descriptor descriptor = read_descriptor(table, index);

        if (descriptor.flags & kDescriptorIndirect) {
            if (!m_indirect)
                return where() + " is indirect, but VIRTIO_F_INDIRECT_DESC was not negotiated";
            if (in_indirect_table)
                return where() + " is indirect inside an indirect table";
            if (descriptor.flags & kDescriptorNext)
                return where() + " is indirect and has NEXT set";
            uint64_t entries = descriptor.length / kDescriptorSize;
            if (descriptor.length % kDescriptorSize != 0 || entries == 0 || entries > kMaxSize) {
                return where() + " has an indirect table of " + std::to_string(descriptor.length)
                    + " bytes, not 1 to 32768 descriptors";
            }
            std::span<uint8_t> indirect = m_ram.span(descriptor.address, descriptor.length);
            if (indirect.empty())
                return where() + "'s indirect table at " + hex(descriptor.address)
                    + " is not in RAM";
            table = indirect;
            table_entries = static_cast<uint32_t>(entries);
            visited = 0;
            index = 0;
            in_indirect_table = true;
            continue;
        }

        bool writable = descriptor.flags & kDescriptorWrite;
        if (!writable && seen_writable)
            return where() + " is device-readable but follows a device-writable one";
        seen_writable |= writable;
        // A zero-length buffer is allowed (the spec does not forbid it) and moves no bytes, so
        // its address is never used and need not be checked.
        if (descriptor.length != 0) {
            std::span<uint8_t> bytes = m_ram.span(descriptor.address, descriptor.length);
            if (bytes.empty()) {
                return where() + "'s buffer at " + hex(descriptor.address) + " (+"
                    + hex(descriptor.length) + ") is not in RAM";
            }
            total_bytes += descriptor.length;
            if (total_bytes >= kMaxChainBytes)
                return "descriptor chain from head " + std::to_string(head) + " reaches 4 GiB";
            (writable ? chain.writable : chain.readable).append(bytes);
        }

        if (!(descriptor.flags & kDescriptorNext))
            return std::nullopt;
        index = descriptor.next;
    }
}

void VirtQueue::push(uint16_t head, uint32_t bytes_written)
{
    UsedElement element { head, bytes_written };
    uint64_t slot = m_next_used % m_size;
    std::memcpy(m_used.data() + kRingOffset + kUsedElementSize * slot, &element, sizeof element);
    ++m_next_used;
    // A release store: the driver that sees the new idx sees the element, and the data the
    // device wrote, behind it.
    ring_field(m_used, kIndexOffset).store(m_next_used, std::memory_order_release);
}

void VirtQueue::notify_used()
{
    if (!m_ready || m_next_used == m_notified_used)
        return;
    uint16_t previous = m_notified_used;
    m_notified_used = m_next_used;
    // The published idx must be visible before we read the driver's wishes, or the driver could
    // decide it needs no interrupt while we decide it asked for none.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    bool wanted;
    if (m_event_index) {
        // Interrupt when idx passed used_event since the last interrupt decision.
        uint16_t event = load_available(kRingOffset + 2 * m_size);
        wanted = static_cast<uint16_t>(m_next_used - event - 1)
            < static_cast<uint16_t>(m_next_used - previous);
    } else {
        wanted = !(load_available(0) & kAvailableNoInterrupt);
    }
    if (wanted)
        m_interrupt();
}

void VirtQueue::fail(const std::string& reason)
{
    if (m_broken)
        return;
    m_broken = true;
    m_fail(reason);
}

void VirtQueue::save(state::StateWriter& out) const
{
    out.boolean(m_broken);
    out.u16(m_next_available);
    out.u16(m_next_used);
    out.u16(m_notified_used);
}

void VirtQueue::load(state::StateReader& in)
{
    m_broken = in.boolean();
    m_next_available = in.u16();
    m_next_used = in.u16();
    m_notified_used = in.u16();
}

} // namespace rvisor::devices::virtio
