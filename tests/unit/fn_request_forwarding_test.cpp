#include "fn/request_forwarding.h"

#include "api/http_server.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/socket.h>
#include <sys/time.h>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using namespace std::string_literals;
using rvisor::host::UniqueFd;

namespace {

// Bounds every wait in these tests, so that a bug shows as a failure rather than a hang.
constexpr auto hang_bound = 10s;

void send_text(int fd, std::string_view text)
{
    while (!text.empty()) {
        const ssize_t sent = ::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
        if (sent <= 0)
            return;
        text.remove_prefix(static_cast<size_t>(sent));
    }
}

// What the fake function received: the request's head and its body (framed by the
// Content-Length the gateway writes).
struct ReceivedRequest {
    std::string head;
    std::string body;
};

ReceivedRequest read_request(int fd)
{
    std::string bytes;
    char buffer[4096];
    size_t head_end = std::string::npos;
    while ((head_end = bytes.find("\r\n\r\n")) == std::string::npos) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            return { bytes, "" };
        bytes.append(buffer, static_cast<size_t>(got));
    }
    ReceivedRequest request { bytes.substr(0, head_end + 4), bytes.substr(head_end + 4) };
    const size_t length_field = request.head.find("\r\nContent-Length: ");
    const size_t length = length_field == std::string::npos
        ? 0
        : std::stoul(request.head.substr(length_field + 18));
    while (request.body.size() < length) {
        const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
        if (got <= 0)
            break;
        request.body.append(buffer, static_cast<size_t>(got));
    }
    return request;
}

// Waits until the gateway closes its end (or the receive timeout set on the function's end).
void wait_for_close(int fd)
{
    char buffer[4096];
    while (::recv(fd, buffer, sizeof buffer, 0) > 0) { }
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool head_has_field(const std::string& head, std::string_view name)
{
    return lowercase(head).find(lowercase(fmt::format("\r\n{}:", name))) != std::string::npos;
}

std::string fault_message(const httplib::Result& result)
{
    return nlohmann::json::parse(result->body).at("fault_message").get<std::string>();
}

std::string pattern_bytes(size_t size)
{
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; i++)
        bytes[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    return bytes;
}

// The request target the function sees: what follows /fn/NAME, as the gateway computes it.
std::string path_below_function(const std::string& target)
{
    const size_t path = target.find_first_of("/?", 4);
    std::string below = path == std::string::npos ? "/" : target.substr(path);
    return below.starts_with('/') ? below : "/" + below;
}

// A gateway whose every /fn/ request goes to a fake function: `function` runs on a thread of
// its own with the other end of a socket pair.
class FnRequestForwardingTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        auto handler = [this](const httplib::Request& request, httplib::Response& response) {
            forward(request, response);
        };
        // Served as the gateway serves it: its error handler gives errors a fault_message.
        rvisor::api::serve_routes(m_server,
            { { "/fn/.*", "GET", handler }, { "/fn/.*", "POST", handler },
                { "/fn/.*", "PUT", handler } });
        m_server.set_payload_max_length(64 << 20);
        m_server.set_keep_alive_timeout(1);
        m_port = m_server.bind_to_any_port("127.0.0.1");
        ASSERT_GT(m_port, 0);
        m_listener = std::thread([this] { m_server.listen_after_bind(); });
        // stop() does nothing to a server not yet running.
        const auto deadline = std::chrono::steady_clock::now() + hang_bound;
        while (!m_server.is_running() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(1ms);
        ASSERT_TRUE(m_server.is_running());
    }

    void TearDown() override { stop_gateway(); }

    httplib::Client client()
    {
        httplib::Client client("127.0.0.1", m_port);
        client.set_connection_timeout(hang_bound);
        client.set_read_timeout(hang_bound);
        client.set_write_timeout(hang_bound);
        return client;
    }

    // Stops the gateway and the function, and gives what `done` was called with: the gateway's
    // responses (and the providers in them) are all gone by then.
    std::vector<bool> stop_gateway()
    {
        if (m_listener.joinable()) {
            m_server.stop();
            m_listener.join();
        }
        std::lock_guard lock(m_mutex);
        for (auto& thread : m_functions)
            thread.join();
        m_functions.clear();
        return m_done;
    }

    std::function<void(int fd)> function;
    std::chrono::milliseconds timeout = hang_bound;
    int m_port = 0;

private:
    void forward(const httplib::Request& request, httplib::Response& response)
    {
        int ends[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends), 0);
        const timeval bound { std::chrono::duration_cast<std::chrono::seconds>(hang_bound).count(),
            0 };
        ::setsockopt(ends[1], SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound);
        ::setsockopt(ends[1], SOL_SOCKET, SO_SNDTIMEO, &bound, sizeof bound);
        {
            std::lock_guard lock(m_mutex);
            m_functions.emplace_back([this, end = UniqueFd(ends[1])] { function(end.get()); });
        }
        try {
            rvisor::fn::forward_request(UniqueFd(ends[0]), request,
                { path_below_function(request.target) }, response, timeout, [this](bool complete) {
                    std::lock_guard lock(m_mutex);
                    m_done.push_back(complete);
                });
        } catch (const rvisor::api::ApiError& error) {
            rvisor::api::send_fault(response, error.status(), error.what());
        }
    }

    httplib::Server m_server;
    std::thread m_listener;
    std::mutex m_mutex;
    std::vector<std::thread> m_functions;
    std::vector<bool> m_done;
};

