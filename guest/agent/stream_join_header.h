// The stream join service's one exchange (docs/agent-protocol.md, "Stream join"): a host
// connection on vsock port 1025 names a guest TCP port in one line, the agent answers in one
// line whether it reached it, and the connection then carries that TCP stream's bytes. Shared
// by the agent and the host, which both parse the other's line.
#pragma once

#include "protocol.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rvisor::agent {

inline constexpr uint32_t kStreamJoinPort = 1025;
// Either line, its newline included, is at most this long; a longer one is a protocol error.
inline constexpr size_t kMaxStreamJoinLine = 512;

// "TCP 8080\n".
std::string stream_join_request(uint16_t port);
// The port a request line (without its newline) names, or nullopt when it is not one.
std::optional<uint16_t> parse_stream_join_request(std::string_view line);

// "OK\n", or "ERROR <errno> <sentence>\n" (the sentence cut to fit the line, newlines replaced).
std::string stream_join_reply(const std::optional<CallError>& refusal);
// nullopt when the reply line (without its newline) says the stream is joined; the agent's
// refusal otherwise, or EPROTO when the line is not a reply.
std::optional<CallError> parse_stream_join_reply(std::string_view line);

} // namespace rvisor::agent
