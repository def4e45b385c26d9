#pragma once
// Later commands (start, kill) reach a container's monitor on its Unix socket: one JSON line
// each way per connection. Some (update, events) also read the VM's own API.
#include <nlohmann/json.hpp>

#include <filesystem>

namespace rvisor::oci {

// Sends `request` and returns when the monitor has done it; throws std::runtime_error with the
// monitor's reason, or "container not running" when no monitor answers.
void send_to_monitor(const std::filesystem::path& socket, const nlohmann::json& request);

// GET / on the VM's API socket (docs/api.md): its cpus, mem_mib, state. Throws
// std::runtime_error "`doing`: the VM's reason".
nlohmann::json describe_vm(const std::filesystem::path& api_socket, const std::string& doing);

} // namespace rvisor::oci