TEST_F(FnRequestForwardingTest, SendsTheRequestLinePathQueryAndBody)
{
    std::promise<ReceivedRequest> received;
    function = [&](int fd) {
        received.set_value(read_request(fd));
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    };
    auto result = client().Put(
        "/fn/hello/a/b%20c?x=1&y=%2F", { { "X-Custom", "1" } }, "payload", "text/plain");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "ok");
    auto future = received.get_future();
    ASSERT_EQ(future.wait_for(hang_bound), std::future_status::ready);
    const ReceivedRequest request = future.get();
    EXPECT_TRUE(request.head.starts_with("PUT /a/b%20c?x=1&y=%2F HTTP/1.1\r\n")) << request.head;
    EXPECT_EQ(request.body, "payload");
    EXPECT_NE(request.head.find("\r\nContent-Length: 7\r\n"), std::string::npos) << request.head;
    EXPECT_NE(request.head.find("\r\nX-Custom: 1\r\n"), std::string::npos) << request.head;
    EXPECT_NE(request.head.find("\r\nContent-Type: text/plain\r\n"), std::string::npos);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, SendsAChunkedRequestBodyWithItsLength)
{
    std::promise<ReceivedRequest> received;
    function = [&](int fd) {
        received.set_value(read_request(fd));
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    };
    auto result = client().Post(
        "/fn/hello",
        [](size_t, httplib::DataSink& sink) {
            sink.write("abc", 3);
            sink.write("def", 3);
            sink.done();
            return true;
        },
        "text/plain");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    auto future = received.get_future();
    ASSERT_EQ(future.wait_for(hang_bound), std::future_status::ready);
    const ReceivedRequest request = future.get();
    EXPECT_EQ(request.body, "abcdef");
    EXPECT_NE(request.head.find("\r\nContent-Length: 6\r\n"), std::string::npos) << request.head;
    EXPECT_FALSE(head_has_field(request.head, "Transfer-Encoding")) << request.head;
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, AddsForwardedFieldsAndDropsHopByHopOnes)
{
    std::promise<ReceivedRequest> received;
    function = [&](int fd) {
        received.set_value(read_request(fd));
        send_text(fd, "HTTP/1.1 204 No Content\r\n\r\n");
    };
    auto result = client().Get("/fn/hello",
        { { "Connection", "close, X-Hop" }, { "X-Hop", "secret" }, { "Keep-Alive", "timeout=5" },
            { "TE", "trailers" }, { "Upgrade", "websocket" }, { "Proxy-Connection", "keep-alive" },
            { "X-Forwarded-For", "203.0.113.7" }, { "X-Forwarded-Proto", "https" },
            { "X-Forwarded-Host", "spoofed.example" }, { "X-Kept", "yes" } });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 204);
    auto future = received.get_future();
    ASSERT_EQ(future.wait_for(hang_bound), std::future_status::ready);
    const std::string head = future.get().head;
    EXPECT_TRUE(head.starts_with("GET / HTTP/1.1\r\n")) << head;
    const std::string host = fmt::format("127.0.0.1:{}", m_port);
    EXPECT_NE(head.find(fmt::format("\r\nHost: {}\r\n", host)), std::string::npos) << head;
    EXPECT_NE(head.find(fmt::format("\r\nX-Forwarded-Host: {}\r\n", host)), std::string::npos);
    EXPECT_NE(head.find("\r\nX-Forwarded-For: 203.0.113.7, 127.0.0.1\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nX-Forwarded-Proto: http\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nX-Kept: yes\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos);
    for (const char* dropped : { "X-Hop", "Keep-Alive", "TE", "Upgrade", "Proxy-Connection",
             "REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT", "Content-Length" })
        EXPECT_FALSE(head_has_field(head, dropped)) << dropped << " in " << head;
    EXPECT_EQ(lowercase(head).find("spoofed"), std::string::npos) << head;
    EXPECT_EQ(lowercase(head).find("https"), std::string::npos) << head;
    EXPECT_EQ(lowercase(head).find("close, x-hop"), std::string::npos) << head;
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, RelaysAReplyWithContentLength)
{
    function = [](int fd) {
        read_request(fd);
        // The body comes in the same write as the head.
        send_text(fd,
            "HTTP/1.1 201 Created\r\nX-Reply: 1\r\nContent-Type: text/html\r\n"
            "Connection: close, X-Private\r\nX-Private: 1\r\nKeep-Alive: timeout=1\r\n"
            "Content-Length: 5\r\n\r\nhello");
    };
    auto result = client().Get("/fn/hello/");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 201);
    EXPECT_EQ(result->body, "hello");
    EXPECT_EQ(result->get_header_value("X-Reply"), "1");
    EXPECT_EQ(result->get_header_value("Content-Length"), "5");
    EXPECT_EQ(result->get_header_value_count("Content-Type"), 1u);
    EXPECT_EQ(result->get_header_value("Content-Type"), "text/html");
    EXPECT_FALSE(result->has_header("X-Private"));
    EXPECT_FALSE(result->has_header("Keep-Alive"));
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, RelaysAChunkedReplyAsItComes)
{
    std::promise<void> first_part_arrived;
    function = [&](int fd) {
        read_request(fd);
        send_text(fd,
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
            "5\r\nhello\r\n");
        // The rest only once the client has the first part: the gateway must not wait for all.
        if (first_part_arrived.get_future().wait_for(hang_bound) != std::future_status::ready)
            return;
        send_text(fd, "6\r\n world\r\n");
        send_text(fd, "0\r\nX-Trailer: t\r\n\r\n");
    };
    std::string body;
    auto result = client().Get("/fn/hello", [&](const char* data, size_t length) {
        const bool had_first_part = body.size() >= 5;
        body.append(data, length);
        if (!had_first_part && body.size() >= 5)
            first_part_arrived.set_value();
        return true;
    });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(body, "hello world");
    EXPECT_EQ(result->get_header_value("Transfer-Encoding"), "chunked");
    EXPECT_FALSE(result->has_header("X-Trailer"));
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, RelaysAReplyThatEndsAtEof)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ");
        send_text(fd, "world");
        // Returning closes the function's end.
    };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "hello world");
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, StreamsLargeBodiesIntact)
{
    const std::string request_body = pattern_bytes(3 << 20);
    const std::string reply_body = pattern_bytes(9 << 20);
    std::promise<std::string> received;
    function = [&](int fd) {
        received.set_value(read_request(fd).body);
        send_text(
            fd, fmt::format("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", reply_body.size()));
        send_text(fd, reply_body);
    };
    auto result = client().Post("/fn/big", request_body, "application/octet-stream");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_TRUE(result->body == reply_body)
        << "the reply's body differs, " << result->body.size() << " bytes";
    auto future = received.get_future();
    ASSERT_EQ(future.wait_for(hang_bound), std::future_status::ready);
    EXPECT_TRUE(future.get() == request_body) << "the request's body differs";
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, StreamsALargeChunkedBodyIntact)
{
    const std::string reply_body = pattern_bytes(5 << 20);
    function = [&](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        constexpr size_t chunk = 1 << 20;
        for (size_t offset = 0; offset < reply_body.size(); offset += chunk)
            send_text(fd,
                fmt::format(
                    "{:x}\r\n{}\r\n", chunk, std::string_view(reply_body).substr(offset, chunk)));
        send_text(fd, "0\r\n\r\n");
    };
    auto result = client().Get("/fn/big");
    ASSERT_TRUE(result);
    EXPECT_TRUE(result->body == reply_body)
        << "the reply's body differs, " << result->body.size() << " bytes";
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, FunctionClosingBeforeReplyingIs502)
{
    function = [](int fd) { read_request(fd); };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 502);
    EXPECT_EQ(fault_message(result), "The function closed the connection before replying.");
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

