#include "devices/virtio/balloon.h"

#include "devices/virtio/features.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

namespace rvisor::devices::virtio {

namespace {

// The balloon counts in 4 KiB pages whatever the guest's page size (virtio 1.2, 5.5.6).
constexpr unsigned kPfnShift = 12;
constexpr uint64_t kBalloonPageSize = uint64_t { 1 } << kPfnShift;

constexpr uint64_t kNumPagesOffset = 0;
constexpr uint64_t kActualOffset = 4;

} // namespace

VirtioBalloon::VirtioBalloon(mem::GuestRam& ram)
    : m_ram(ram)
    , m_worker([this] { serve_queues(); })
{
}

uint64_t VirtioBalloon::device_features() const
{
    return kFeatureDeflateOnOom | kFeaturePageReporting | kFeatureEventIndex
        | kFeatureIndirectDescriptors;
}

uint64_t VirtioBalloon::read_config(uint64_t offset, unsigned size) const
{
    std::array<uint8_t, 8> config {};
    const uint32_t num_pages = m_num_pages, actual = m_actual;
    std::memcpy(config.data() + kNumPagesOffset, &num_pages, sizeof num_pages);
    std::memcpy(config.data() + kActualOffset, &actual, sizeof actual);
    return read_config_bytes(config, offset, size);
}

void VirtioBalloon::write_config(uint64_t offset, unsigned size, uint64_t value)
{
    // The driver writes only `actual`, whole (num_pages is the host's); anything else is
    // ignored, as writes to read-only configuration fields are.
    if (offset == kActualOffset && size == sizeof(uint32_t))
        m_actual = static_cast<uint32_t>(value);
}

void VirtioBalloon::activate(std::span<VirtQueue> queues, uint64_t) { m_queues = queues; }

void VirtioBalloon::queue_notified(unsigned) { m_worker.wake(); }

void VirtioBalloon::reset()
{
    m_worker.cancel();
    m_queues = {};
    // A driver starting afresh has nothing in the balloon.
    m_actual = 0;
}

void VirtioBalloon::serve_queues()
{
    for (unsigned index : { kInflateQueue, kDeflateQueue, kReportingQueue }) {
        VirtQueue& queue = m_queues[index];
        while (!m_worker.cancelling()) {
            // Reported ranges are device-writable buffers (the device may overwrite them),
            // PFN arrays device-readable ones.
            std::optional<DescriptorChain> chain
                = index == kReportingQueue ? queue.pop_writable("reporting") : queue.pop();
            if (!chain)
                break;
            if (auto error = give_back(index, *chain)) {
                queue.fail(*error);
                break;
            }
            queue.push(chain->head, 0);
        }
        queue.notify_used();
    }
}

std::optional<std::string> VirtioBalloon::give_back(unsigned queue, const DescriptorChain& chain)
{
    if (queue == kInflateQueue)
        return discard_inflated(chain.readable);
    if (queue == kReportingQueue) {
        // Each buffer is one free range, inside RAM since the queue checked it.
        for (std::span<uint8_t> range : chain.writable.segments())
            m_ram.discard(guest_address(range), range.size());
    }
    // Deflated pages come back by themselves when the guest touches them.
    return std::nullopt;
}

std::optional<std::string> VirtioBalloon::discard_inflated(const BufferList& pfns)
{
    // An array of little-endian 32-bit PFNs; a trailing partial entry names no page. A PFN
    // outside RAM stops the queue, but the pages before it were the guest's to give, so having
    // dropped them harms nothing.
    for (uint64_t offset = 0; offset + sizeof(uint32_t) <= pfns.size();
         offset += sizeof(uint32_t)) {
        uint32_t pfn = 0;
        pfns.read_at(offset, { reinterpret_cast<uint8_t*>(&pfn), sizeof pfn });
        const uint64_t address = uint64_t { pfn } << kPfnShift;
        if (!m_ram.discard(address, kBalloonPageSize))
            return fmt::format("inflated page {:#x} is outside guest RAM", address);
    }
    return std::nullopt;
}

uint64_t VirtioBalloon::guest_address(std::span<uint8_t> range) const
{
    // The queue turned the guest's address into this pointer; this turns it back.
    return m_ram.base() + static_cast<uint64_t>(range.data() - m_ram.pointer(m_ram.base()));
}

void VirtioBalloon::save(state::StateWriter& out) const
{
    out.u32(m_num_pages);
    out.u32(m_actual);
}

void VirtioBalloon::load(state::StateReader& in)
{
    m_num_pages = in.u32();
    m_actual = in.u32();
}

} // namespace rvisor::devices::virtio
