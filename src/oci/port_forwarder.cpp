#include "oci/port_forwarder.h"

#include "agent/socket_relay.h"
#include "host/unique_fd.h"
#include "oci/stream_join_client.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <system_error>
#include <thread>

namespace rvisor::oci {

namespace {

bool is_loopback(const std::string& address)
{
    return address.starts_with("127.") || address == "::1";
}

// The client sees a reset, as if nothing listened there.
void reset_and_close(int client)
{
    const linger abort { 1, 0 };
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(client);
}

// A non-blocking listening socket, or -1 with errno set.
int listen_on(const ForwardedPort& forwarded)
{
    const bool ipv6 = forwarded.address.find(':') != std::string::npos;
    host::UniqueFd listener(
        ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    sockaddr_storage storage {};
    socklen_t length = 0;
    if (!listener && ipv6 && forwarded.address == "::" && errno == EAFNOSUPPORT) {
        // A namespace without IPv6: every IPv4 address is all there is.
        return listen_on({ "0.0.0.0", forwarded.port });
    }
    if (!listener)
        return -1;
    const int yes = 1, no = 0;
    // A forward closed and opened again must not wait for its old connections' TIME_WAIT.
    ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (ipv6) {
        // "::" takes IPv4 clients too, whatever the namespace's bindv6only says.
        ::setsockopt(listener.get(), IPPROTO_IPV6, IPV6_V6ONLY, &no, sizeof no);
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(forwarded.port);
        ::inet_pton(AF_INET6, forwarded.address.c_str(), &address->sin6_addr);
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(forwarded.port);
        ::inet_pton(AF_INET, forwarded.address.c_str(), &address->sin_addr);
        length = sizeof *address;
    }
    if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0
        || ::listen(listener.get(), 128) != 0)
        return -1;
    return listener.release();
}

} // namespace

std::set<ForwardedPort> forwarded_ports(const std::vector<agent::TcpListener>& listeners)
{
    std::set<uint16_t> everywhere;
    for (const agent::TcpListener& listener : listeners) {
        if (!is_loopback(listener.address))
            everywhere.insert(listener.port);
    }
    std::set<ForwardedPort> ports;
    for (const agent::TcpListener& listener : listeners) {
        if (everywhere.contains(listener.port))
            ports.insert({ "::", listener.port });
        else
            ports.insert({ listener.address == "::1" ? "::1" : "127.0.0.1", listener.port });
    }
    return ports;
}

PortForwarder::PortForwarder(std::filesystem::path vsock_socket,
    std::shared_ptr<const NetworkNamespace> network_namespace, RuntimeLog log)
    : m_vsock_socket(std::move(vsock_socket))
    , m_namespace(std::move(network_namespace))
    , m_log(std::move(log))
{
}

void PortForwarder::start()
{
    std::thread([this] { run(); }).detach();
}

void PortForwarder::run()
{
    // The listeners this thread makes are the namespace's: network namespaces are per thread.
    if (m_namespace && !m_namespace->enter()) {
        m_log.warning(
            fmt::format("ports are not forwarded: cannot enter the network namespace {}: {}",
                m_namespace->path().string(), std::strerror(errno)));
        return;
    }
    auto next_poll = std::chrono::steady_clock::now();
    for (;;) {
        if (std::chrono::steady_clock::now() >= next_poll) {
            try {
                if (const auto listeners = guest_listeners())
                    update(forwarded_ports(*listeners));
            } catch (const AgentError& error) {
                // An agent older than ListListeners (its own initramfs): it never will.
                m_log.warning(fmt::format("ports are not forwarded: {}", error.what()));
                return;
            }
            next_poll = std::chrono::steady_clock::now() + kPollInterval;
        }
        std::vector<pollfd> ready;
        std::vector<uint16_t> ports;
        for (const auto& [forwarded, listener] : m_listeners) {
            if (listener >= 0) {
                ready.push_back({ listener, POLLIN, 0 });
                ports.push_back(forwarded.port);
            }
        }
        const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
            next_poll - std::chrono::steady_clock::now());
        if (::poll(ready.data(), ready.size(), static_cast<int>(std::max<int64_t>(wait.count(), 0)))
            <= 0)
            continue;
        for (size_t i = 0; i < ready.size(); ++i) {
            if (ready[i].revents & POLLIN)
                accept_client(ready[i].fd, ports[i]);
        }
    }
}

std::optional<std::vector<agent::TcpListener>> PortForwarder::guest_listeners()
{
    try {
        if (!m_agent) {
            m_agent.emplace(m_vsock_socket, kJoinTimeout);
            m_agent->set_timeout(kJoinTimeout);
        }
        const nlohmann::json result = m_agent->call("ListListeners");
        std::vector<agent::TcpListener> listeners;
        for (const nlohmann::json& listener : result.at("listeners"))
            listeners.push_back(
                { listener.at("address").get<std::string>(), listener.at("port").get<uint16_t>() });
        return listeners;
    } catch (const AgentError& error) {
        if (error.error_number() == ENOSYS)
            throw;
        m_agent.reset();
        return std::nullopt;
    } catch (const std::exception&) {
        // The VM is paused, going away or was slow: a new connection next time.
        m_agent.reset();
        return std::nullopt;
    }
}

void PortForwarder::update(const std::set<ForwardedPort>& wanted)
{
    for (auto it = m_listeners.begin(); it != m_listeners.end();) {
        if (wanted.contains(it->first)) {
            ++it;
            continue;
        }
        if (it->second >= 0)
            ::close(it->second);
        it = m_listeners.erase(it);
    }
    for (const ForwardedPort& forwarded : wanted) {
        if (m_listeners.contains(forwarded))
            continue;
        const int listener = listen_on(forwarded);
        if (listener < 0)
            m_log.warning(
                fmt::format("the guest's TCP port {} is not forwarded: listening on [{}]:{} "
                            "in the container's network namespace failed: {}",
                    forwarded.port, forwarded.address, forwarded.port, std::strerror(errno)));
        m_listeners.emplace(forwarded, listener);
    }
}

void PortForwarder::accept_client(int listener, uint16_t port)
{
    const int client = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
        // Out of descriptors: the client stays queued and the listener readable, so wait
        // rather than poll again at once.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return;
    }
    if (m_connections.fetch_add(1) >= kMaxConnections) {
        m_connections.fetch_sub(1);
        reset_and_close(client);
        return;
    }
    try {
        std::thread([this, client, port] {
            join(client, port);
            m_connections.fetch_sub(1);
        }).detach();
    } catch (const std::system_error&) {
        m_connections.fetch_sub(1);
        reset_and_close(client);
    }
}

void PortForwarder::join(int client, uint16_t port)
{
    try {
        const host::UniqueFd guest(join_guest_stream(m_vsock_socket, port, kJoinTimeout));
        agent::relay_both_ways(client, guest.get());
        ::close(client);
    } catch (const std::exception&) {
        // The guest's server went away since the last poll, or the VM did not answer.
        reset_and_close(client);
    }
}

} // namespace rvisor::oci
