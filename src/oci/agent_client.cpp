#include "oci/agent_client.h"

#include "agent/protocol.h"
#include "host/unix_socket.h"

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

namespace rvisor::oci {

namespace {

void write_all(int fd, std::string_view bytes)
{
    while (!bytes.empty()) {
        const ssize_t written = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            throw std::runtime_error(
                fmt::format("the agent's connection broke: {}", std::strerror(errno)));
        bytes.remove_prefix(static_cast<size_t>(written));
    }
}

// Exactly `size` bytes, or false at end of stream before the first; throws if it ends between.
bool read_exactly(int fd, char* buffer, size_t size)
{
    size_t done = 0;
    while (done < size) {
        const ssize_t count = ::read(fd, buffer + done, size - done);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            throw std::runtime_error(
                fmt::format("the agent's connection broke: {}", std::strerror(errno)));
        if (count == 0) {
            if (done == 0)
                return false;
            throw std::runtime_error("the agent closed the connection in the middle of a reply");
        }
        done += static_cast<size_t>(count);
    }
    return true;
}

// How long the VMM may take to answer CONNECT; a connection without an answer is tried again.
constexpr timeval kHandshakeTimeout { 3, 0 };

void set_receive_timeout(int fd, timeval timeout)
{
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
}

// The vsock convention's handshake: CONNECT <port>\n answered by OK <port>\n; false when the
// connection closes without an answer (no listener yet) or none comes in time.
bool handshake(int fd)
{
    write_all(fd, fmt::format("CONNECT {}\n", agent::kAgentPort));
    std::string line;
    char byte = 0;
    while (line.size() < 64) {
        const ssize_t count = ::read(fd, &byte, 1);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return false;
        if (byte == '\n')
            return line.starts_with("OK ");
        line += byte;
    }
    return false;
}

} // namespace

AgentConnection::AgentConnection(const std::filesystem::path& vsock_socket,
    std::chrono::milliseconds timeout, const std::function<bool()>& gone)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const int fd = host::connect_unix_socket(vsock_socket);
        if (fd >= 0) {
            bool joined = false;
            set_receive_timeout(fd, kHandshakeTimeout);
            try {
                joined = handshake(fd);
            } catch (const std::runtime_error&) {
                joined = false;
            }
            if (joined) {
                set_receive_timeout(fd, {});
                m_fd = fd;
                return;
            }
            ::close(fd);
        }
        if (gone && gone())
            throw std::runtime_error("the VM stopped before its agent answered");
        if (std::chrono::steady_clock::now() >= deadline)
            throw std::runtime_error(fmt::format("the guest agent did not answer on {} within {} s",
                vsock_socket.string(), timeout.count() / 1000));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

AgentConnection::~AgentConnection()
{
    if (m_fd >= 0)
        ::close(m_fd);
}

AgentConnection::AgentConnection(AgentConnection&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
    , m_next_id(other.m_next_id)
{
}

void AgentConnection::set_timeout(std::chrono::milliseconds timeout)
{
    timeval value {};
    value.tv_sec = static_cast<time_t>(timeout.count() / 1000);
    value.tv_usec = static_cast<suseconds_t>(timeout.count() % 1000 * 1000);
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &value, sizeof value);
}

nlohmann::json AgentConnection::call(const std::string& method, const nlohmann::json& params)
{
    return reply_to(method, send(method, params));
}

uint64_t AgentConnection::send(const std::string& method, const nlohmann::json& params)
{
    if (m_fd < 0)
        throw std::logic_error("a call on a spent agent connection");
    const uint64_t id = m_next_id++;
    nlohmann::json request = { { "id", id }, { "method", method } };
    if (!params.is_null())
        request["params"] = params;
    write_all(m_fd, agent::frame(request.dump()));
    return id;
}

nlohmann::json AgentConnection::reply_to(const std::string& method, uint64_t id)
{
    uint8_t header[agent::kFrameHeaderSize];
    if (!read_exactly(m_fd, reinterpret_cast<char*>(header), sizeof header))
        throw std::runtime_error(fmt::format("the agent closed the connection during {}", method));
    const uint32_t length = agent::frame_length(header);
    if (length > agent::kMaxFrameSize)
        throw std::runtime_error(
            fmt::format("the agent's reply to {} is {} bytes long", method, length));
    std::string payload(length, '\0');
    if (!read_exactly(m_fd, payload.data(), length))
        throw std::runtime_error(fmt::format("the agent closed the connection during {}", method));
    const nlohmann::json reply = nlohmann::json::parse(payload, nullptr, false);
    if (!reply.is_object() || reply.value("id", nlohmann::json()) != id)
        throw std::runtime_error(
            fmt::format("the agent's reply to {} is not the protocol's", method));
    if (const auto error = reply.find("error"); error != reply.end() && error->is_object())
        throw AgentError(error->value("errno", 0),
            fmt::format("{}: {}", method, error->value("message", std::string("failed"))));
    const auto result = reply.find("result");
    if (result == reply.end() || !result->is_object())
        throw std::runtime_error(fmt::format("the agent's reply to {} has no result", method));
    return *result;
}

int AgentConnection::open_stdio(const std::string& exec_id, const std::string& stream)
{
    call("OpenStdio", { { "exec_id", exec_id }, { "stream", stream } });
    return std::exchange(m_fd, -1);
}

void refresh_clone(AgentConnection& agent)
{
    std::vector<uint8_t> entropy(64);
    if (::getentropy(entropy.data(), entropy.size()) != 0)
        throw std::runtime_error(
            fmt::format("cannot draw entropy for the VM: {}", std::strerror(errno)));
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    agent.call("Refresh",
        { { "realtime_ns", std::chrono::duration_cast<std::chrono::nanoseconds>(now).count() },
            { "entropy", agent::encode_base64(entropy) } });
}

} // namespace rvisor::oci
