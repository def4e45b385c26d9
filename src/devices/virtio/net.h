#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"
#include "devices/virtio/net_offload.h"
#include "host/network_backend.h"
#include "host/rate_limiter.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <vector>

namespace rvisor::devices::virtio {

// A virtio network device (virtio 1.2 section 5.1, device id 1) in front of a host network
// backend: one receive queue (0) and one transmit queue (1), a fixed MAC address
// (VIRTIO_NET_F_MAC) and a link that is always up (VIRTIO_NET_F_STATUS). Every frame travels
// whole in one chain behind the 12-byte virtio_net_hdr (no mergeable receive buffers).
//
// Transmit: each chain's readable bytes, less the header, are one frame for the backend, after
// the offloads the header asks for (net_offload.h): a checksum to complete (VIRTIO_NET_F_CSUM)
// or a TCP segment of up to 64 KiB to cut to the MTU (VIRTIO_NET_F_HOST_TSO4/6). The guest
// hands over its data in large pieces and computes no checksums over it, which is most of what
// an upload costs its emulated CPU. Received frames from a backend whose checksums are known
// good (user networking) are marked so (DATA_VALID, with VIRTIO_NET_F_GUEST_CSUM), which spares
// the guest checking them.
// Receive: frames from the backend wait in a queue until the driver offers receive buffers.
// Once kHoldReceiveFrames wait, the backend is told to stop reading from the host (TCP then
// slows the sender down) until no more than kResumeReceiveFrames wait, so frames a backend
// has handed over are kept, not dropped; only past kMaxPendingFrames, which a backend that
// honours the hold does not reach, are newer ones dropped. Frames arriving while the driver
// is not running are dropped, as on a card whose link is down.
//
// A bandwidth limit (bytes a second, each way) is checked before each frame: over its budget,
// the device leaves that direction's frames waiting (in the transmit ring, or in the receive
// queue and then in the backend) and its worker sleeps until the budget allows the next one.
//
// What the driver gets wrong: a transmit chain without a whole header, or with writable
// buffers, and a receive chain with readable buffers, break the protocol and set
// DEVICE_NEEDS_RESET. A receive chain too small for the frame at hand (the spec asks drivers
// for room for 1514 bytes and Linux gives 1518) costs that frame: the chain comes back with
// nothing written, and the next frame tries the next chain. A frame shorter than an Ethernet
// header, or longer than kMaxReceiveFrame (from the backend) or kMaxTransmitFrame (from the
// guest), is dropped likewise.
//
// Threads: the backend's thread queues received frames; the device's worker thread does all
// the queue work for both directions and calls the backend's send().
class VirtioNet final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 256;
    static constexpr unsigned kReceiveQueue = 0;
    static constexpr unsigned kTransmitQueue = 1;
    // struct virtio_net_hdr with its num_buffers field, as VERSION_1 always has it.
    static constexpr uint64_t kHeaderSize = 12;
    // An Ethernet frame with an 802.1Q tag and 1500 bytes of payload.
    static constexpr uint64_t kMaxReceiveFrame = 1518;
    // The guest may raise its MTU, as there is no VIRTIO_NET_F_MTU; nothing larger than an IP
    // packet with its Ethernet and VLAN headers makes sense.
    static constexpr uint64_t kMaxTransmitFrame = 65535 + 18;
    static constexpr size_t kHoldReceiveFrames = 64;
    static constexpr size_t kResumeReceiveFrames = 16;
    static constexpr size_t kMaxPendingFrames = 1024;

    // Takes the backend, sets its receiver and starts it; the destructor stops it.
    // `bandwidth`: bytes a second each way, 0 for no limit.
    explicit VirtioNet(std::unique_ptr<host::NetworkBackend> backend,
        host::MacAddress mac = host::kDefaultMacAddress, uint64_t bandwidth = 0);
    ~VirtioNet() override;
    VirtioNet(const VirtioNet&) = delete;
    VirtioNet& operator=(const VirtioNet&) = delete;

    uint32_t device_id() const override { return 1; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 2; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) const override;
    // The MAC address is writable only for legacy drivers, so writes are ignored.
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }

    // From any thread: takes effect from the next frame.
    void set_bandwidth(uint64_t bytes_per_second);

    // Frame bytes (without the virtio header) since the device was made: for accounting.
    uint64_t transmitted_bytes() const { return m_transmitted_bytes.load(); }
    uint64_t received_bytes() const { return m_received_bytes.load(); }

private:
    void receive_from_backend(std::span<const uint8_t> frame);
    void process_queues();
    void transmit_frames(VirtQueue&);
    void deliver_frames(VirtQueue&);
    // m_transmit_buffer to the backend, after the offloads its header asks for.
    void transmit(const NetOffloadRequest& request);
    // Whether `limiter` lets a frame go now; when not, the worker runs again when it may.
    bool may_pass(host::RateLimiter& limiter);

    std::unique_ptr<host::NetworkBackend> m_backend;
    // struct virtio_net_config: mac[6], status.
    std::array<uint8_t, 8> m_config {};

    // Set by activate() and cleared by reset() while the worker is idle; the worker reads it.
    VirtQueue* m_queues { nullptr };
    // The worker's alone: one transmitted frame at a time, and one segment of it.
    std::vector<uint8_t> m_transmit_buffer;
    std::vector<uint8_t> m_segment_buffer;
    // Set by activate() from the features the driver took.
    uint64_t m_offloads = 0; // VIRTIO_NET_F_CSUM, HOST_TSO4, HOST_TSO6
    std::array<uint8_t, kHeaderSize> m_receive_header {};

    // Shared by the backend's thread and the worker.
    std::mutex m_mutex;
    std::deque<std::vector<uint8_t>> m_pending_frames;
    bool m_running { false }; // between activate() and reset()
    bool m_receive_held { false }; // the backend was told to stop reading

    host::RateLimiter m_transmit_limiter;
    host::RateLimiter m_receive_limiter;

    std::atomic<uint64_t> m_transmitted_bytes { 0 };
    std::atomic<uint64_t> m_received_bytes { 0 };

    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
