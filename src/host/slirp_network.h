#pragma once
#include "host/network_backend.h"

#include <poll.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// libslirp's state, opaque (its header declares it the same way).
struct Slirp;

namespace rvisor::host {

// A host port whose connections (TCP) or datagrams (UDP) go to a port of the guest.
struct PortForward {
    enum class Protocol { Tcp, Udp };
    Protocol protocol { Protocol::Tcp };
    std::string host_address { "127.0.0.1" }; // dotted IPv4
    uint16_t host_port { 0 };
    uint16_t guest_port { 0 };
};

// User-mode networking through libslirp, needing no privileges: the guest sits alone on
// 10.0.2.0/24, as under QEMU. 10.0.2.2 is the gateway, and connections to it reach the host's
// own 127.0.0.1; DHCP gives the guest 10.0.2.15; with `dns`, 10.0.2.3 answers DNS by asking the
// host's resolver. Connections the guest opens elsewhere leave through ordinary host sockets,
// and port forwards let the host reach the guest's servers. IPv4 only.
//
// Threads: slirp runs on its own thread between start() and stop(), in a poll() loop; every
// libslirp call is made there (or before start() and after stop()). send() queues the frame
// for that thread and wakes it.
class SlirpNetwork final : public NetworkBackend {
public:
    struct Options {
        std::vector<PortForward> port_forwards;
        bool dns { false };
        // Report what libslirp finds wrong with the guest's traffic on stderr.
        bool verbose { false };
    };

    // Frames sent while the slirp thread is behind wait in a queue this long; more are dropped.
    static constexpr size_t kMaxPendingFrames = 256;

    // Throws std::runtime_error with one sentence when a port forward cannot be set up (the
    // host port is in use, the address is not the host's).
    explicit SlirpNetwork(const Options&);
    ~SlirpNetwork() override;
    SlirpNetwork(const SlirpNetwork&) = delete;
    SlirpNetwork& operator=(const SlirpNetwork&) = delete;

    void set_receiver(Receiver) override;
    void start() override;
    void stop() override;
    void send(std::span<const uint8_t> frame) override;
    // Stops polling slirp's host sockets for input; what slirp already read still comes.
    void set_receive_held(bool held) override;
    // libslirp builds the guest's frames itself, checksums included.
    bool checksums_known_good() const override { return true; }

private:
    struct Timer;
    struct SlirpDeleter {
        void operator()(Slirp*) const;
    };

    void run();
    void input_pending_frames();
    // How long until the earliest armed timer expires; UINT32_MAX when none is armed.
    uint32_t next_timer_timeout_ms() const;
    void fire_expired_timers();

    // The callbacks libslirp makes, all on the thread that called into it.
    static ssize_t send_packet(const void* buffer, size_t length, void* opaque);
    static void guest_error(const char* message, void* opaque);
    static int64_t clock_get_ns(void* opaque);
    static void* timer_new(void (*callback)(void*), void* callback_opaque, void* opaque);
    static void timer_free(void* timer, void* opaque);
    static void timer_mod(void* timer, int64_t expire_time_ms, void* opaque);
    static int add_poll(int fd, int events, void* opaque);
    static int get_revents(int index, void* opaque);

    bool m_verbose;
    Receiver m_receiver;
    int m_wakeup_fd { -1 }; // an eventfd

    // The slirp thread's, like the timers libslirp asks for.
    std::vector<pollfd> m_poll_fds;
    std::vector<std::unique_ptr<Timer>> m_timers;
    // After the timers, which libslirp frees while it is cleaned up.
    std::unique_ptr<Slirp, SlirpDeleter> m_slirp;

    std::mutex m_mutex;
    std::deque<std::vector<uint8_t>> m_pending_frames;
    std::atomic<bool> m_stopping { false };
    std::atomic<bool> m_receive_held { false };
    std::thread m_thread;
};

} // namespace rvisor::host
