#include "fn/request_forwarding.h"

#include "api/http_server.h"
#include "api/vm_control.h"

#include <fmt/format.h>
#include <http_parser.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>
#include <memory>
#include <optional>
#include <poll.h>
#include <string_view>
#include <sys/socket.h>
#include <utility>
#include <vector>

namespace rvisor::fn {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool equals_ignoring_case(std::string_view a, std::string_view b)
{
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x))
            == std::tolower(static_cast<unsigned char>(y));
    });
}

// The fields that describe one connection rather than the message, and so end at each hop
// (RFC 9110 7.6.1), with those a message's Connection header names.
class HopByHopFields {
public:
    template <typename Headers> explicit HopByHopFields(const Headers& headers)
    {
        for (const auto& [name, value] : headers) {
            if (!equals_ignoring_case(name, "Connection"))
                continue;
            std::string_view list = value;
            while (!list.empty()) {
                const size_t comma = std::min(list.find(','), list.size());
                std::string_view token = list.substr(0, comma);
                list.remove_prefix(std::min(comma + 1, list.size()));
                const size_t first = token.find_first_not_of(" \t");
                if (first != std::string_view::npos)
                    m_named.emplace_back(
                        token.substr(first, token.find_last_not_of(" \t") + 1 - first));
            }
        }
    }

    bool contains(std::string_view name) const
    {
        static constexpr std::string_view standard[] = { "Connection", "Keep-Alive",
            "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade" };
        auto same = [&](std::string_view field) { return equals_ignoring_case(field, name); };
        return std::any_of(std::begin(standard), std::end(standard), same)
            || std::any_of(m_named.begin(), m_named.end(), same);
    }

private:
    std::vector<std::string> m_named;
};

// Request fields the gateway writes itself, or drops: httplib adds the REMOTE_* and LOCAL_*
// ones to what the client sent, and has answered Expect already.
bool is_replaced_in_request(std::string_view name)
{
    static constexpr std::string_view replaced[]
        = { "Host", "Content-Length", "Expect", "X-Forwarded-For", "X-Forwarded-Proto",
              "X-Forwarded-Host", "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT" };
    return std::any_of(std::begin(replaced), std::end(replaced),
        [&](std::string_view field) { return equals_ignoring_case(field, name); });
}

