// libFuzzer target: the function gateway's reply path (src/fn/request_forwarding.h, README.md).
// The input's first byte chooses the request (bit 0: HEAD rather than GET; bit 1: with a
// two-range Range), and the rest is what the function sends back before it closes its end.
//
// forward_request must either throw 502 (the reply and the close are all there, so never 504)
// or leave a reply with a status from 200 to 599, none of the hop-by-hop fields but the
// Transfer-Encoding it frames its chunks with, and a body provider that relays no more than the
// Content-Length it declared, frames its chunks correctly and relays a prefix of the body that a
// reference parse of the same bytes finds (all of it once it reports the body complete).
// `done` is called exactly once.
#include "api/vm_control.h"
#include "fn/request_forwarding.h"
#include "fuzz_check.h"
#include "host/unique_fd.h"

#include <http_parser.h>
#include <httplib.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>
#include <sys/socket.h>

namespace {

using rvisor::fuzz::check;

// The body of the first final (non-1xx) reply in `bytes`, as http_parser finds it on its own,
// followed by a close.
std::string reference_body(std::string_view bytes, bool is_head)
{
    struct Parse {
        bool is_head;
        bool final_head = false;
        bool final_complete = false;
        std::string body;
    } parse { .is_head = is_head, .body = {} };
    http_parser parser;
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = &parse;
    http_parser_settings settings;
    http_parser_settings_init(&settings);
    settings.on_headers_complete = [](http_parser* p) {
        auto& state = *static_cast<Parse*>(p->data);
        if (p->status_code < 200)
            return 1;
        state.final_head = true;
        return state.is_head || p->status_code == 204 || p->status_code == 304 ? 1 : 0;
    };
    settings.on_body = [](http_parser* p, const char* at, size_t length) {
        auto& state = *static_cast<Parse*>(p->data);
        if (!state.final_complete)
            state.body.append(at, length);
        return 0;
    };
    settings.on_message_complete = [](http_parser* p) {
        auto& state = *static_cast<Parse*>(p->data);
        if (state.final_head)
            state.final_complete = true;
        return 0;
    };
    http_parser_execute(&parser, &settings, bytes.data(), bytes.size());
    http_parser_execute(&parser, &settings, bytes.data(), 0);
    return parse.body;
}

bool is_hop_by_hop(const std::string& name)
{
    std::string lower;
    for (char c : name)
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "connection" || lower == "keep-alive" || lower == "proxy-connection"
        || lower == "te" || lower == "trailer" || lower == "upgrade";
}

// The data of chunked `framed` bytes; `terminated` says whether they end with the last chunk,
// and nothing follows it. Framing errors break an invariant.
std::string unchunk(std::string_view framed, bool& terminated)
{
    std::string data;
    terminated = false;
    while (!framed.empty()) {
        const size_t line_end = framed.find("\r\n");
        check(line_end != std::string_view::npos && line_end > 0, "a chunk starts with its size");
        size_t length = 0;
        const std::string_view size_text = framed.substr(0, line_end);
        const auto [end, error]
            = std::from_chars(size_text.data(), size_text.data() + size_text.size(), length, 16);
        check(error == std::errc {} && end == size_text.data() + size_text.size(),
            "a chunk's size is hexadecimal");
        framed.remove_prefix(line_end + 2);
        if (length == 0) {
            check(framed == "\r\n", "the last chunk ends the body");
            terminated = true;
            break;
        }
        check(framed.size() >= length + 2 && framed.substr(length, 2) == "\r\n",
            "a chunk holds its size's bytes and a CRLF");
        data.append(framed.substr(0, length));
        framed.remove_prefix(length + 2);
    }
    return data;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < 1)
        return 0;
    const bool is_head = data[0] & 1;
    const std::string_view reply(reinterpret_cast<const char*>(data + 1), size - 1);

    int ends[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) == 0, "a socket pair");
    rvisor::host::UniqueFd gateway_end(ends[0]);
    const rvisor::host::UniqueFd function_end(ends[1]);
    // The whole reply fits the socket's buffer (the options file bounds the input): the function
    // has said everything before the gateway reads.
    std::string_view unsent = reply;
    while (!unsent.empty()) {
        const ssize_t sent
            = ::send(function_end.get(), unsent.data(), unsent.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        check(sent > 0, "the reply fits the socket's buffer");
        unsent.remove_prefix(static_cast<size_t>(sent));
    }
    ::shutdown(function_end.get(), SHUT_WR);

    httplib::Request request;
    request.method = is_head ? "HEAD" : "GET";
    request.headers.emplace("Host", "fuzz");
    if (data[0] & 2) {
        request.headers.emplace("Range", "bytes=0-3,8-11");
        request.ranges = { { 0, 3 }, { 8, 11 } };
    }
    request.remote_addr = "127.0.0.1";

    int done_calls = 0;
    {
        httplib::Response response;
        try {
            rvisor::fn::forward_request(std::move(gateway_end), request, { "/x" }, response,
                std::chrono::seconds(5), [&](bool) { done_calls++; });
        } catch (const rvisor::api::ApiError& error) {
            check(error.status() == 502, "a reply that is all there fails only with 502");
            check(done_calls == 1, "done is called once when the exchange fails");
            return 0;
        }
        check(response.status >= 200 && response.status <= 599, "the status is final and valid");
        check(request.ranges.empty(), "the function's reply is not ranged again");
        for (const auto& [name, value] : response.headers)
            check(!is_hop_by_hop(name), "no hop-by-hop field is relayed");
        check(response.get_header_value_count("Transfer-Encoding")
                <= (response.content_provider_ && response.content_length_ == 0 ? 1u : 0u),
            "the only Transfer-Encoding is the relay's chunking");
        check(!response.content_provider_ || !response.has_header("Content-Length"),
            "httplib writes the Content-Length of a body it sends");

        const std::string expected = reference_body(reply, is_head);
        if (response.content_provider_) {
            std::string relayed;
            bool finished = false;
            httplib::DataSink sink;
            sink.write = [&](const char* bytes, size_t length) {
                relayed.append(bytes, length);
                return true;
            };
            sink.done = [&] { finished = true; };
            sink.is_writable = [] { return true; };
            bool ok = true;
            std::string body;
            if (response.content_length_ > 0) {
                // As httplib's write_content: until the length is written or the provider fails.
                while (ok && relayed.size() < response.content_length_)
                    ok = response.content_provider_(
                        relayed.size(), response.content_length_ - relayed.size(), sink);
                check(relayed.size() <= response.content_length_,
                    "no more than the declared length is relayed");
                body = relayed;
                finished = ok;
            } else {
                // As httplib's write_content_without_length: until done or a failure.
                while (ok && !finished)
                    ok = response.content_provider_(relayed.size(), 0, sink);
                bool terminated = false;
                body = unchunk(relayed, terminated);
                check(terminated == finished, "the last chunk is sent exactly when done");
            }
            response.content_provider_success_ = ok;
            check(expected.starts_with(body), "the relayed body is the reply's body so far");
            check(!finished || body == expected, "a complete body is the whole reply's body");
        } else {
            check(response.body.empty(), "a reply without a provider has no body");
            check(expected.empty(), "a reply with a body has a provider");
        }
    }
    check(done_calls == 1, "done is called exactly once");
    return 0;
}
