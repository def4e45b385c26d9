#include "devices/virtio/vsock.h"

#include "devices/virtio/features.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <fmt/format.h>

#include <array>
#include <string>

namespace rvisor::devices::virtio {

namespace {

// struct virtio_vsock_event: an id, of which the only one is VIRTIO_VSOCK_EVENT_TRANSPORT_RESET.
constexpr std::array<uint8_t, 4> kTransportResetEvent { 0, 0, 0, 0 };

} // namespace

VirtioVsock::VirtioVsock(
    uint64_t guest_cid, const std::filesystem::path& uds_path, VsockMuxer::Threading threading)
    : m_guest_cid(guest_cid)
    , m_worker([this] { process_queues(); })
{
    // Here rather than above, so that the worker it wakes exists first.
    m_muxer = std::make_unique<VsockMuxer>(
        guest_cid, uds_path, [this] { m_worker.wake(); }, threading);
}

VirtioVsock::~VirtioVsock()
{
    // The muxer's thread wakes the worker and the worker calls the muxer: with the worker held
    // back, the muxer can go first.
    m_worker.pause();
    m_muxer.reset();
}

uint64_t VirtioVsock::device_features() const
{
    // No feature bit for streams: a device that offers neither STREAM nor SEQPACKET has streams.
    return kFeatureEventIndex | kFeatureIndirectDescriptors;
}

uint64_t VirtioVsock::read_config(uint64_t offset, unsigned size) const
{
    std::array<uint8_t, 8> config {};
    for (size_t i = 0; i < config.size(); ++i)
        config[i] = static_cast<uint8_t>(m_guest_cid >> (8 * i));
    return read_config_bytes(config, offset, size);
}

void VirtioVsock::activate(std::span<VirtQueue> queues, uint64_t)
{
    m_queues = queues.data();
    // Chains the driver offered before DRIVER_OK came without a notification that counted.
    m_worker.wake();
}

void VirtioVsock::queue_notified(unsigned) { m_worker.wake(); }

void VirtioVsock::reset()
{
    m_worker.cancel();
    m_queues = nullptr;
    m_transport_reset_owed = false;
    m_reset_sent_at.reset();
    m_muxer->reset(m_guest_cid);
}

void VirtioVsock::save(state::StateWriter& out) const { out.u32(m_muxer->next_host_port()); }

void VirtioVsock::load(state::StateReader& in)
{
    if (in.version() >= 2) {
        const uint32_t port = in.u32();
        try {
            m_muxer->set_next_host_port(port);
        } catch (const std::invalid_argument&) {
            in.fail(fmt::format("the next host port {} is below the host's range", port));
        }
    }
    m_transport_reset_owed = true;
}

void VirtioVsock::process_queues()
{
    if (!m_queues)
        return;
    if (m_transport_reset_owed)
        send_transport_reset(m_queues[kEventQueue]);
    if (m_reset_sent_at && m_queues[kEventQueue].available_index() != *m_reset_sent_at)
        m_reset_sent_at.reset();
    transmit(m_queues[kTransmitQueue]);
    if (!m_transport_reset_owed && !m_reset_sent_at)
        deliver(m_queues[kReceiveQueue]);
}

void VirtioVsock::send_transport_reset(VirtQueue& queue)
{
    std::optional<DescriptorChain> chain = queue.pop_writable("event");
    if (!chain)
        return; // sent when the driver offers an event buffer
    if (chain->writable.size() < kTransportResetEvent.size()) {
        queue.fail("event chain " + std::to_string(chain->head) + " is shorter than an event");
        return;
    }
    chain->writable.write_at(0, kTransportResetEvent);
    // Read before the guest can see the event, so that its answer cannot come unnoticed.
    const uint16_t offered = queue.available_index();
    queue.push(chain->head, kTransportResetEvent.size());
    queue.notify_used();
    queue.notify_after_available(offered);
    m_transport_reset_owed = false;
    m_reset_sent_at = offered;
}

void VirtioVsock::transmit(VirtQueue& queue)
{
    while (!m_worker.cancelling()) {
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        const BufferList& readable = chain->readable;
        std::array<uint8_t, VsockHeader::kSize> header_bytes {};
        if (readable.size() < VsockHeader::kSize || chain->writable.size() != 0) {
            queue.fail("transmit chain " + std::to_string(chain->head)
                + " has no whole packet header or has device-writable buffers");
            break;
        }
        readable.read_at(0, header_bytes);
        const VsockHeader header = VsockHeader::decode(header_bytes);
        const uint32_t length = header.op == VsockHeader::Op::ReadWrite ? header.len : 0;
        if (length > kMaxPayload || length > readable.size() - VsockHeader::kSize) {
            queue.fail("transmit chain " + std::to_string(chain->head) + " claims "
                + std::to_string(header.len) + " bytes of payload and holds "
                + std::to_string(readable.size() - VsockHeader::kSize));
            break;
        }
        m_payload.resize(length);
        readable.read_at(VsockHeader::kSize, m_payload);
        m_muxer->send_to_host(header, m_payload);
        queue.push(chain->head, 0);
    }
    queue.notify_used();
}

void VirtioVsock::deliver(VirtQueue& queue)
{
    while (!m_worker.cancelling() && m_muxer->has_packet_for_guest()) {
        // A chain is taken only for a packet that waits, since it cannot be given back unused.
        std::optional<DescriptorChain> chain = queue.pop_writable("receive");
        if (!chain)
            break;
        const BufferList& buffer = chain->writable;
        if (buffer.size() < VsockHeader::kSize) {
            queue.fail("receive chain " + std::to_string(chain->head)
                + " is shorter than a packet header");
            break;
        }
        m_payload.clear();
        const auto header = m_muxer->next_for_guest(
            m_payload, std::min<uint64_t>(buffer.size() - VsockHeader::kSize, kMaxPayload));
        uint32_t written = 0;
        if (header) { // else a reset took the packet meanwhile; an empty buffer is ignored
            buffer.write_at(0, header->encode());
            buffer.write_at(VsockHeader::kSize, m_payload);
            written = static_cast<uint32_t>(VsockHeader::kSize + m_payload.size());
        }
        queue.push(chain->head, written);
    }
    queue.notify_used();
}

} // namespace rvisor::devices::virtio