std::string request_head(const httplib::Request& request, const ForwardTarget& target)
{
    // The target goes into the request line as it is: a space or a control character would end
    // it early or make it something else.
    const bool plain = target.path_and_query.starts_with('/')
        && std::none_of(target.path_and_query.begin(), target.path_and_query.end(),
            [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\x7f'; });
    if (!plain)
        throw api::ApiError(400, "The request's path has a space or a control character.");

    std::string head = fmt::format("{} {} HTTP/1.1\r\n", request.method, target.path_and_query);
    auto out = std::back_inserter(head);
    const HopByHopFields hop_by_hop(request.headers);
    for (const auto& [name, value] : request.headers) {
        if (!hop_by_hop.contains(name) && !is_replaced_in_request(name))
            fmt::format_to(out, "{}: {}\r\n", name, value);
    }
    // HTTP/1.1 wants a Host field, empty when the client (HTTP/1.0) named no host.
    const std::string host = request.get_header_value("Host");
    fmt::format_to(out, "Host: {}\r\n", host);
    if (request.has_header("Host"))
        fmt::format_to(out, "X-Forwarded-Host: {}\r\n", host);
    std::string forwarded_for;
    for (size_t i = 0; i < request.get_header_value_count("X-Forwarded-For"); i++)
        forwarded_for += fmt::format("{}, ", request.get_header_value("X-Forwarded-For", i));
    fmt::format_to(out, "X-Forwarded-For: {}{}\r\nX-Forwarded-Proto: http\r\n", forwarded_for,
        request.remote_addr);
    if (!request.body.empty() || request.has_header("Content-Length")
        || request.has_header("Transfer-Encoding"))
        fmt::format_to(out, "Content-Length: {}\r\n", request.body.size());
    head += "Connection: close\r\n\r\n";
    return head;
}

int poll_timeout(milliseconds wait)
{
    return static_cast<int>(std::clamp<milliseconds::rep>(wait.count(), 0, INT_MAX));
}

std::string seconds_text(milliseconds duration)
{
    return fmt::format("{:g} s", static_cast<double>(duration.count()) / 1000);
}

enum class Sent {
    all,
    // The function stopped reading: it closed its end, or replied without taking the rest; what
    // it sent is worth reading.
    cut_short,
    timed_out,
};

Sent send_within(int fd, std::string_view bytes, milliseconds timeout)
{
    while (!bytes.empty()) {
        const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent > 0) {
            bytes.remove_prefix(static_cast<size_t>(sent));
            continue;
        }
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return Sent::cut_short;
        // Full: wait until the function reads, or until it answers without reading.
        pollfd poller { fd, POLLOUT | POLLIN, 0 };
        const int ready = ::poll(&poller, 1, poll_timeout(timeout));
        if (ready < 0 && errno == EINTR)
            continue;
        if (ready == 0)
            return Sent::timed_out;
        if (ready < 0 || !(poller.revents & POLLOUT))
            return Sent::cut_short;
    }
    return Sent::all;
}

enum class Received { parsed, timed_out, failed };

// The state of one exchange, shared by forward_request and the content provider and releaser it
// leaves in the response: whichever is destroyed last ends the exchange.
class Exchange : public std::enable_shared_from_this<Exchange> {
public:
    Exchange(
        host::UniqueFd stream, bool is_head, milliseconds timeout, std::function<void(bool)> done)
        : m_stream(std::move(stream))
        , m_is_head(is_head)
        , m_timeout(timeout)
        , m_done(std::move(done))
    {
        http_parser_init(&m_parser, HTTP_RESPONSE);
        m_parser.data = this;
        http_parser_settings_init(&m_settings);
        m_settings.on_header_field = [](http_parser* parser, const char* at, size_t length) {
            return of(parser).add_to_header(true, at, length);
        };
        m_settings.on_header_value = [](http_parser* parser, const char* at, size_t length) {
            return of(parser).add_to_header(false, at, length);
        };
        m_settings.on_headers_complete
            = [](http_parser* parser) { return of(parser).end_headers(); };
        m_settings.on_body = [](http_parser* parser, const char* at, size_t length) {
            of(parser).m_body.append(at, length);
            return 0;
        };
        m_settings.on_message_complete = [](http_parser* parser) {
            // Interim replies are over at their head; the final one follows.
            if (of(parser).m_head_complete) {
                of(parser).m_message_complete = true;
                // Nothing after the reply belongs to it.
                http_parser_pause(parser, 1);
            }
            return 0;
        };
    }
    ~Exchange() { finish(false); }
    Exchange(const Exchange&) = delete;
    Exchange& operator=(const Exchange&) = delete;

    // Sends the request; throws ApiError when the function does not take it.
    void send_request(const std::string& head, const std::string& body)
    {
        Sent sent = send_within(m_stream.get(), head, m_timeout);
        if (sent == Sent::all)
            sent = send_within(m_stream.get(), body, m_timeout);
        if (sent == Sent::timed_out)
            throw api::ApiError(504,
                fmt::format(
                    "The function did not read the request within {}.", seconds_text(m_timeout)));
    }

    // Reads until the reply's head is complete; throws ApiError when it does not come.
    void receive_head()
    {
        const auto deadline = Clock::now() + m_timeout;
        while (!m_head_complete) {
            const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
            switch (receive(std::max(left, milliseconds(0)))) {
            case Received::parsed: break;
            case Received::timed_out:
                throw api::ApiError(504,
                    fmt::format("The function did not reply within {}.", seconds_text(m_timeout)));
            case Received::failed: throw api::ApiError(502, m_failure);
            }
        }
    }

    // Sets the reply's status, headers and body in `response`.
    void relay_reply(httplib::Response& response)
    {
        response.status = static_cast<int>(m_parser.status_code);
        if (response.status >= 400)
            response.set_header(api::kRelayedReplyField, "");
        // A reply without a body keeps the length it declares: that of the resource (HEAD, 304).
        const bool has_body = !m_body.empty() || !m_message_complete;
        const HopByHopFields hop_by_hop(m_headers);
        std::string content_type = "application/octet-stream"; // RFC 9110 8.3: when it has none
        bool has_content_type = false;
        for (const auto& [name, value] : m_headers) {
            if (hop_by_hop.contains(name)
                || (has_body && equals_ignoring_case(name, "Content-Length")))
                continue;
            if (has_body && equals_ignoring_case(name, "Content-Type")) {
                if (!std::exchange(has_content_type, true))
                    content_type = value;
                continue;
            }
            response.set_header(name, value);
        }
        if (!has_body) {
            finish(true);
            return;
        }
        auto self = shared_from_this();
        auto release = [self](bool success) { self->finish(success && self->m_message_complete); };
        if (m_content_length) {
            response.set_content_provider(
                *m_content_length, content_type,
                [self](size_t, size_t, httplib::DataSink& sink) { return self->relay_body(sink); },
                release);
            return;
        }
        // Chunked, but framed here: httplib's chunked provider compresses what it sends when the
        // client accepts gzip or br, even a reply the function has compressed already.
        response.set_header("Transfer-Encoding", "chunked");
        response.set_content_provider(
            content_type,
            [self](size_t, httplib::DataSink& sink) { return self->relay_body_in_chunks(sink); },
            release);
    }

    // Ends the exchange: the function's connection closes and `done` hears how it went.
    void finish(bool complete)
    {
        m_stream.reset();
        if (auto done = std::exchange(m_done, nullptr))
            done(complete);
    }

private:
    static Exchange& of(http_parser* parser) { return *static_cast<Exchange*>(parser->data); }

    int add_to_header(bool is_name, const char* at, size_t length)
    {
        // Trailers come after the head, too late to relay.
        if (m_head_complete)
            return 0;
        // The parser hands a name or a value over in pieces when it spans reads.
        if (is_name && !m_in_name)
            m_headers.emplace_back();
        m_in_name = is_name;
        (is_name ? m_headers.back().first : m_headers.back().second).append(at, length);
        return 0;
    }

    // 0: the reply has a body as its framing says; 1: it has none whatever its framing says.
    int end_headers()
    {
        const unsigned status = m_parser.status_code;
        // RFC 9110 15: three digits, the first 1 to 5 (the parser takes any number to 999).
        if (status < 100 || status > 599) {
            m_failure = fmt::format("The function's reply has status {}, not 100 to 599.", status);
            return -1;
        }
        if (status == 101) {
            m_failure = "The function switched protocols, which the gateway does not relay.";
            return -1;
        }
        m_in_name = false;
        if (status < 200) {
            m_headers.clear();
            return 1;
        }
        m_head_complete = true;
        // The parser counts it down as the body comes.
        if ((m_parser.flags & F_CONTENTLENGTH) && !(m_parser.flags & F_CHUNKED))
            m_content_length = m_parser.content_length;
        return m_is_head || status == 204 || status == 304 ? 1 : 0;
    }

    // Reads what the function sent next, waiting at most `wait`, and parses it. `m_failure` says
    // why when it fails.
    Received receive(milliseconds wait)
    {
        ssize_t got = 0;
        for (;;) {
            pollfd poller { m_stream.get(), POLLIN, 0 };
            const int ready = ::poll(&poller, 1, poll_timeout(wait));
            if (ready == 0)
                return Received::timed_out;
            got = ready < 0
                ? ready
                : ::recv(m_stream.get(), m_buffer.data(), m_buffer.size(), MSG_DONTWAIT);
            if (got >= 0)
                break;
            if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK) {
                m_failure
                    = fmt::format("Reading the function's reply failed: {}.", std::strerror(errno));
                return Received::failed;
            }
        }
        m_received_any = m_received_any || got > 0;
        // A read of 0 bytes tells the parser the function closed the connection, which ends a
        // reply that has neither a length nor chunks.
        http_parser_execute(&m_parser, &m_settings, m_buffer.data(), static_cast<size_t>(got));
        const auto error = HTTP_PARSER_ERRNO(&m_parser);
        if (got == 0 && !m_message_complete
            && (error == HPE_OK || error == HPE_INVALID_EOF_STATE)) {
            m_failure = !m_received_any ? "The function closed the connection before replying."
                : !m_head_complete
                ? "The function closed the connection in the middle of its reply's head."
                : "The function closed the connection in the middle of its reply's body.";
            return Received::failed;
        }
        if (error != HPE_OK && !(error == HPE_PAUSED && m_message_complete)) {
            if (m_failure.empty())
                m_failure = fmt::format(
                    "The function's reply is not HTTP/1.x: {}.", http_errno_description(error));
            return Received::failed;
        }
        // The function's part is over once its whole reply is read: its instance may take the
        // next request while the gateway still sends this one's reply on.
        if (m_message_complete)
            finish(true);
        return Received::parsed;
    }

    // Hands the client what the parser has of the body, reading more when it has nothing.
    bool take_body()
    {
        if (m_body.empty() && !m_message_complete && receive(m_timeout) != Received::parsed) {
            finish(false);
            return false;
        }
        return true;
    }

    bool relay_body(httplib::DataSink& sink)
    {
        if (!take_body())
            return false;
        const bool written = m_body.empty() || sink.write(m_body.data(), m_body.size());
        m_body.clear();
        return written;
    }

    bool relay_body_in_chunks(httplib::DataSink& sink)
    {
        if (!take_body())
            return false;
        if (!m_body.empty()) {
            const std::string size_line = fmt::format("{:x}\r\n", m_body.size());
            if (!sink.write(size_line.data(), size_line.size())
                || !sink.write(m_body.data(), m_body.size()) || !sink.write("\r\n", 2))
                return false;
            m_body.clear();
        }
        if (m_message_complete) {
            if (!sink.write("0\r\n\r\n", 5))
                return false;
            sink.done();
        }
        return true;
    }

    host::UniqueFd m_stream;
    const bool m_is_head;
    const milliseconds m_timeout;
    std::function<void(bool)> m_done;
    http_parser m_parser {};
    http_parser_settings m_settings {};
    std::array<char, 64 * 1024> m_buffer {};
    std::vector<std::pair<std::string, std::string>> m_headers;
    bool m_in_name = false;
    bool m_received_any = false;
    bool m_head_complete = false;
    bool m_message_complete = false;
    std::optional<uint64_t> m_content_length; // the reply's, when it has one
    // Body bytes parsed and not yet relayed: at most one read's worth.
    std::string m_body;
    std::string m_failure;
};

} // namespace

void forward_request(host::UniqueFd stream, const httplib::Request& request,
    const ForwardTarget& target, httplib::Response& response, milliseconds timeout,
    std::function<void(bool complete)> done)
{
    // Whatever is thrown from here on ends the exchange with `done(false)` as it unwinds.
    auto exchange = std::make_shared<Exchange>(
        std::move(stream), request.method == "HEAD", timeout, std::move(done));
    if (request.is_multipart_form_data())
        throw api::ApiError(415,
            "The gateway cannot forward multipart/form-data requests: its HTTP server keeps no "
            "copy of their body.");
    exchange->send_request(request_head(request, target), request.body);
    exchange->receive_head();
    // The function has applied the client's Range already; httplib would apply it again (and
    // give a multi-range reply a Content-Type of its own). The request is httplib's own, not
    // const, so dropping its ranges is well-defined.
    const_cast<httplib::Request&>(request).ranges.clear();
    exchange->relay_reply(response);
}

} // namespace rvisor::fn
