#include "fn/http_probe.h"

#include <fmt/format.h>
#include <http_parser.h>

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>

namespace rvisor::fn {

namespace {

struct ReplyState {
    bool complete = false;
};

int on_message_complete(http_parser* parser)
{
    static_cast<ReplyState*>(parser->data)->complete = true;
    return 0;
}

bool send_all(int fd, const std::string& text)
{
    size_t sent = 0;
    while (sent < text.size()) {
        const ssize_t n = ::send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

} // namespace

std::optional<unsigned> probe_http(
    host::UniqueFd stream, const std::string& path, std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    if (!send_all(stream.get(),
            fmt::format("GET {} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: rvisor\r\n"
                        "Connection: close\r\n\r\n",
                path)))
        return std::nullopt;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_message_complete = on_message_complete;
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    ReplyState state;
    parser.data = &state;
    char buffer[16384];
    while (!state.complete) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd readable { stream.get(), POLLIN, 0 };
        if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0)
            return std::nullopt;
        const ssize_t n = ::recv(stream.get(), buffer, sizeof buffer, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return std::nullopt;
        // Zero bytes tell the parser of the end of the stream, which ends a reply without a
        // length.
        const size_t parsed
            = http_parser_execute(&parser, &settings, buffer, static_cast<size_t>(n));
        if (HTTP_PARSER_ERRNO(&parser) != HPE_OK || parsed != static_cast<size_t>(n))
            return std::nullopt;
        if (n == 0 && !state.complete)
            return std::nullopt;
    }
    return static_cast<unsigned>(parser.status_code);
}

} // namespace rvisor::fn
