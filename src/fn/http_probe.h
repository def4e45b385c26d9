#pragma once
// One plain GET to a function's server over a stream the agent joined to it: how the platform
// tells that the server is ready, and how it warms it up before the snapshot.
#include "host/unique_fd.h"

#include <chrono>
#include <optional>
#include <string>

namespace rvisor::fn {

// Sends `GET path` on `stream` and reads the whole reply; its status code, or nullopt when the
// server closed the connection first, answered something that is not HTTP/1.x or did not
// finish within `timeout`.
std::optional<unsigned> probe_http(
    host::UniqueFd stream, const std::string& path, std::chrono::milliseconds timeout);

} // namespace rvisor::fn
