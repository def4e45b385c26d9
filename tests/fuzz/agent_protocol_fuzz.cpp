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
        check_request(std::string_view(reinterpret_cast<const char*>(data), length));
        data += length;
        size -= length;
    }
    return 0;
}
