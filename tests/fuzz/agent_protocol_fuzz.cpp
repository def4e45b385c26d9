// libFuzzer target: what a host sends the guest agent on one connection (README.md), through
// the agent's own framing and decoder (guest/agent/protocol.cpp, compiled for the host).
#include "agent/protocol.h"
#include "fuzz_check.h"

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>

using rvisor::fuzz::check;

namespace {

// A reply the agent could send must be one JSON object under the frame limit.
void check_reply(const std::string& reply)
{
    check(reply.size() <= agent::max_frame_size, "a reply fits in a frame");
    auto parsed = nlohmann::json::parse(reply, nullptr, false);
    check(parsed.is_object() && parsed.contains("id"), "a reply is an object with an id");
}

void check_request(std::string_view payload)
{
    agent::DecodedRequest decoded = agent::decode_request(payload);
    if (auto* error = std::get_if<agent::DecodeError>(&decoded)) {
        check(!error->message.empty() && error->error_number > 0, "a refusal says why");
        check_reply(agent::encode_error(error->id, { error->error_number, error->message }));
        return;
    }
    const auto& request = std::get<agent::Request>(decoded);
    // What was accepted encodes to a request that decodes to the same thing again.
    std::string encoded = agent::encode_request(request);
    agent::DecodedRequest again = agent::decode_request(encoded);
    check(std::holds_alternative<agent::Request>(again), "an accepted request re-encodes validly");
    const auto& same = std::get<agent::Request>(again);
    check(same.id == request.id && same.call.index() == request.call.index(),
        "re-decoding keeps the id and the method");
    check(agent::encode_request(same) == encoded, "encoding is stable");
    check_reply(agent::encode_error(request.id, { 1, "x" }));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    // The frames of one connection, read as rpc_server.cpp reads them: a length over the limit
    // ends the connection, and so does a frame cut short.
    while (size >= agent::frame_header_size) {
        uint8_t header[agent::frame_header_size];
        std::memcpy(header, data, sizeof header);
        uint32_t length = agent::frame_length(header);
        data += sizeof header;
        size -= sizeof header;
        if (length > agent::max_frame_size || length > size)
            return 0;
        check_request(std::string_view(reinterpret_cast<const char*>(data), length));
        data += length;
        size -= length;
    }
    return 0;
}