TEST_F(FnRequestForwardingTest, ReplyThatIsNotHttpIs502)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "SSH-2.0-OpenSSH_9.2\r\n");
        wait_for_close(fd);
    };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 502);
    EXPECT_TRUE(fault_message(result).starts_with("The function's reply is not HTTP/1.x: "))
        << fault_message(result);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

TEST_F(FnRequestForwardingTest, NoReplyWithinTheTimeoutIs504)
{
    timeout = 200ms;
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 200 OK\r\n"); // a head that never ends
        wait_for_close(fd);
    };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 504);
    EXPECT_EQ(fault_message(result), "The function did not reply within 0.2 s.");
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

TEST_F(FnRequestForwardingTest, StalledBodyDropsTheClientsConnection)
{
    timeout = 200ms;
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        wait_for_close(fd);
    };
    auto result = client().Get("/fn/hello");
    EXPECT_FALSE(result);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

TEST_F(FnRequestForwardingTest, BodyCutShortDropsTheClientsConnection)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
    };
    auto result = client().Get("/fn/hello");
    EXPECT_FALSE(result);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

TEST_F(FnRequestForwardingTest, HeadRequestEndsAtTheReplysHead)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: text/html\r\n\r\n");
        // The connection stays open: the reply's end must not wait for it.
        wait_for_close(fd);
    };
    auto result = client().Head("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Length"), "1234");
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, NoContentReplyEndsAtItsHead)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd, "HTTP/1.1 204 No Content\r\nX-Reply: 1\r\n\r\n");
        wait_for_close(fd);
    };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 204);
    EXPECT_EQ(result->get_header_value("X-Reply"), "1");
    EXPECT_EQ(result->body, "");
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, InterimRepliesAreSkipped)
{
    function = [](int fd) {
        read_request(fd);
        send_text(fd,
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    };
    auto result = client().Get("/fn/hello");
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, "ok");
    EXPECT_FALSE(result->has_header("Link"));
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, CompressedChunkedReplyIsNotCompressedAgain)
{
    const std::string gzip_bytes = "\x1f\x8b\x08\x00 not really gzip"s;
    function = [&](int fd) {
        read_request(fd);
        send_text(fd,
            fmt::format("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                gzip_bytes.size(), gzip_bytes));
    };
    auto gateway = client();
    gateway.set_decompress(false);
    auto result = gateway.Get("/fn/hello", { { "Accept-Encoding", "gzip, br" } });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value_count("Content-Encoding"), 1u);
    EXPECT_EQ(result->body, gzip_bytes);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, RangeReplyIsRelayedAsTheFunctionMadeIt)
{
    std::promise<ReceivedRequest> received;
    function = [&](int fd) {
        received.set_value(read_request(fd));
        send_text(fd,
            "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 2-4/10\r\nContent-Length: 3\r\n"
            "\r\ncde");
    };
    auto result = client().Get("/fn/hello", { { "Range", "bytes=2-4" } });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 206);
    EXPECT_EQ(result->body, "cde");
    EXPECT_EQ(result->get_header_value("Content-Range"), "bytes 2-4/10");
    auto future = received.get_future();
    ASSERT_EQ(future.wait_for(hang_bound), std::future_status::ready);
    EXPECT_NE(future.get().head.find("\r\nRange: bytes=2-4\r\n"), std::string::npos);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

TEST_F(FnRequestForwardingTest, MultiRangeReplyIsRelayedAsTheFunctionMadeIt)
{
    const std::string type = "multipart/byteranges; boundary=3d6b6a416f9b5";
    const std::string body = "--3d6b6a416f9b5\r\nContent-Range: bytes 0-1/10\r\n\r\nab\r\n"
                             "--3d6b6a416f9b5\r\nContent-Range: bytes 4-5/10\r\n\r\nef\r\n"
                             "--3d6b6a416f9b5--\r\n";
    function = [&](int fd) {
        read_request(fd);
        send_text(fd,
            fmt::format("HTTP/1.1 206 Partial Content\r\nContent-Type: {}\r\n"
                        "Content-Length: {}\r\n\r\n{}",
                type, body.size(), body));
    };
    auto result = client().Get("/fn/hello", { { "Range", "bytes=0-1,4-5" } });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 206);
    EXPECT_EQ(result->get_header_value("Content-Type"), type);
    EXPECT_EQ(result->body, body);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { true });
}

