#include "devices/virtio/net.h"

#include "devices/virtio/features.h"
#include "devices/virtio/net_offload.h"

#include <cstring>
#include <string>

namespace rvisor::devices::virtio {

namespace {

constexpr uint64_t kFeatureChecksum = uint64_t { 1 } << 0; // the device completes checksums
constexpr uint64_t kFeatureGuestChecksum = uint64_t { 1 } << 1; // the guest may skip checking
constexpr uint64_t kFeatureMac = uint64_t { 1 } << 5;
constexpr uint64_t kFeatureHostTso4 = uint64_t { 1 } << 11;
constexpr uint64_t kFeatureHostTso6 = uint64_t { 1 } << 12;
constexpr uint64_t kFeatureStatus = uint64_t { 1 } << 16;

// struct virtio_net_config
constexpr size_t kMacOffset = 0;
constexpr size_t kStatusOffset = 6;
constexpr uint16_t kLinkUp = 1;

// Destination, source and EtherType: anything shorter is not a frame.
constexpr uint64_t kEthernetHeaderSize = 14;

// struct virtio_net_hdr for a received frame: no segmentation, num_buffers (little-endian, at
// offset 10) 1, and in flags either nothing or VIRTIO_NET_HDR_F_DATA_VALID (for a backend
// whose frames' checksums are known good).
constexpr uint8_t kDataValid = 2;
constexpr std::array<uint8_t, VirtioNet::kHeaderSize> kReceiveHeader { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 0 };
constexpr std::array<uint8_t, VirtioNet::kHeaderSize> kReceiveHeaderDataValid { kDataValid, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 1, 0 };

// struct virtio_net_hdr's fields before num_buffers, little-endian.
NetOffloadRequest offload_request(const std::array<uint8_t, 10>& header)
{
    const auto field = [&](size_t offset) {
        return static_cast<uint16_t>(header[offset] | header[offset + 1] << 8);
    };
    return { .flags = header[0],
        .gso_type = header[1],
        .gso_size = field(4),
        .checksum_start = field(6),
        .checksum_offset = field(8) };
}

} // namespace

VirtioNet::VirtioNet(
    std::unique_ptr<host::NetworkBackend> backend, host::MacAddress mac, uint64_t bandwidth)
    : m_backend(std::move(backend))
    , m_transmit_limiter({ bandwidth, 0 })
    , m_receive_limiter({ bandwidth, 0 })
    , m_worker([this] { process_queues(); })
{
    std::memcpy(m_config.data() + kMacOffset, mac.data(), mac.size());
    std::memcpy(m_config.data() + kStatusOffset, &kLinkUp, sizeof kLinkUp);
    m_backend->set_receiver(
        [this](std::span<const uint8_t> frame) { receive_from_backend(frame); });
    m_backend->start();
}

VirtioNet::~VirtioNet() { m_backend->stop(); }

uint64_t VirtioNet::device_features() const
{
    return kFeatureChecksum | kFeatureGuestChecksum | kFeatureHostTso4 | kFeatureHostTso6
        | kFeatureMac | kFeatureStatus | kFeatureEventIndex | kFeatureIndirectDescriptors;
}

uint64_t VirtioNet::read_config(uint64_t offset, unsigned size) const
{
    return read_config_bytes(m_config, offset, size);
}

void VirtioNet::activate(std::span<VirtQueue> queues, uint64_t features)
{
    m_queues = queues.data();
    m_offloads = features & (kFeatureChecksum | kFeatureHostTso4 | kFeatureHostTso6);
    const bool data_valid = (features & kFeatureGuestChecksum) && m_backend->checksums_known_good();
    m_receive_header = data_valid ? kReceiveHeaderDataValid : kReceiveHeader;
    std::lock_guard lock(m_mutex);
    m_running = true;
    // Chains the driver offered before DRIVER_OK came without a notification that counted.
    m_worker.wake();
}

void VirtioNet::queue_notified(unsigned) { m_worker.wake(); }

void VirtioNet::set_bandwidth(uint64_t bytes_per_second)
{
    m_transmit_limiter.set_limit({ bytes_per_second, 0 });
    m_receive_limiter.set_limit({ bytes_per_second, 0 });
    // Frames waiting for the old limit's time may go sooner under the new one.
    m_worker.wake();
}

bool VirtioNet::may_pass(host::RateLimiter& limiter)
{
    const auto throttled_until = limiter.throttled_until();
    if (throttled_until)
        m_worker.wake_at(*throttled_until);
    return !throttled_until;
}

void VirtioNet::reset()
{
    {
        std::lock_guard lock(m_mutex);
        m_running = false;
    }
    // Nothing wakes the worker from here on; once it is idle, the frames are ours to drop.
    m_worker.cancel();
    std::lock_guard lock(m_mutex);
    m_pending_frames.clear();
    m_queues = nullptr;
    if (m_receive_held) {
        m_receive_held = false;
        m_backend->set_receive_held(false);
    }
}

void VirtioNet::receive_from_backend(std::span<const uint8_t> frame)
{
    if (frame.size() < kEthernetHeaderSize || frame.size() > kMaxReceiveFrame)
        return;
    std::lock_guard lock(m_mutex);
    if (!m_running || m_pending_frames.size() >= kMaxPendingFrames)
        return;
    m_pending_frames.emplace_back(frame.begin(), frame.end());
    if (m_pending_frames.size() >= kHoldReceiveFrames && !m_receive_held) {
        m_receive_held = true;
        m_backend->set_receive_held(true);
    }
    // Under the lock, so that reset() cannot slip between the check and the wake-up.
    m_worker.wake();
}

void VirtioNet::process_queues()
{
    transmit_frames(m_queues[kTransmitQueue]);
    deliver_frames(m_queues[kReceiveQueue]);
}

void VirtioNet::transmit_frames(VirtQueue& queue)
{
    while (!m_worker.cancelling() && may_pass(m_transmit_limiter)) {
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        const BufferList& readable = chain->readable;
        if (readable.size() < kHeaderSize || chain->writable.size() != 0) {
            queue.fail("transmit chain " + std::to_string(chain->head)
                + " has no 12-byte virtio_net_hdr or has device-writable buffers");
            break;
        }
        // Without offloads the header asks for nothing, so only the frame behind it matters.
        uint64_t frame_size = readable.size() - kHeaderSize;
        if (frame_size >= kEthernetHeaderSize && frame_size <= kMaxTransmitFrame) {
            std::array<uint8_t, 10> header;
            readable.read_at(0, header);
            m_transmit_buffer.resize(frame_size);
            readable.read_at(kHeaderSize, m_transmit_buffer);
            transmit(offload_request(header));
        }
        m_transmit_limiter.consume(frame_size);
        queue.push(chain->head, 0);
    }
    queue.notify_used();
}

void VirtioNet::transmit(const NetOffloadRequest& request)
{
    // Offloads the driver did not agree to, or a request that does not fit the frame, cost the
    // frame, as a malformed packet would on a card.
    const auto send = [this](std::span<const uint8_t> frame) {
        m_backend->send(frame);
        m_transmitted_bytes += frame.size();
    };
    if (request.gso_type != NetOffloadRequest::kGsoNone) {
        const bool agreed = request.gso_type == NetOffloadRequest::kGsoTcpV4
            ? (m_offloads & kFeatureHostTso4) != 0
            : request.gso_type == NetOffloadRequest::kGsoTcpV6 && (m_offloads & kFeatureHostTso6);
        if (agreed)
            segment_tcp(m_transmit_buffer, request, send, m_segment_buffer);
        return;
    }
    if (request.flags & NetOffloadRequest::kNeedsChecksum) {
        if (!(m_offloads & kFeatureChecksum) || !complete_checksum(m_transmit_buffer, request))
            return;
    }
    send(m_transmit_buffer);
}

void VirtioNet::deliver_frames(VirtQueue& queue)
{
    while (!m_worker.cancelling()) {
        {
            std::lock_guard lock(m_mutex);
            if (m_pending_frames.empty())
                break;
        }
        if (!may_pass(m_receive_limiter))
            break;
        // A chain is taken only for a frame that waits, since it cannot be given back unused.
        std::optional<DescriptorChain> chain = queue.pop_writable("receive");
        if (!chain)
            break;
        // Only this thread takes frames out while the device runs, so the front is still there.
        std::vector<uint8_t> frame;
        {
            std::lock_guard lock(m_mutex);
            frame = std::move(m_pending_frames.front());
            m_pending_frames.pop_front();
            if (m_receive_held && m_pending_frames.size() <= kResumeReceiveFrames) {
                m_receive_held = false;
                m_backend->set_receive_held(false);
            }
        }
        const BufferList& buffer = chain->writable;
        uint64_t written = 0;
        if (buffer.size() >= kHeaderSize + frame.size()) {
            buffer.write_at(0, m_receive_header);
            buffer.write_at(kHeaderSize, frame);
            written = kHeaderSize + frame.size();
            m_received_bytes += frame.size();
        }
        m_receive_limiter.consume(frame.size());
        queue.push(chain->head, static_cast<uint32_t>(written));
    }
    queue.notify_used();
}

} // namespace rvisor::devices::virtio
