#include "host/slirp_network.h"

#include <slirp/libslirp.h>

#include <arpa/inet.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <optional>
#include <stdexcept>

namespace rvisor::host {

namespace {

// The addresses QEMU's user networking uses, which guest images and habits expect.
constexpr const char* kNetwork = "10.0.2.0";
constexpr const char* kNetmask = "255.255.255.0";
constexpr const char* kGateway = "10.0.2.2";
constexpr const char* kGuest = "10.0.2.15";
constexpr const char* kNameServer = "10.0.2.3";

in_addr ipv4(const char* text)
{
    in_addr address {};
    inet_pton(AF_INET, text, &address);
    return address;
}

std::string describe(const PortForward& forward)
{
    return std::string(forward.protocol == PortForward::Protocol::Udp ? "udp:" : "tcp:")
        + forward.host_address + ":" + std::to_string(forward.host_port);
}

void signal_eventfd(int fd)
{
    uint64_t one = 1;
    // Fails only when the counter is about to overflow, and then the loop is awake anyway.
    while (::write(fd, &one, sizeof one) < 0 && errno == EINTR) { }
}

short poll_events(int slirp_events)
{
    short events = 0;
    if (slirp_events & SLIRP_POLL_IN)
        events |= POLLIN;
    if (slirp_events & SLIRP_POLL_OUT)
        events |= POLLOUT;
    if (slirp_events & SLIRP_POLL_PRI)
        events |= POLLPRI;
    if (slirp_events & SLIRP_POLL_ERR)
        events |= POLLERR;
    if (slirp_events & SLIRP_POLL_HUP)
        events |= POLLHUP;
    return events;
}

int slirp_events(short poll_events)
{
    int events = 0;
    if (poll_events & POLLIN)
        events |= SLIRP_POLL_IN;
    if (poll_events & POLLOUT)
        events |= SLIRP_POLL_OUT;
    if (poll_events & POLLPRI)
        events |= SLIRP_POLL_PRI;
    if (poll_events & (POLLERR | POLLNVAL))
        events |= SLIRP_POLL_ERR;
    if (poll_events & POLLHUP)
        events |= SLIRP_POLL_HUP;
    return events;
}

int64_t monotonic_ns()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
        std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

int64_t monotonic_ms() { return monotonic_ns() / 1'000'000; }

} // namespace

struct SlirpNetwork::Timer {
    void (*callback)(void*);
    void* callback_opaque;
    std::optional<int64_t> expire_time_ms; // on monotonic_ms(); empty while not armed
};

void SlirpNetwork::SlirpDeleter::operator()(Slirp* slirp) const { slirp_cleanup(slirp); }

SlirpNetwork::SlirpNetwork(const Options& options)
    : m_verbose(options.verbose)
{
    // libslirp keeps a pointer to these for as long as it runs.
    static const SlirpCb callbacks = {
        .send_packet = &SlirpNetwork::send_packet,
        .guest_error = &SlirpNetwork::guest_error,
        .clock_get_ns = &SlirpNetwork::clock_get_ns,
        .timer_new = &SlirpNetwork::timer_new,
        .timer_free = &SlirpNetwork::timer_free,
        .timer_mod = &SlirpNetwork::timer_mod,
        // Descriptors are polled afresh in every round, from slirp_pollfds_fill().
        .register_poll_fd = [](int, void*) {},
        .unregister_poll_fd = [](int, void*) {},
        // Only guest forwards (slirp_add_guestfwd), unused here, need this kick.
        .notify = [](void*) {},
        .init_completed = nullptr,
        .timer_new_opaque = nullptr,
    };

    SlirpConfig config {};
    config.version = 4;
    config.restricted = 0;
    config.in_enabled = true;
    config.vnetwork = ipv4(kNetwork);
    config.vnetmask = ipv4(kNetmask);
    config.vhost = ipv4(kGateway);
    config.vdhcp_start = ipv4(kGuest);
    config.vnameserver = ipv4(kNameServer);
    config.in6_enabled = false;
    // The gateway address leads to the host's loopback, as under QEMU.
    config.disable_host_loopback = false;
    config.enable_emu = false;
    config.disable_dns = !options.dns;
    config.disable_dhcp = false;

    m_wakeup_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wakeup_fd < 0) {
        throw std::runtime_error(
            std::string("cannot set up user-mode networking: ") + std::strerror(errno));
    }
    try {
        m_slirp.reset(slirp_new(&config, &callbacks, this));
        if (!m_slirp)
            throw std::runtime_error("cannot set up user-mode networking: libslirp refused");
        for (const PortForward& forward : options.port_forwards) {
            in_addr host_address {};
            if (inet_pton(AF_INET, forward.host_address.c_str(), &host_address) != 1) {
                throw std::runtime_error("port forward host address '" + forward.host_address
                    + "' is not an IPv4 address");
            }
            errno = 0;
            if (slirp_add_hostfwd(m_slirp.get(), forward.protocol == PortForward::Protocol::Udp,
                    host_address, forward.host_port, ipv4(kGuest), forward.guest_port)
                < 0) {
                int error = errno;
                throw std::runtime_error("cannot forward host port " + describe(forward)
                    + " to guest port " + std::to_string(forward.guest_port) + ": "
                    + (error ? std::strerror(error) : "libslirp refused"));
            }
        }
    } catch (...) {
        m_slirp.reset();
        ::close(m_wakeup_fd);
        throw;
    }
}

SlirpNetwork::~SlirpNetwork()
{
    stop();
    m_slirp.reset();
    ::close(m_wakeup_fd);
}

void SlirpNetwork::set_receiver(Receiver receiver) { m_receiver = std::move(receiver); }

