// libFuzzer target: what a host sends the guest agent on one connection (README.md), through
// the agent's own framing and decoder (guest/agent/protocol.cpp, compiled for the host), and the
// stream join service's lines (stream_join_header.cpp), which either side reads from the other.
#include "agent/protocol.h"
#include "agent/stream_join_header.h"
#include "fuzz_check.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

using rvisor::fuzz::check;

namespace {

// A reply the agent could send must be one JSON object under the frame limit.
void check_reply(const std::string& reply)
{
    check(reply.size() <= rvisor::agent::kMaxFrameSize, "a reply fits in a frame");
    auto parsed = nlohmann::json::parse(reply, nullptr, false);
    check(parsed.is_object() && parsed.contains("id"), "a reply is an object with an id");
}

void check_request(std::string_view payload)
{
    rvisor::agent::DecodedRequest decoded = rvisor::agent::decode_request(payload);
    if (auto* error = std::get_if<rvisor::agent::DecodeError>(&decoded)) {
        check(!error->message.empty() && error->error_number > 0, "a refusal says why");
        check_reply(
            rvisor::agent::encode_error(error->id, { error->error_number, error->message }));
        return;
    }
    const auto& request = std::get<rvisor::agent::Request>(decoded);
    // What was accepted encodes to a request that decodes to the same thing again.
    std::string encoded = rvisor::agent::encode_request(request);
    rvisor::agent::DecodedRequest again = rvisor::agent::decode_request(encoded);
    check(std::holds_alternative<rvisor::agent::Request>(again),
        "an accepted request re-encodes validly");
    const auto& same = std::get<rvisor::agent::Request>(again);
    check(same.id == request.id && same.call.index() == request.call.index(),
        "re-decoding keeps the id and the method");
    check(rvisor::agent::encode_request(same) == encoded, "encoding is stable");
    check_reply(rvisor::agent::encode_error(request.id, { 1, "x" }));
}

// Each payload as a stream join line too: what parses writes back the same.
void check_stream_join_lines(std::string_view line)
{
    if (auto port = rvisor::agent::parse_stream_join_request(line)) {
        check(rvisor::agent::stream_join_request(*port) == std::string(line) + "\n",
            "an accepted request line is written back the same");
    }
    if (auto refusal = rvisor::agent::parse_stream_join_reply(line)) {
        check(refusal->error_number > 0, "a refusal carries an errno");
        std::string reply = rvisor::agent::stream_join_reply(*refusal);
        check(reply.size() <= rvisor::agent::kMaxStreamJoinLine, "a reply fits in its line");
        auto again = rvisor::agent::parse_stream_join_reply(reply.substr(0, reply.size() - 1));
        check(again && again->error_number == refusal->error_number,
            "a refusal is written back with its errno");
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // The frames of one connection, read as rpc_server.cpp reads them: a length over the limit
    // ends the connection, and so does a frame cut short.
    while (size >= rvisor::agent::kFrameHeaderSize) {
        uint8_t header[rvisor::agent::kFrameHeaderSize];
        std::memcpy(header, data, sizeof header);
        uint32_t length = rvisor::agent::frame_length(header);
        data += sizeof header;
        size -= sizeof header;
        if (length > rvisor::agent::kMaxFrameSize || length > size)
            return 0;
        const std::string_view payload(reinterpret_cast<const char*>(data), length);
        check_request(payload);
        check_stream_join_lines(payload);
        data += length;
        size -= length;
    }
    return 0;
}
