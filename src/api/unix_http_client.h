#pragma once
// The client side of the Unix-socket APIs: the control program calling its VMs, and
// `rvisor vm …` calling the control program.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

namespace rvisor::api {

struct HttpReply {
    int status = 0;
    std::string body;

    // The body's fault_message, or the body itself when it has none.
    std::string fault_message() const;
};

// One request to the HTTP server on `socket`. Throws std::runtime_error with one sentence when
// the socket cannot be reached or does not answer within `timeout`.
HttpReply unix_http_request(const std::filesystem::path& socket, const std::string& method,
    const std::string& path, const std::optional<nlohmann::json>& body = std::nullopt,
    std::chrono::seconds timeout = std::chrono::seconds(60));

} // namespace rvisor::api
