#pragma once
#include "devices/virtio/vsock_packet.h"
#include "host/unix_socket.h"
#include "host/wakeup.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <utility>
#include <vector>

namespace rvisor::devices::virtio {

// The host side of virtio-vsock: the guest's stream connections joined to Unix sockets, with
// Firecracker's conventions. A host program connects to `uds_path` and writes
// "CONNECT <port>\n"; the guest's listener on that port accepts, and the program reads
// "OK <host port>\n" before the stream's bytes. A guest that connects to host port P is joined
// to a new connection to "<uds_path>_P".
//
// Flow control is the spec's credit scheme both ways: the guest may have at most kBufferSize
// bytes in flight to each host socket (a guest that sends more is reset), and the host's bytes
// are read only as far as the guest's advertised buffer has room, so neither side buffers
// without bound and nothing is dropped.
//
// Threads: the muxer's own thread accepts and polls the host sockets. The device's worker
// hands it the guest's packets (send_to_host) and takes the packets for the guest
// (next_for_guest); `wake_device` tells the worker that packets wait.
class VsockMuxer {
public:
    static constexpr uint32_t kBufferSize = 256 * 1024;
    // Packets without payload (responses, resets, credit updates) that may wait for the guest;
    // beyond it a guest that floods requests loses the resets it provoked.
    static constexpr size_t kMaxControlPackets = 1024;
    static constexpr size_t kMaxConnections = 1024;

    // Who serves the host's sockets: the muxer's own thread, or the caller through
    // serve_host_sockets() (a fuzzer, which must know when the device may be woken).
    enum class Threading { Own, Caller };

    // Listens on uds_path (mode 0600); throws std::runtime_error with one sentence.
    VsockMuxer(uint64_t guest_cid, std::filesystem::path uds_path,
        std::function<void()> wake_device, Threading threading = Threading::Own);
    ~VsockMuxer();
    VsockMuxer(const VsockMuxer&) = delete;
    VsockMuxer& operator=(const VsockMuxer&) = delete;

    // A packet from the guest; `payload` holds header.len bytes (ReadWrite only).
    void send_to_host(const VsockHeader& header, std::span<const uint8_t> payload);
    // The next packet for the guest with at most max_payload bytes of payload (appended to
    // `payload`), or nothing when none waits.
    std::optional<VsockHeader> next_for_guest(std::vector<uint8_t>& payload, size_t max_payload);
    bool has_packet_for_guest();
    // Every connection closed (the driver reset the device, or the VM was restored: the guest
    // is told with a transport reset event). The guest's cid may change with it.
    void reset(uint64_t guest_cid);
    // The port the host's next connection takes. A snapshot keeps it: the guest it restores
    // may still hold connections (reset, not yet closed by their programs) on the ports taken
    // before, and a new connection on one of them would be refused as part of the old one.
    uint32_t next_host_port();
    // Throws std::invalid_argument for a port below the host's range.
    void set_next_host_port(uint32_t port);
    // One round of the host side: waits up to timeout_ms (-1: no limit) for a socket or a
    // wake-up, then serves what is ready. False once the muxer is being destroyed.
    bool serve_host_sockets(int timeout_ms);

private:
    enum class State { Connecting, Established };
    // Bytes in order, added at the back and taken from the front without moving the rest each
    // time (the guest takes 4 KiB packets out of up to 256 KiB).
    class ByteQueue {
    public:
        size_t size() const { return m_bytes.size() - m_front; }
        bool empty() const { return size() == 0; }
        std::span<const uint8_t> front(size_t count) const
        {
            return { m_bytes.data() + m_front, std::min(count, size()) };
        }
        void append(std::span<const uint8_t> bytes)
        {
            m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
        }
        // Room for `count` more bytes at the back, for a read(); drop_back() returns what the
        // read left unused.
        uint8_t* grow(size_t count)
        {
            m_bytes.resize(m_bytes.size() + count);
            return m_bytes.data() + m_bytes.size() - count;
        }
        void drop_back(size_t count) { m_bytes.resize(m_bytes.size() - count); }
        void pop(size_t count)
        {
            m_front += std::min(count, size());
            // Moved up once half is taken: each byte moves at most once on average.
            if (m_front * 2 >= m_bytes.size()) {
                m_bytes.erase(
                    m_bytes.begin(), m_bytes.begin() + static_cast<std::ptrdiff_t>(m_front));
                m_front = 0;
            }
        }
        void clear()
        {
            m_bytes.clear();
            m_front = 0;
        }

    private:
        std::vector<uint8_t> m_bytes;
        size_t m_front = 0;
    };
    struct Connection {
        int fd = -1;
        State state = State::Established;
        // Guest to host: bytes received and not yet written to the socket.
        std::vector<uint8_t> to_host;
        uint32_t received = 0; // rx_cnt
        uint32_t forwarded = 0; // fwd_cnt
        uint32_t reported = 0; // the fwd_cnt the guest last heard
        bool credit_update_queued = false;
        // Host to guest: bytes read from the socket, not yet in a packet.
        ByteQueue to_guest;
        uint32_t sent = 0; // tx_cnt
        uint32_t peer_buf_alloc = 0;
        uint32_t peer_fwd_cnt = 0;
        bool host_closed = false; // read() gave end of file
        bool shutdown_sent = false;
        bool guest_stops_sending = false;
        bool guest_stops_receiving = false;
    };
    // (host port, guest port)
    using Key = std::pair<uint32_t, uint32_t>;
    struct Control {
        Key key;
        VsockHeader::Op op;
        uint32_t flags = 0;
    };
    // A host program that connected and has not finished its CONNECT line.
    struct Handshake {
        int fd;
        std::vector<uint8_t> line;
    };

    void run();
    void accept_connections();
    void read_handshake(Handshake&, bool& done);
    void read_from_host(const Key&, Connection&);
    void write_to_host(const Key&, Connection&);
    void connect_to_host(const VsockHeader&);
    void receive_stream_packet(
        const Key&, Connection&, const VsockHeader&, std::span<const uint8_t> payload);
    void queue_control(const Key&, VsockHeader::Op, uint32_t flags = 0);
    void close_connection(const Key&, bool send_reset);
    uint32_t credit_for_guest(const Connection&) const;
    std::optional<Key> next_stream_with_packet() const;
    VsockHeader header_for(const Key&, VsockHeader::Op) const;
    void close_all();

    uint64_t m_guest_cid;
    std::filesystem::path m_path;
    host::ListeningSocket m_listener;
    std::function<void()> m_wake_device;

    std::mutex m_mutex;
    std::map<Key, Connection> m_connections;
    std::vector<Handshake> m_handshakes;
    std::deque<Control> m_control;
    uint32_t m_next_host_port = 1u << 30;
    Key m_last_served {}; // where the search for data to deliver resumes
    bool m_exiting = false;

    host::Wakeup m_wakeup; // the poll loop looks again
    // Last: it starts once everything it uses exists (Threading::Own only).
    std::thread m_thread;
};

} // namespace rvisor::devices::virtio
