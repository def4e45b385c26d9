#include "stream_join_header.h"

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace rvisor::agent {

namespace {

// A whole decimal number with no sign, no leading zero and nothing after it.
template <typename Number> std::optional<Number> parse_decimal(std::string_view text)
{
    if (text.empty() || (text.size() > 1 && text[0] == '0'))
        return std::nullopt;
    Number value {};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc {} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

constexpr std::string_view kRequestPrefix = "TCP ";
constexpr std::string_view kErrorPrefix = "ERROR ";

} // namespace

std::string stream_join_request(uint16_t port)
{
    return std::string(kRequestPrefix) + std::to_string(port) + "\n";
}

std::optional<uint16_t> parse_stream_join_request(std::string_view line)
{
    if (!line.starts_with(kRequestPrefix))
        return std::nullopt;
    auto port = parse_decimal<uint16_t>(line.substr(kRequestPrefix.size()));
    if (!port || *port == 0)
        return std::nullopt;
    return port;
}

std::string stream_join_reply(const std::optional<CallError>& refusal)
{
    if (!refusal)
        return "OK\n";
    std::string head = std::string(kErrorPrefix) + std::to_string(refusal->error_number) + " ";
    std::string message = refusal->message.substr(0, kMaxStreamJoinLine - head.size() - 1);
    std::replace(message.begin(), message.end(), '\n', ' ');
    return head + message + "\n";
}

std::optional<CallError> parse_stream_join_reply(std::string_view line)
{
    if (line == "OK")
        return std::nullopt;
    const CallError malformed { EPROTO, "the agent's stream join reply is not the protocol's" };
    if (!line.starts_with(kErrorPrefix))
        return malformed;
    line.remove_prefix(kErrorPrefix.size());
    const size_t space = line.find(' ');
    auto error_number = parse_decimal<int>(line.substr(0, space));
    if (!error_number || *error_number <= 0 || space == std::string_view::npos)
        return malformed;
    return CallError { *error_number, std::string(line.substr(space + 1)) };
}

} // namespace rvisor::agent
