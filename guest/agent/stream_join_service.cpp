#include "stream_join_service.h"

#include "accept_connection.h"
#include "socket_relay.h"
#include "stream_join_header.h"
#include "tcp_listeners.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>

namespace rvisor::agent {

namespace {

// A host that connects and never sends its line must not hold a stream's place for ever.
constexpr timeval kRequestTimeout { 10, 0 };

void send_line(int socket, const std::string& line)
{
    // A short line on a fresh connection: one send, and a failure means the host has gone.
    [[maybe_unused]] ssize_t sent = send(socket, line.data(), line.size(), MSG_NOSIGNAL);
}

// The request line without its newline; nullopt when the host closed, timed out or sent more
// than a line may hold. Read a byte at a time: the stream's own bytes may follow the line.
std::optional<std::string> read_request_line(int socket)
{
    std::string line;
    char byte = 0;
    while (line.size() < kMaxStreamJoinLine) {
        ssize_t got = recv(socket, &byte, 1, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return std::nullopt;
        if (byte == '\n')
            return line;
        line += byte;
    }
    return std::nullopt;
}

// A connection to `address` (IPv4 or IPv6) and `port`, or why not.
std::variant<UniqueFd, CallError> connect_to(const std::string& address, uint16_t port)
{
    sockaddr_storage storage {};
    socklen_t length = 0;
    if (address.find(':') == std::string::npos) {
        auto* ipv4 = reinterpret_cast<sockaddr_in*>(&storage);
        ipv4->sin_family = AF_INET;
        ipv4->sin_port = htons(port);
        inet_pton(AF_INET, address.c_str(), &ipv4->sin_addr);
        length = sizeof *ipv4;
    } else {
        auto* ipv6 = reinterpret_cast<sockaddr_in6*>(&storage);
        ipv6->sin6_family = AF_INET6;
        ipv6->sin6_port = htons(port);
        inet_pton(AF_INET6, address.c_str(), &ipv6->sin6_addr);
        length = sizeof *ipv6;
    }
    UniqueFd server(socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!server || connect(server.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0) {
        const int error_number = errno;
        return CallError { error_number,
            "connecting to " + address + " port " + std::to_string(port)
                + " failed: " + std::strerror(error_number) };
    }
    return server;
}

// A connection to the guest's server on `port`: on the loopback first, where a server bound to
// every address answers, and only when refused there at the address its listener is bound to
// (reading /proc/net/tcp costs milliseconds of an emulated guest's time).
std::variant<UniqueFd, CallError> connect_to_port(uint16_t port)
{
    const std::string loopback = "127.0.0.1";
    auto connection = connect_to(loopback, port);
    if (auto* error = std::get_if<CallError>(&connection);
        !error || error->error_number != ECONNREFUSED)
        return connection;
    const std::string address = connect_address(read_tcp_listeners(), port);
    return address == loopback ? std::move(connection) : connect_to(address, port);
}

} // namespace

void StreamJoinService::start()
{
    std::thread([this] { serve(); }).detach();
}

void StreamJoinService::serve()
{
    for (;;) {
        const int connection
            = accept_connection(m_listener.get(), "accept on the stream join port");
        if (m_streams.fetch_add(1) >= kMaxStreams) {
            m_streams.fetch_sub(1);
            send_line(connection,
                stream_join_reply(CallError { EAGAIN,
                    "the guest already joins " + std::to_string(kMaxStreams) + " streams" }));
            close(connection);
            continue;
        }
        try {
            std::thread([this, connection] {
                join(UniqueFd(connection));
                m_streams.fetch_sub(1);
            }).detach();
        } catch (const std::system_error&) {
            m_streams.fetch_sub(1);
            close(connection); // no thread to serve it: the host sees the connection close
        }
    }
}

void StreamJoinService::join(UniqueFd connection)
{
    setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &kRequestTimeout, sizeof kRequestTimeout);
    auto line = read_request_line(connection.get());
    if (!line)
        return;
    auto port = parse_stream_join_request(*line);
    if (!port) {
        send_line(connection.get(),
            stream_join_reply(
                CallError { EINVAL, "a stream join request is one line, TCP <port 1-65535>" }));
        return;
    }
    auto server = connect_to_port(*port);
    if (auto* error = std::get_if<CallError>(&server)) {
        send_line(connection.get(), stream_join_reply(*error));
        return;
    }
    const timeval no_timeout {};
    setsockopt(connection.get(), SOL_SOCKET, SO_RCVTIMEO, &no_timeout, sizeof no_timeout);
    send_line(connection.get(), stream_join_reply(std::nullopt));
    relay_both_ways(connection.get(), std::get<UniqueFd>(server).get());
}

} // namespace rvisor::agent
