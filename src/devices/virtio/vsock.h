#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"
#include "devices/virtio/vsock_muxer.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

namespace rvisor::devices::virtio {

// A virtio socket device (virtio 1.2 section 5.10, device id 19): stream sockets between the
// guest (at guest_cid) and host programs on Unix sockets, joined by a VsockMuxer. Three
// queues: receive (0), transmit (1) and event (2).
//
// A snapshot cannot hold the host's end of a connection, so a restored device starts with none
// and tells the guest with a transport reset event, after which Linux drops its connections
// (their programs see ECONNRESET), keeps its listeners and reads guest_cid again, which lets a
// clone take a cid of its own.
//
// What the driver gets wrong: a transmit chain shorter than a header, with writable buffers, or
// whose header claims more payload than the chain holds or than a packet may carry (64 KiB),
// and a receive or event chain too small for what it must hold, set DEVICE_NEEDS_RESET.
// Packets that make no sense for their connection reset the connection instead, as the spec
// says.
//
// Threads: the muxer's thread serves the host's sockets; the device's worker does all the
// queue work and hands packets across.
class VirtioVsock final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 256;
    static constexpr unsigned kReceiveQueue = 0;
    static constexpr unsigned kTransmitQueue = 1;
    static constexpr unsigned kEventQueue = 2;
    // VIRTIO_VSOCK_MAX_PKT_BUF_SIZE: the largest payload Linux puts in one packet.
    static constexpr uint32_t kMaxPayload = 64 * 1024;

    // Listens on uds_path; throws std::runtime_error with one sentence. With
    // Threading::Caller the host's sockets are served only in serve_host_sockets().
    VirtioVsock(uint64_t guest_cid, const std::filesystem::path& uds_path,
        VsockMuxer::Threading threading = VsockMuxer::Threading::Own);
    ~VirtioVsock() override;
    VirtioVsock(const VirtioVsock&) = delete;
    VirtioVsock& operator=(const VirtioVsock&) = delete;

    uint32_t device_id() const override { return 19; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 3; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) const override;
    // guest_cid is read-only.
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }
    // For a caller that serves the host side itself: one round, without waiting.
    void serve_host_sockets() { m_muxer->serve_host_sockets(0); }
    // Saved: the next host port (section version 2; older snapshots start from the first).
    // Connections are not: a loaded device owes the guest a transport reset event.
    void save(state::StateWriter&) const override;
    void load(state::StateReader&) override;

private:
    void process_queues();
    void transmit(VirtQueue&);
    void deliver(VirtQueue&);
    void send_transport_reset(VirtQueue&);

    uint64_t m_guest_cid;
    // Set by activate() and cleared by reset() while the worker is idle.
    VirtQueue* m_queues { nullptr };
    std::atomic<bool> m_transport_reset_owed { false };
    // The event queue's available index when the reset event was sent. Linux handles the
    // event and only then offers the buffer again, resetting every connection it had; a
    // connection request delivered before that would be reset with them, so none is delivered
    // until the index moves (the worker's).
    std::optional<uint16_t> m_reset_sent_at;
    std::vector<uint8_t> m_payload; // the worker's: one packet at a time
    std::unique_ptr<VsockMuxer> m_muxer;
    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
