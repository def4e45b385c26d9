#include "oci/stream_join_client.h"

#include "agent/stream_join_header.h"
#include "host/unique_fd.h"
#include "host/unix_socket.h"
#include "oci/agent_client.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>

namespace rvisor::oci {

namespace {

void set_timeouts(int fd, std::chrono::milliseconds timeout)
{
    timeval value {};
    value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    value.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

bool send_text(int fd, const std::string& text)
{
    return ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
}

// One line without its newline, read a byte at a time so that none of the stream's own bytes
// are taken; nullopt at the end, on a timeout, or past `limit`.
std::optional<std::string> read_line(int fd, size_t limit)
{
    std::string line;
    char byte = 0;
    while (line.size() < limit) {
        const ssize_t count = ::recv(fd, &byte, 1, 0);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return std::nullopt;
        if (byte == '\n')
            return line;
        line += byte;
    }
    return std::nullopt;
}

} // namespace

int join_guest_stream(
    const std::filesystem::path& vsock_socket, uint16_t port, std::chrono::milliseconds timeout)
{
    host::UniqueFd connection(host::connect_unix_socket(vsock_socket));
    if (!connection)
        throw std::runtime_error(fmt::format("cannot connect to the VM's vsock socket {}: {}",
            vsock_socket.string(), std::strerror(errno)));
    // A paused or hung VM never answers: every step has its time limit.
    set_timeouts(connection.get(), timeout);
    const auto vsock_reply
        = send_text(connection.get(), fmt::format("CONNECT {}\n", agent::kStreamJoinPort))
        ? read_line(connection.get(), 64)
        : std::nullopt;
    if (!vsock_reply || !vsock_reply->starts_with("OK "))
        throw std::runtime_error("the guest's stream join service did not answer");
    const auto reply = send_text(connection.get(), agent::stream_join_request(port))
        ? read_line(connection.get(), agent::kMaxStreamJoinLine)
        : std::nullopt;
    if (!reply)
        throw std::runtime_error(
            fmt::format("the guest's stream join service did not answer for port {}", port));
    if (const auto refusal = agent::parse_stream_join_reply(*reply))
        throw AgentError(refusal->error_number, refusal->message);
    set_timeouts(connection.get(), std::chrono::milliseconds(0));
    return connection.release();
}

} // namespace rvisor::oci
