#pragma once
// The container's port forwards: every TCP port the guest listens on is listened on in the
// container's network namespace too, and each connection there is joined to the guest's server
// through the agent's stream join service (stream_join_client.h). So `podman run -p 8080:80`
// (whose rules send the host's port to the namespace's address) and a pod's other containers
// (which reach `localhost:PORT` in the shared namespace) find the guest's server, as they would
// find a runc container's. The forwards follow the guest's listeners, asked for with
// ListListeners a few times a second.
#include "agent/protocol.h"
#include "oci/agent_client.h"
#include "oci/network_namespace.h"
#include "oci/runtime_log.h"

#include <atomic>
#include <chrono>
#include <compare>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rvisor::oci {

// An address and port the forwarder listens on in the namespace.
struct ForwardedPort {
    std::string address; // "::" (every address, IPv4 ones too), "127.0.0.1" or "::1"
    uint16_t port = 0;
    auto operator<=>(const ForwardedPort&) const = default;
};

// Where to listen for the guest's listeners: a server bound to the guest's loopback only is
// reached from the namespace's loopback only (a pod's other containers share it); any other
// from every address of the namespace, which covers its loopback too, so each port once.
std::set<ForwardedPort> forwarded_ports(const std::vector<agent::TcpListener>& listeners);

class PortForwarder {
public:
    // Clients joined at once; more are turned away (reset), so that clients without end cannot
    // take every thread and descriptor of the monitor.
    static constexpr unsigned kMaxConnections = 128;
    // How often the guest's listeners are asked for: a new server is reachable this long after
    // it listens.
    static constexpr std::chrono::milliseconds kPollInterval { 300 };
    // A VM that does not answer a step of a stream's set-up within this long loses the client.
    static constexpr std::chrono::milliseconds kJoinTimeout { 10000 };

    // `network_namespace`: where to listen; none for the monitor's own. Warnings (a port the
    // namespace already uses) go to `log`.
    PortForwarder(std::filesystem::path vsock_socket,
        std::shared_ptr<const NetworkNamespace> network_namespace, RuntimeLog log);

    // Forwards on a thread of its own until the process exits.
    void start();

private:
    // Returns only when forwarding cannot work at all (logged).
    void run();
    // The guest's listeners, or nullopt when the agent did not answer (tried again later);
    // AgentError (ENOSYS) from an agent older than ListListeners, which never will.
    std::optional<std::vector<agent::TcpListener>> guest_listeners();
    void update(const std::set<ForwardedPort>& wanted);
    void accept_client(int listener, uint16_t port);
    void join(int client, uint16_t port);

    const std::filesystem::path m_vsock_socket;
    const std::shared_ptr<const NetworkNamespace> m_namespace;
    const RuntimeLog m_log;
    std::optional<AgentConnection> m_agent; // ListListeners' connection, made again if broken
    // The listening socket of each forwarded port; -1 for one the namespace already used
    // (warned about once, tried again only after the guest's listener goes and comes back).
    std::map<ForwardedPort, int> m_listeners;
    std::atomic<unsigned> m_connections { 0 };
};

} // namespace rvisor::oci