// The gateway's error handler gives its own errors a fault_message; a function's error goes as
// the function made it, whether or not it has a body.
TEST_F(FnRequestForwardingTest, ErrorRepliesPassThrough)
{
    struct Case {
        std::string reply;
        int status;
        std::string body;
    };
    const Case cases[] = {
        { "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nX-Reason: policy\r\n\r\n", 403, "" },
        { "HTTP/1.1 500 Oops\r\nContent-Length: 5\r\nX-Reason: policy\r\n\r\noops!", 500, "oops!" },
    };
    // Request /fn/hello/N gets case N's reply.
    function = [&](int fd) {
        const std::string head = read_request(fd).head;
        send_text(fd, cases[head.starts_with("GET /1 ") ? 1 : 0].reply);
    };
    for (size_t i = 0; i < std::size(cases); i++) {
        const Case& expected = cases[i];
        auto result = client().Get(fmt::format("/fn/hello/{}", i));
        ASSERT_TRUE(result);
        EXPECT_EQ(result->status, expected.status);
        EXPECT_EQ(result->body, expected.body);
        EXPECT_EQ(result->get_header_value("X-Reason"), "policy");
        EXPECT_FALSE(result->has_header(rvisor::api::kRelayedReplyField));
    }
    EXPECT_EQ(stop_gateway(), (std::vector<bool> { true, true }));
}

TEST_F(FnRequestForwardingTest, MultipartRequestIs415)
{
    function = [](int fd) { wait_for_close(fd); };
    auto result = client().Post("/fn/hello",
        httplib::MultipartFormDataItems { { "file", "content", "a.txt", "text/plain" } });
    ASSERT_TRUE(result);
    EXPECT_EQ(result->status, 415);
    EXPECT_EQ(stop_gateway(), std::vector<bool> { false });
}

} // namespace