void SlirpNetwork::start()
{
    if (m_thread.joinable())
        return;
    m_stopping = false;
    m_thread = std::thread([this] { run(); });
}

void SlirpNetwork::stop()
{
    if (!m_thread.joinable())
        return;
    m_stopping = true;
    signal_eventfd(m_wakeup_fd);
    m_thread.join();
}

void SlirpNetwork::send(std::span<const uint8_t> frame)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_pending_frames.size() >= kMaxPendingFrames)
            return;
        m_pending_frames.emplace_back(frame.begin(), frame.end());
    }
    signal_eventfd(m_wakeup_fd);
}

void SlirpNetwork::set_receive_held(bool held)
{
    m_receive_held = held;
    // The loop polls again, with input, from the next round.
    if (!held)
        signal_eventfd(m_wakeup_fd);
}

void SlirpNetwork::run()
{
    while (!m_stopping.load()) {
        m_poll_fds.clear();
        m_poll_fds.push_back({ m_wakeup_fd, POLLIN, 0 });
        // libslirp lowers the timeout to what its TCP timers need.
        uint32_t timeout_ms = next_timer_timeout_ms();
        slirp_pollfds_fill(m_slirp.get(), &timeout_ms, &SlirpNetwork::add_poll, this);
        int ready = ::poll(m_poll_fds.data(), m_poll_fds.size(),
            timeout_ms == UINT32_MAX ? -1
                                     : static_cast<int>(std::min<uint32_t>(timeout_ms, INT_MAX)));
        slirp_pollfds_poll(m_slirp.get(), ready < 0, &SlirpNetwork::get_revents, this);
        if (m_poll_fds[0].revents & POLLIN) {
            uint64_t count;
            while (::read(m_wakeup_fd, &count, sizeof count) < 0 && errno == EINTR) { }
        }
        input_pending_frames();
        fire_expired_timers();
    }
}

void SlirpNetwork::input_pending_frames()
{
    std::deque<std::vector<uint8_t>> frames;
    {
        std::lock_guard lock(m_mutex);
        frames.swap(m_pending_frames);
    }
    for (const std::vector<uint8_t>& frame : frames)
        slirp_input(m_slirp.get(), frame.data(), static_cast<int>(frame.size()));
}

uint32_t SlirpNetwork::next_timer_timeout_ms() const
{
    std::optional<int64_t> earliest;
    for (const auto& timer : m_timers) {
        if (timer->expire_time_ms && (!earliest || *timer->expire_time_ms < *earliest))
            earliest = timer->expire_time_ms;
    }
    if (!earliest)
        return UINT32_MAX;
    int64_t remaining = *earliest - monotonic_ms();
    return static_cast<uint32_t>(std::clamp<int64_t>(remaining, 0, INT_MAX));
}

void SlirpNetwork::fire_expired_timers()
{
    // A callback may create, arm or free timers, so look afresh after each one.
    for (;;) {
        int64_t now = monotonic_ms();
        auto expired = std::find_if(m_timers.begin(), m_timers.end(), [now](const auto& timer) {
            return timer->expire_time_ms && *timer->expire_time_ms <= now;
        });
        if (expired == m_timers.end())
            return;
        Timer& timer = **expired;
        timer.expire_time_ms.reset();
        timer.callback(timer.callback_opaque);
    }
}

ssize_t SlirpNetwork::send_packet(const void* buffer, size_t length, void* opaque)
{
    auto* self = static_cast<SlirpNetwork*>(opaque);
    if (self->m_receiver)
        self->m_receiver({ static_cast<const uint8_t*>(buffer), length });
    return static_cast<ssize_t>(length);
}

void SlirpNetwork::guest_error(const char* message, void* opaque)
{
    if (static_cast<SlirpNetwork*>(opaque)->m_verbose)
        std::fprintf(stderr, "rvisor: user networking: guest error: %s\n", message);
}

int64_t SlirpNetwork::clock_get_ns(void*) { return monotonic_ns(); }

void* SlirpNetwork::timer_new(void (*callback)(void*), void* callback_opaque, void* opaque)
{
    auto* self = static_cast<SlirpNetwork*>(opaque);
    self->m_timers.push_back(std::make_unique<Timer>(Timer { callback, callback_opaque, {} }));
    return self->m_timers.back().get();
}

void SlirpNetwork::timer_free(void* timer, void* opaque)
{
    auto& timers = static_cast<SlirpNetwork*>(opaque)->m_timers;
    std::erase_if(timers, [timer](const auto& candidate) { return candidate.get() == timer; });
}

void SlirpNetwork::timer_mod(void* timer, int64_t expire_time_ms, void*)
{
    static_cast<Timer*>(timer)->expire_time_ms = expire_time_ms;
}

int SlirpNetwork::add_poll(int fd, int events, void* opaque)
{
    auto* self = static_cast<SlirpNetwork*>(opaque);
    auto& poll_fds = self->m_poll_fds;
    short wanted = poll_events(events);
    if (self->m_receive_held.load())
        wanted &= static_cast<short>(~(POLLIN | POLLPRI));
    poll_fds.push_back({ fd, wanted, 0 });
    return static_cast<int>(poll_fds.size() - 1);
}

int SlirpNetwork::get_revents(int index, void* opaque)
{
    const auto& poll_fds = static_cast<SlirpNetwork*>(opaque)->m_poll_fds;
    if (index < 0 || static_cast<size_t>(index) >= poll_fds.size())
        return 0;
    return slirp_events(poll_fds[static_cast<size_t>(index)].revents);
}

} // namespace rvisor::host
