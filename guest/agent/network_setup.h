// The guest's interfaces, by the same ioctls ifconfig and route use (IPv4 only, as the VM's
// user-mode network is): the loopback interface at boot, and for ConfigureNetwork the VM's
// network interface with the address the host names and the default route through its gateway.
#pragma once

#include "protocol.h"

#include <optional>

namespace rvisor::agent {

// Brings `lo` up, as any init does: the stream join service reaches the guest's servers on
// 127.0.0.1, network device or not. The error names the step.
std::optional<CallError> bring_up_loopback();

// The error names the step and the interface (ENODEV when the interface does not exist).
// Calling it again with the same request succeeds.
std::optional<CallError> configure_network(const ConfigureNetwork& request);

} // namespace rvisor::agent
