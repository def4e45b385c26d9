#pragma once
// The agent calls that turn a booted container VM into the bundle's container: the root
// filesystem's share mounted, the bundle's mounts made beneath it (directory binds from their
// own shares, file binds from copies the agent writes, kernel file systems as asked), the
// guest's network interface configured when it has one, the hostname set, and the container's
// process created (not started).
#include "oci/agent_client.h"
#include "oci/bundle.h"
#include "oci/container_vm.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace rvisor::oci {

struct AgentCall {
    std::string method;
    nlohmann::json params;
    // A kernel file system the guest may not have (mqueue): ENODEV skips the mount.
    bool optional = false;
};

// Where the agent mounts the container's root.
inline constexpr const char* kGuestRootfs = "/run/rvisor/rootfs";
// The container's first process, as the agent knows it.
inline constexpr const char* kInitExecId = "init";

// Throws std::runtime_error naming a file bind mount's source that cannot be read.
std::vector<AgentCall> container_setup_calls(const ContainerSpec& spec, const ContainerVm& vm);

// Makes container_setup_calls' calls through `agent`, all on their way at once (each is a round
// trip through the guest otherwise); an optional mount the guest's kernel lacks (ENODEV) is
// skipped. Throws as AgentConnection::reply_to does.
void set_up_container(AgentConnection& agent, const ContainerSpec& spec, const ContainerVm& vm);

// CreateProcess's parameters for `process`, run in the container's root.
nlohmann::json create_process_params(const std::string& exec_id, const ProcessSpec& process);

} // namespace rvisor::oci
