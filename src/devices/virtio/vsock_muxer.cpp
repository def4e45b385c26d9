#include "devices/virtio/vsock_muxer.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fcntl.h>
#include <poll.h>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::devices::virtio {

namespace {

using Op = VsockHeader::Op;

// "CONNECT 4294967295\n" and then some.
constexpr size_t kMaxHandshakeLine = 64;
// What one read from a host socket takes at most.
constexpr size_t kReadChunk = 64 * 1024;
// The first host port of connections the host opens; the guest's own ports stay below.
constexpr uint32_t kFirstHostPort = 1u << 30;

std::optional<uint32_t> parse_connect_line(std::string_view line)
{
    constexpr std::string_view kVerb = "CONNECT ";
    if (!line.starts_with(kVerb))
        return std::nullopt;
    line.remove_prefix(kVerb.size());
    uint32_t port = 0;
    const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), port);
    if (error != std::errc {} || end != line.data() + line.size() || line.empty())
        return std::nullopt;
    return port;
}

// accept_connections() takes every waiting program and must not wait for one more.
host::ListeningSocket listen_without_waiting(const std::filesystem::path& path)
{
    host::ListeningSocket listener = host::create_listening_socket(path);
    fcntl(listener.fd, F_SETFL, fcntl(listener.fd, F_GETFL) | O_NONBLOCK);
    return listener;
}

} // namespace

VsockMuxer::VsockMuxer(uint64_t guest_cid, std::filesystem::path uds_path,
    std::function<void()> wake_device, Threading threading)
    : m_guest_cid(guest_cid)
    , m_path(std::move(uds_path))
    , m_listener(listen_without_waiting(m_path))
    , m_wake_device(std::move(wake_device))
{
    if (threading == Threading::Own)
        m_thread = std::thread([this] { run(); });
}

VsockMuxer::~VsockMuxer()
{
    {
        std::lock_guard lock(m_mutex);
        m_exiting = true;
    }
    m_wakeup.raise();
    if (m_thread.joinable())
        m_thread.join();
    close_all();
    for (const Handshake& handshake : m_handshakes)
        close(handshake.fd);
    host::remove_listening_socket(m_path, m_listener);
}

void VsockMuxer::close_all()
{
    for (auto& [key, connection] : m_connections)
        close(connection.fd);
    m_connections.clear();
    m_control.clear();
}

void VsockMuxer::reset(uint64_t guest_cid)
{
    std::lock_guard lock(m_mutex);
    close_all();
    m_guest_cid = guest_cid;
    m_wakeup.raise();
}

uint32_t VsockMuxer::next_host_port()
{
    std::lock_guard lock(m_mutex);
    return m_next_host_port;
}

void VsockMuxer::set_next_host_port(uint32_t port)
{
    if (port < kFirstHostPort)
        throw std::invalid_argument("the next host port is below the host's range");
    std::lock_guard lock(m_mutex);
    m_next_host_port = port;
}

uint32_t VsockMuxer::credit_for_guest(const Connection& connection) const
{
    const uint32_t in_flight = connection.sent - connection.peer_fwd_cnt;
    if (in_flight >= connection.peer_buf_alloc)
        return 0;
    // A guest that claims a huge buffer still gets no more than one of ours at a time.
    return std::min(connection.peer_buf_alloc - in_flight, kBufferSize);
}

VsockHeader VsockMuxer::header_for(const Key& key, Op op) const
{
    VsockHeader header;
    header.src_cid = VsockHeader::kHostCid;
    header.dst_cid = m_guest_cid;
    header.src_port = key.first;
    header.dst_port = key.second;
    header.op = op;
    header.buf_alloc = kBufferSize;
    return header;
}

void VsockMuxer::queue_control(const Key& key, Op op, uint32_t flags)
{
    if (m_control.size() < kMaxControlPackets)
        m_control.push_back({ key, op, flags });
}

void VsockMuxer::close_connection(const Key& key, bool send_reset)
{
    auto found = m_connections.find(key);
    if (found == m_connections.end())
        return;
    close(found->second.fd);
    m_connections.erase(found);
    // A poll() in progress holds the socket open, so the host program would not see it closed
    // until the loop next woke.
    m_wakeup.raise();
    std::erase_if(m_control, [&](const Control& control) { return control.key == key; });
    if (send_reset)
        queue_control(key, Op::Reset);
}

// ---- the guest's packets ----

