#pragma once
// Later commands (start, kill) reach a container's monitor on its Unix socket: one JSON line
// each way per connection.
#include <nlohmann/json.hpp>

#include <filesystem>

namespace rvisor::oci {

// Sends `request` and returns when the monitor has done it; throws std::runtime_error with the
// monitor's reason, or "container not running" when no monitor answers.
void send_to_monitor(const std::filesystem::path& socket, const nlohmann::json& request);

} // namespace rvisor::oci
