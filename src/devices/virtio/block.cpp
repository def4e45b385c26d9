#include "devices/virtio/block.h"

#include "devices/virtio/features.h"

#include <algorithm>
#include <cstring>

namespace rvisor::devices::virtio {

namespace {

constexpr uint64_t kFeatureSegmentMax = uint64_t { 1 } << 2;
constexpr uint64_t kFeatureReadOnly = uint64_t { 1 } << 5;
constexpr uint64_t kFeatureBlockSize = uint64_t { 1 } << 6;
constexpr uint64_t kFeatureFlush = uint64_t { 1 } << 9;
constexpr uint64_t kFeatureDiscard = uint64_t { 1 } << 13;
constexpr uint64_t kFeatureWriteZeroes = uint64_t { 1 } << 14;

enum RequestType : uint32_t {
    In = 0,
    Out = 1,
    Flush = 4,
    GetId = 8,
    Discard = 11,
    WriteZeroes = 13,
};

enum Status : uint8_t {
    Ok = 0,
    IoError = 1,
    Unsupported = 2,
};

// struct virtio_blk_discard_write_zeroes
struct ZeroingSegment {
    uint64_t sector;
    uint32_t sectors;
    uint32_t flags;
};
static_assert(sizeof(ZeroingSegment) == 16);
constexpr uint32_t kUnmap = 1;

// Limits advertised for discard and write-zeroes. Holes are punched in 4 KiB filesystem blocks,
// so that is the alignment worth asking for.
constexpr uint32_t kMaxZeroingSectors = 1u << 22;
constexpr uint32_t kMaxZeroingSegments = 32;
constexpr uint32_t kZeroingAlignment = 4096 / VirtioBlock::kSectorSize;

// Offsets in struct virtio_blk_config.
constexpr size_t kCapacityOffset = 0;
constexpr size_t kSegmentMaxOffset = 12;
constexpr size_t kBlockSizeOffset = 20;
constexpr size_t kMaxDiscardSectorsOffset = 36;
constexpr size_t kMaxDiscardSegmentsOffset = 40;
constexpr size_t kDiscardAlignmentOffset = 44;
constexpr size_t kMaxWriteZeroesSectorsOffset = 48;
constexpr size_t kMaxWriteZeroesSegmentsOffset = 52;
constexpr size_t kWriteZeroesMayUnmapOffset = 56;

// What a request counts against a byte rate limit: the data it reads or writes.
uint64_t data_bytes(uint32_t type, const BufferList& data_out, const BufferList& data_in)
{
    switch (type) {
    case In: return data_in.size();
    case Out: return data_out.size();
    default: return 0;
    }
}

template <typename T> std::span<uint8_t> bytes_of(T& object)
{
    return { reinterpret_cast<uint8_t*>(&object), sizeof object };
}

template <typename T, size_t N> void store(std::array<uint8_t, N>& config, size_t offset, T value)
{
    std::memcpy(config.data() + offset, &value, sizeof value);
}

} // namespace

VirtioBlock::VirtioBlock(
    std::unique_ptr<host::BlockFile> file, std::string serial, host::RateLimit limit)
    : m_file(std::move(file))
    , m_capacity(m_file->size() / kSectorSize)
    , m_limiter(limit)
    , m_worker([this] { process_requests(); })
{
    std::memcpy(m_serial.data(), serial.data(), std::min(serial.size(), m_serial.size()));

    store<uint64_t>(m_config, kCapacityOffset, m_capacity);
    // A request needs a descriptor for its header and one for its status besides the data.
    store<uint32_t>(m_config, kSegmentMaxOffset, kQueueSize - 2);
    store<uint32_t>(m_config, kBlockSizeOffset, kSectorSize);
    store<uint32_t>(m_config, kMaxDiscardSectorsOffset, kMaxZeroingSectors);
    store<uint32_t>(m_config, kMaxDiscardSegmentsOffset, kMaxZeroingSegments);
    store<uint32_t>(m_config, kDiscardAlignmentOffset, kZeroingAlignment);
    store<uint32_t>(m_config, kMaxWriteZeroesSectorsOffset, kMaxZeroingSectors);
    store<uint32_t>(m_config, kMaxWriteZeroesSegmentsOffset, kMaxZeroingSegments);
    store<uint8_t>(m_config, kWriteZeroesMayUnmapOffset, 1);
}

uint64_t VirtioBlock::device_features() const
{
    uint64_t features = kFeatureSegmentMax | kFeatureBlockSize | kFeatureFlush | kFeatureEventIndex
        | kFeatureIndirectDescriptors;
    if (m_file->read_only())
        features |= kFeatureReadOnly;
    else
        features |= kFeatureDiscard | kFeatureWriteZeroes;
    return features;
}

uint64_t VirtioBlock::read_config(uint64_t offset, unsigned size) const
{
    return read_config_bytes(m_config, offset, size);
}

void VirtioBlock::activate(std::span<VirtQueue> queues, uint64_t features)
{
    m_queue = &queues[0];
    m_features = features;
}

void VirtioBlock::queue_notified(unsigned) { m_worker.wake(); }

void VirtioBlock::set_rate_limit(host::RateLimit limit)
{
    m_limiter.set_limit(limit);
    // A request waiting for the old limit's time may go sooner under the new one.
    m_worker.wake();
}

void VirtioBlock::reset()
{
    m_worker.cancel();
    m_queue = nullptr;
    m_features = 0;
}

void VirtioBlock::process_requests()
{
    VirtQueue& queue = *m_queue;
    while (!m_worker.cancelling()) {
        if (const auto throttled_until = m_limiter.throttled_until()) {
            m_worker.wake_at(*throttled_until);
            break;
        }
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        // virtio_blk_req: a header the device reads, data either way, a status byte at the end.
        RequestHeader header;
        const BufferList& readable = chain->readable;
        const BufferList& writable = chain->writable;
        if (readable.read_at(0, bytes_of(header)) != sizeof header || writable.size() == 0) {
            queue.fail("block request " + std::to_string(chain->head)
                + " has no 16-byte header or no writable status byte");
            break;
        }
        uint64_t status_offset = writable.size() - 1;
        const BufferList data_out = readable.slice(sizeof header, readable.size() - sizeof header);
        const BufferList data_in = writable.slice(0, status_offset);
        Completion completion = execute(header, data_out, data_in);
        m_limiter.consume(data_bytes(header.type, data_out, data_in));
        writable.write_at(status_offset, { &completion.status, 1 });
        // The chain is under 4 GiB (the queue checked), so the count fits.
        queue.push(chain->head, static_cast<uint32_t>(completion.bytes_written + 1));
    }
    queue.notify_used();
}

VirtioBlock::Completion VirtioBlock::execute(
    const RequestHeader& header, const BufferList& data_out, const BufferList& data_in)
{
    switch (header.type) {
    case In: return read_sectors(header.sector, data_in);
    case Out: return write_sectors(header.sector, data_out);
    // Durable before the status says so: the used ring is published only after this returns.
    case Flush: return { m_file->sync() ? Ok : IoError, 0 };
    case GetId: return { Ok, data_in.write_at(0, m_serial) };
    case Discard:
        if (!(m_features & kFeatureDiscard))
            return { Unsupported, 0 };
        return zero_ranges(data_out, true);
    case WriteZeroes:
        if (!(m_features & kFeatureWriteZeroes))
            return { Unsupported, 0 };
        return zero_ranges(data_out, false);
    default: return { Unsupported, 0 };
    }
}

bool VirtioBlock::in_range(uint64_t sector, uint64_t bytes) const
{
    return sector <= m_capacity && bytes / kSectorSize <= m_capacity - sector;
}

VirtioBlock::Completion VirtioBlock::read_sectors(uint64_t sector, const BufferList& destination)
{
    if (destination.size() % kSectorSize != 0 || !in_range(sector, destination.size()))
        return { IoError, 0 };
    if (!m_file->read(sector * kSectorSize, destination.segments()))
        return { IoError, 0 };
    return { Ok, destination.size() };
}

VirtioBlock::Completion VirtioBlock::write_sectors(uint64_t sector, const BufferList& source)
{
    if (m_file->read_only())
        return { IoError, 0 };
    if (source.size() % kSectorSize != 0 || !in_range(sector, source.size()))
        return { IoError, 0 };
    if (!m_file->write(sector * kSectorSize, source.segments()))
        return { IoError, 0 };
    // A driver that did not take VIRTIO_BLK_F_FLUSH cannot ask for durability, so the spec
    // makes every completed write durable (a write-through cache).
    if (!(m_features & kFeatureFlush) && !m_file->sync())
        return { IoError, 0 };
    return { Ok, 0 };
}

VirtioBlock::Completion VirtioBlock::zero_ranges(const BufferList& data, bool discard)
{
    if (m_file->read_only())
        return { IoError, 0 };
    uint64_t count = data.size() / sizeof(ZeroingSegment);
    if (data.size() % sizeof(ZeroingSegment) != 0 || count == 0 || count > kMaxZeroingSegments)
        return { IoError, 0 };
    std::array<ZeroingSegment, kMaxZeroingSegments> segments;
    data.read_at(0, { reinterpret_cast<uint8_t*>(segments.data()), data.size() });

    // Check every segment before touching the image, so a refused request changes nothing.
    for (uint64_t index = 0; index < count; ++index) {
        const ZeroingSegment& segment = segments[index];
        if ((segment.flags & ~kUnmap) || (discard && (segment.flags & kUnmap)))
            return { Unsupported, 0 };
        if (segment.sectors > kMaxZeroingSectors
            || !in_range(segment.sector, uint64_t { segment.sectors } * kSectorSize))
            return { IoError, 0 };
    }
    for (uint64_t index = 0; index < count; ++index) {
        const ZeroingSegment& segment = segments[index];
        if (!m_file->zero_range(
                segment.sector * kSectorSize, uint64_t { segment.sectors } * kSectorSize))
            return { IoError, 0 };
    }
    return { Ok, 0 };
}

} // namespace rvisor::devices::virtio