void VsockMuxer::send_to_host(const VsockHeader& header, std::span<const uint8_t> payload)
{
    std::lock_guard lock(m_mutex);
    // Addressed elsewhere, or not from the guest: no connection can be meant.
    if (header.dst_cid != VsockHeader::kHostCid || header.src_cid != m_guest_cid)
        return;
    const Key key { header.dst_port, header.src_port };
    auto found = m_connections.find(key);
    if (header.op == Op::Reset) {
        close_connection(key, false);
        return;
    }
    if (header.type != VsockHeader::kTypeStream) {
        close_connection(key, false);
        queue_control(key, Op::Reset);
        return;
    }
    if (header.op == Op::Request) {
        if (found != m_connections.end())
            close_connection(key, true);
        else
            connect_to_host(header);
        m_wakeup.raise();
        return;
    }
    if (found == m_connections.end()) {
        queue_control(key, Op::Reset);
        return;
    }
    Connection& connection = found->second;
    connection.peer_buf_alloc = header.buf_alloc;
    connection.peer_fwd_cnt = header.fwd_cnt;
    if (connection.state == State::Connecting) {
        if (header.op != Op::Response) {
            close_connection(key, true);
            return;
        }
        connection.state = State::Established;
        const std::string reply = "OK " + std::to_string(key.first) + "\n";
        // A fresh socket's buffer takes these few bytes whole.
        if (send(connection.fd, reply.data(), reply.size(), MSG_NOSIGNAL)
            != static_cast<ssize_t>(reply.size()))
            close_connection(key, true);
    } else {
        receive_stream_packet(key, connection, header, payload);
    }
    m_wakeup.raise(); // the credit, or what waits for the socket, changed
}

void VsockMuxer::connect_to_host(const VsockHeader& header)
{
    const Key key { header.dst_port, header.src_port };
    // Without waiting: the device's worker must not wait for a listener whose backlog is full.
    const int fd = m_connections.size() < kMaxConnections
        ? host::connect_unix_socket(m_path.string() + "_" + std::to_string(header.dst_port),
            host::ConnectMode::WithoutWaiting)
        : -1;
    if (fd < 0) {
        queue_control(key, Op::Reset);
        return;
    }
    Connection& connection = m_connections[key];
    connection.fd = fd;
    connection.peer_buf_alloc = header.buf_alloc;
    connection.peer_fwd_cnt = header.fwd_cnt;
    queue_control(key, Op::Response);
}

void VsockMuxer::receive_stream_packet(const Key& key, Connection& connection,
    const VsockHeader& header, std::span<const uint8_t> payload)
{
    switch (header.op) {
    case Op::ReadWrite:
        if (connection.guest_stops_sending
            || payload.size() > kBufferSize - (connection.received - connection.forwarded)) {
            close_connection(key, true); // beyond its word or its credit
            return;
        }
        connection.to_host.insert(connection.to_host.end(), payload.begin(), payload.end());
        connection.received += static_cast<uint32_t>(payload.size());
        write_to_host(key, connection);
        return;
    case Op::CreditRequest:
        if (!connection.credit_update_queued) {
            connection.credit_update_queued = true;
            queue_control(key, Op::CreditUpdate);
        }
        return;
    case Op::CreditUpdate: return; // the header's credit is all it says
    case Op::Shutdown:
        connection.guest_stops_receiving |= (header.flags & VsockHeader::kShutdownReceive) != 0;
        connection.guest_stops_sending |= (header.flags & VsockHeader::kShutdownSend) != 0;
        if (connection.guest_stops_receiving)
            connection.to_guest.clear();
        write_to_host(key, connection); // acts on the shutdown once the bytes before it are out
        return;
    default: close_connection(key, true); return;
    }
}

// ---- the host's sockets ----

