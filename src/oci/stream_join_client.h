#pragma once
// The host's end of the agent's stream join service (docs/agent-protocol.md, "Stream join"):
// a connection through the VM's vsock socket that ends at a guest TCP server. The port
// forwards use it for each client; it needs no network in the guest.
#include <chrono>
#include <cstdint>
#include <filesystem>

namespace rvisor::oci {

// A stream socket joined to the guest's server on TCP `port`, or an exception: AgentError with
// the agent's errno when it refused (ECONNREFUSED when nothing listens there),
// std::runtime_error when the VM or its agent did not answer within `timeout`, each step.
int join_guest_stream(
    const std::filesystem::path& vsock_socket, uint16_t port, std::chrono::milliseconds timeout);

} // namespace rvisor::oci
