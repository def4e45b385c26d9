#include "fn/request_forwarding.h"

#include "api/vm_control.h"

#include <fmt/format.h>
#include <http_parser.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <poll.h>
#include <sys/socket.h>
#include <vector>

namespace rvisor::fn {

namespace {

using api::ApiError;

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

// Headers that describe one connection, not the message (RFC 9110 7.6.1), and those a relay
// sets itself: never passed on in either direction.
bool hop_by_hop(const std::string& lower, const std::vector<std::string>& named_by_connection)
{
    static const char* const kNames[] = { "connection", "keep-alive", "proxy-connection",
        "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "content-length" };
    return std::find(std::begin(kNames), std::end(kNames), lower) != std::end(kNames)
        || std::find(named_by_connection.begin(), named_by_connection.end(), lower)
        != named_by_connection.end();
}

// The header names a Connection header lists, lowercase.
std::vector<std::string> connection_options(const httplib::Headers& headers)
{
    std::vector<std::string> names;
    for (const auto& [name, value] : headers) {
        if (lowercase(name) != "connection")
            continue;
        size_t start = 0;
        while (start <= value.size()) {
            size_t end = value.find(',', start);
            if (end == std::string::npos)
                end = value.size();
            std::string option = value.substr(start, end - start);
            option.erase(0, option.find_first_not_of(" \t"));
            option.erase(option.find_last_not_of(" \t") + 1);
            if (!option.empty())
                names.push_back(lowercase(option));
            start = end + 1;
        }
    }
    return names;
}

std::string request_head(const httplib::Request& request, const ForwardTarget& target)
{
    const std::vector<std::string> listed = connection_options(request.headers);
    std::string head = fmt::format("{} {} HTTP/1.1\r\n", request.method, target.path_and_query);
    std::string forwarded_for;
    for (const auto& [name, value] : request.headers) {
        const std::string lower = lowercase(name);
        if (hop_by_hop(lower, listed) || lower == "x-forwarded-proto"
            || lower == "x-forwarded-host")
            continue;
        if (lower == "x-forwarded-for") {
            forwarded_for += (forwarded_for.empty() ? "" : ", ") + value;
            continue;
        }
        head += fmt::format("{}: {}\r\n", name, value);
    }
    if (!request.remote_addr.empty())
        forwarded_for += (forwarded_for.empty() ? "" : ", ") + request.remote_addr;
    if (!forwarded_for.empty())
        head += fmt::format("X-Forwarded-For: {}\r\n", forwarded_for);
    head += "X-Forwarded-Proto: http\r\n";
    if (request.has_header("Host"))
        head += fmt::format("X-Forwarded-Host: {}\r\n", request.get_header_value("Host"));
    head += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", request.body.size());
    return head;
}

bool send_all(int fd, const char* data, size_t size)
{
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return false;
        data += sent;
        size -= static_cast<size_t>(sent);
    }
    return true;
}

// The reply as http-parser reads it from the stream: the head once complete, then the body in
// pieces as they arrive.
class ReplyReader {
public:
    ReplyReader(host::UniqueFd stream, bool head_request, std::chrono::milliseconds timeout)
        : m_stream(std::move(stream))
        , m_timeout(timeout)
        , m_head_request(head_request)
    {
        http_parser_settings_init(&m_settings);
        m_settings.on_header_field = [](http_parser* parser, const char* at, size_t length) {
            auto* self = static_cast<ReplyReader*>(parser->data);
            if (self->m_in_value || self->m_headers.empty())
                self->m_headers.emplace_back();
            self->m_in_value = false;
            self->m_headers.back().first.append(at, length);
            return 0;
        };
        m_settings.on_header_value = [](http_parser* parser, const char* at, size_t length) {
            auto* self = static_cast<ReplyReader*>(parser->data);
            self->m_in_value = true;
            self->m_headers.back().second.append(at, length);
            return 0;
        };
        m_settings.on_headers_complete = [](http_parser* parser) {
            auto* self = static_cast<ReplyReader*>(parser->data);
            self->m_head_complete = true;
            if (parser->flags & F_CONTENTLENGTH)
                self->m_content_length = parser->content_length;
            // A reply to HEAD has no body, whatever its length says (http-parser's skip).
            return self->m_head_request ? 1 : 0;
        };
        m_settings.on_body = [](http_parser* parser, const char* at, size_t length) {
            static_cast<ReplyReader*>(parser->data)->m_body.append(at, length);
            return 0;
        };
        m_settings.on_message_complete = [](http_parser* parser) {
            static_cast<ReplyReader*>(parser->data)->m_complete = true;
            return 0;
        };
        http_parser_init(&m_parser, HTTP_RESPONSE);
        m_parser.data = this;
    }
    ReplyReader(const ReplyReader&) = delete;
    ReplyReader& operator=(const ReplyReader&) = delete;

    int fd() const { return m_stream.get(); }
    bool head_complete() const { return m_head_complete; }
    bool complete() const { return m_complete; }
    unsigned status() const { return m_parser.status_code; }
    const std::vector<std::pair<std::string, std::string>>& headers() const { return m_headers; }
    std::optional<uint64_t> content_length() const { return m_content_length; }
    std::string take_body() { return std::exchange(m_body, {}); }