void VsockMuxer::write_to_host(const Key& key, Connection& connection)
{
    size_t written = 0;
    while (written < connection.to_host.size()) {
        const ssize_t count = send(connection.fd, connection.to_host.data() + written,
            connection.to_host.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (count > 0) {
            written += static_cast<size_t>(count);
            continue;
        }
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        close_connection(key, true); // the host program went away
        return;
    }
    connection.to_host.erase(connection.to_host.begin(),
        connection.to_host.begin() + static_cast<std::ptrdiff_t>(written));
    connection.forwarded += static_cast<uint32_t>(written);
    if (connection.to_host.empty() && connection.guest_stops_sending) {
        // The spec's clean close: when both sides are done the receiver of the shutdown resets.
        if (connection.guest_stops_receiving) {
            close_connection(key, true);
            return;
        }
        shutdown(connection.fd, SHUT_WR);
    }
    // A quarter of the buffer freed since the guest last heard keeps it from ever stalling.
    if (connection.forwarded - connection.reported >= kBufferSize / 4
        && !connection.credit_update_queued) {
        connection.credit_update_queued = true;
        queue_control(key, Op::CreditUpdate);
    }
}

void VsockMuxer::read_from_host(const Key& key, Connection& connection)
{
    // Before the guest answers, bytes wait up to one chunk; then as far as its credit goes.
    const size_t limit = connection.state == State::Connecting
        ? kReadChunk
        : std::min<size_t>(credit_for_guest(connection), kBufferSize);
    if (connection.to_guest.size() >= limit)
        return;
    const size_t room = std::min(limit - connection.to_guest.size(), kReadChunk);
    const ssize_t count = read(connection.fd, connection.to_guest.grow(room), room);
    connection.to_guest.drop_back(room - static_cast<size_t>(std::max<ssize_t>(count, 0)));
    if (count > 0)
        return;
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (count == 0 && connection.state == State::Established) {
        connection.host_closed = true; // a shutdown follows the bytes still to deliver
        return;
    }
    close_connection(key, true);
}

void VsockMuxer::accept_connections()
{
    for (;;) {
        const int fd = accept4(m_listener.fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (m_handshakes.size() + m_connections.size() >= kMaxConnections)
            close(fd);
        else
            m_handshakes.push_back({ fd, {} });
    }
}

void VsockMuxer::read_handshake(Handshake& handshake, bool& done)
{
    uint8_t bytes[kMaxHandshakeLine];
    const ssize_t count = read(handshake.fd, bytes, sizeof bytes);
    if (count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    done = true;
    if (count <= 0) {
        close(handshake.fd);
        return;
    }
    handshake.line.insert(handshake.line.end(), bytes, bytes + count);
    const auto newline = std::find(handshake.line.begin(), handshake.line.end(), '\n');
    if (newline == handshake.line.end()) {
        done = handshake.line.size() >= kMaxHandshakeLine;
        if (done)
            close(handshake.fd);
        return;
    }
    const auto port = parse_connect_line(std::string_view(
        reinterpret_cast<const char*>(handshake.line.data()), newline - handshake.line.begin()));
    if (!port) {
        close(handshake.fd);
        return;
    }
    Key key { m_next_host_port, *port };
    while (m_connections.contains(key))
        key.first = key.first == UINT32_MAX ? kFirstHostPort : key.first + 1;
    m_next_host_port = key.first == UINT32_MAX ? kFirstHostPort : key.first + 1;
    Connection& connection = m_connections[key];
    connection.fd = handshake.fd;
    connection.state = State::Connecting;
    // Bytes the program sent behind its line go to the guest once it accepts.
    const size_t line_end = static_cast<size_t>(newline - handshake.line.begin()) + 1;
    connection.to_guest.append(std::span(handshake.line).subspan(line_end));
    queue_control(key, Op::Request);
}

bool VsockMuxer::serve_host_sockets(int timeout_ms)
{
    std::vector<pollfd> descriptors;
    std::vector<Key> keys; // of the connections' descriptors, after the handshakes'
    size_t handshakes = 0;
    {
        std::lock_guard lock(m_mutex);
        if (m_exiting)
            return false;
        m_wakeup.clear(); // before looking, so that a change made after the look still wakes
        descriptors.push_back({ m_wakeup.fd(), POLLIN, 0 });
        descriptors.push_back({ m_listener.fd, POLLIN, 0 });
        for (const Handshake& handshake : m_handshakes)
            descriptors.push_back({ handshake.fd, POLLIN, 0 });
        handshakes = m_handshakes.size();
        for (const auto& [key, connection] : m_connections) {
            short events = 0;
            const size_t limit = connection.state == State::Connecting
                ? kReadChunk
                : std::min<size_t>(credit_for_guest(connection), kBufferSize);
            if (!connection.host_closed && !connection.guest_stops_receiving
                && connection.to_guest.size() < limit)
                events |= POLLIN;
            if (!connection.to_host.empty())
                events |= POLLOUT;
            // Left out while there is nothing to do for it, so that a hang-up it cannot act
            // on yet does not wake the loop again and again.
            if (events != 0) {
                descriptors.push_back({ connection.fd, events, 0 });
                keys.push_back(key);
            }
        }
    }
    if (poll(descriptors.data(), descriptors.size(), timeout_ms) < 0)
        return true;

    bool for_guest = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_exiting)
            return false;
        const size_t control_before = m_control.size();
        if (descriptors[1].revents & POLLIN)
            accept_connections();
        std::vector<int> finished;
        for (size_t i = 0; i < handshakes; ++i) {
            if (descriptors[2 + i].revents == 0)
                continue;
            auto handshake = std::find_if(m_handshakes.begin(), m_handshakes.end(),
                [&](const Handshake& h) { return h.fd == descriptors[2 + i].fd; });
            bool done = false;
            read_handshake(*handshake, done);
            if (done)
                finished.push_back(handshake->fd);
        }
        std::erase_if(m_handshakes, [&](const Handshake& handshake) {
            return std::find(finished.begin(), finished.end(), handshake.fd) != finished.end();
        });
        for (size_t i = 0; i < keys.size(); ++i) {
            const pollfd& descriptor = descriptors[2 + handshakes + i];
            auto found = m_connections.find(keys[i]);
            if (descriptor.revents == 0 || found == m_connections.end()
                || found->second.fd != descriptor.fd)
                continue;
            const size_t waiting = found->second.to_guest.size();
            if (descriptor.revents & POLLOUT)
                write_to_host(keys[i], found->second);
            found = m_connections.find(keys[i]);
            if (found == m_connections.end())
                continue;
            if (descriptor.revents & (POLLIN | POLLHUP | POLLERR))
                read_from_host(keys[i], found->second);
            found = m_connections.find(keys[i]);
            for_guest |= found != m_connections.end()
                && (found->second.to_guest.size() != waiting || found->second.host_closed);
        }
        for_guest |= m_control.size() != control_before;
    }
    if (for_guest)
        m_wake_device();
    return true;
}

void VsockMuxer::run()
{
    while (serve_host_sockets(-1)) { }
}

// ---- packets for the guest ----

std::optional<VsockMuxer::Key> VsockMuxer::next_stream_with_packet() const
{
    const auto ready = [this](const Connection& connection) {
        if (connection.state != State::Established)
            return false;
        if (!connection.to_guest.empty())
            return credit_for_guest(connection) > 0;
        return connection.host_closed && !connection.shutdown_sent;
    };
    // Round robin: from the connection after the one served last, so that none starves.
    for (auto it = m_connections.upper_bound(m_last_served); it != m_connections.end(); ++it) {
        if (ready(it->second))
            return it->first;
    }
    for (auto it = m_connections.begin(); it != m_connections.upper_bound(m_last_served); ++it) {
        if (ready(it->second))
            return it->first;
    }
    return std::nullopt;
}

bool VsockMuxer::has_packet_for_guest()
{
    std::lock_guard lock(m_mutex);
    return !m_control.empty() || next_stream_with_packet();
}

std::optional<VsockHeader> VsockMuxer::next_for_guest(
    std::vector<uint8_t>& payload, size_t max_payload)
{
    std::lock_guard lock(m_mutex);
    if (!m_control.empty()) {
        const Control control = m_control.front();
        m_control.pop_front();
        VsockHeader header = header_for(control.key, control.op);
        header.flags = control.flags;
        if (auto found = m_connections.find(control.key); found != m_connections.end()) {
            Connection& connection = found->second;
            header.fwd_cnt = connection.forwarded;
            connection.reported = connection.forwarded;
            if (control.op == Op::CreditUpdate)
                connection.credit_update_queued = false;
        }
        return header;
    }
    const auto key = next_stream_with_packet();
    if (!key)
        return std::nullopt;
    m_last_served = *key;
    Connection& connection = m_connections.at(*key);
    VsockHeader header = header_for(*key, Op::ReadWrite);
    header.fwd_cnt = connection.forwarded;
    connection.reported = connection.forwarded;
    if (connection.to_guest.empty()) {
        connection.shutdown_sent = true;
        header.op = Op::Shutdown;
        header.flags = VsockHeader::kShutdownSend;
        return header;
    }
    const size_t count = std::min<size_t>(
        { connection.to_guest.size(), credit_for_guest(connection), max_payload });
    const auto bytes = connection.to_guest.front(count);
    payload.insert(payload.end(), bytes.begin(), bytes.end());
    connection.to_guest.pop(count);
    connection.sent += static_cast<uint32_t>(count);
    header.len = static_cast<uint32_t>(count);
    m_wakeup.raise(); // room to read more
    return header;
}

} // namespace rvisor::devices::virtio