    // Reads what has arrived, waiting up to the timeout; an ApiError (502 or 504) when the
    // stream fails, ends early or breaks the protocol.
    void read_more()
    {
        pollfd readable { m_stream.get(), POLLIN, 0 };
        int ready;
        do
            ready = ::poll(&readable, 1, static_cast<int>(m_timeout.count()));
        while (ready < 0 && errno == EINTR);
        if (ready == 0)
            throw ApiError(504,
                fmt::format("The function did not reply within {} s.",
                    std::chrono::duration_cast<std::chrono::seconds>(m_timeout).count()));
        char buffer[65536];
        ssize_t received;
        do
            received = ::recv(m_stream.get(), buffer, sizeof buffer, 0);
        while (received < 0 && errno == EINTR);
        if (received < 0)
            throw ApiError(502,
                fmt::format("The connection to the function failed: {}", std::strerror(errno)));
        // Zero bytes tell the parser the stream ended, which completes a reply without length.
        const size_t parsed
            = http_parser_execute(&m_parser, &m_settings, buffer, static_cast<size_t>(received));
        const auto error = HTTP_PARSER_ERRNO(&m_parser);
        if (error != HPE_OK || parsed != static_cast<size_t>(received))
            throw ApiError(502,
                fmt::format(
                    "The function's reply is not HTTP/1.x: {}.", http_errno_description(error)));
        if (received == 0 && !m_complete)
            throw ApiError(502,
                m_head_complete ? "The function closed the connection in the middle of its reply."
                                : "The function closed the connection before replying.");
    }

private:
    host::UniqueFd m_stream;
    std::chrono::milliseconds m_timeout;
    bool m_head_request;
    http_parser_settings m_settings {};
    http_parser m_parser {};
    std::vector<std::pair<std::string, std::string>> m_headers;
    bool m_in_value = false;
    bool m_head_complete = false;
    bool m_complete = false;
    std::optional<uint64_t> m_content_length;
    std::string m_body;
};

} // namespace

void forward_request(host::UniqueFd stream, const httplib::Request& request,
    const ForwardTarget& target, httplib::Response& response, std::chrono::milliseconds timeout,
    std::function<void(bool complete)> done)
{
    auto reader
        = std::make_shared<ReplyReader>(std::move(stream), request.method == "HEAD", timeout);
    try {
        const std::string head = request_head(request, target);
        if (!send_all(reader->fd(), head.data(), head.size())
            || !send_all(reader->fd(), request.body.data(), request.body.size()))
            throw ApiError(502, "The function closed the connection before taking the request.");
        while (!reader->head_complete())
            reader->read_more();
    } catch (...) {
        done(false);
        throw;
    }

    response.status = static_cast<int>(reader->status());
    std::string content_type;
    const std::vector<std::string> listed = [&] {
        httplib::Headers headers(reader->headers().begin(), reader->headers().end());
        return connection_options(headers);
    }();
    for (const auto& [name, value] : reader->headers()) {
        const std::string lower = lowercase(name);
        if (lower == "content-type")
            content_type = value;
        else if (!hop_by_hop(lower, listed))
            response.headers.emplace(name, value);
    }
    std::string body = reader->take_body();
    // An empty error body would be taken for httplib's own error and given a fault_message
    // (api/http_server.h): a content provider marks it as the function's.
    if (reader->complete() && (!body.empty() || response.status < 400)) {
        response.set_content(body, content_type);
        if (content_type.empty())
            response.headers.erase("Content-Type");
        done(true);
        return;
    }
    // httplib calls the provider as the client takes the body, and the releaser once, with
    // whether the provider finished: then the instance is free for the next request.
    auto finished = std::make_shared<bool>(reader->complete() && body.empty());
    // A body of known length ends when httplib has sent that many bytes; a chunked one when
    // the provider says so (a DataSink of the former has no done()).
    auto next_piece = [reader, finished, first = std::make_shared<std::string>(std::move(body))](
                          httplib::DataSink& sink, bool chunked) {
        try {
            std::string piece = first->empty() ? reader->take_body() : std::exchange(*first, {});
            while (piece.empty() && !reader->complete()) {
                reader->read_more();
                piece = reader->take_body();
            }
            if (!piece.empty() && !sink.write(piece.data(), piece.size()))
                return false;
            if (reader->complete()) {
                *finished = true;
                if (chunked)
                    sink.done();
            }
            return true;
        } catch (const ApiError&) {
            return false;
        }
    };
    auto release = [done = std::move(done), finished](bool success) { done(success && *finished); };
    if (const auto length = reader->content_length())
        response.set_content_provider(
            *length, content_type,
            [next_piece](
                size_t, size_t, httplib::DataSink& sink) { return next_piece(sink, false); },
            release);
    else
        response.set_chunked_content_provider(
            content_type,
            [next_piece](size_t, httplib::DataSink& sink) { return next_piece(sink, true); },
            release);
}

} // namespace rvisor::fn
