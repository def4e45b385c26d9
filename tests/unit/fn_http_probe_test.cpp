#include "fn/http_probe.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;
using rvisor::fn::probe_http;
using rvisor::host::UniqueFd;

namespace {

// The probe's timeout where the test does not mean it to pass: a hang fails, slowly.
constexpr auto kHang = 10s;

enum class Ending { keep_open, close };

// What the fake server saw, and what the probe made of its reply.
struct Exchange {
    std::string request;
    std::optional<unsigned> status;
};

// Reads one request's head, up to its blank line or the end of the stream.
std::string read_request(int fd)
{
    std::string request;
    char buffer[4096];
    while (request.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        request.append(buffer, static_cast<size_t>(n));
    }
    return request;
}

void write_all(int fd, const std::string& text)
{
    size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw std::runtime_error("the fake server could not write its reply");
        written += static_cast<size_t>(n);
    }
}

// Probes `path` on a stream whose other end a thread serves: it reads the request, writes
// `reply`, then closes its end or keeps it open until the probe has returned.
Exchange exchange(const std::string& reply, Ending ending,
    std::chrono::milliseconds timeout = kHang, const std::string& path = "/path")
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        throw std::runtime_error("socketpair failed");
    UniqueFd client(fds[0]);
    UniqueFd server(fds[1]);
    Exchange result;
    std::thread serve([&] {
        result.request = read_request(server.get());
        write_all(server.get(), reply);
        if (ending == Ending::close)
            server.reset();
    });
    result.status = probe_http(std::move(client), path, timeout);
    serve.join();
    return result;
}

} // namespace

TEST(FnHttpProbeTest, ReplyWithContentLength)
{
    // The server keeps the connection open: the length, not the end of the stream, ends it.
    const Exchange done
        = exchange("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
            Ending::keep_open);
    EXPECT_EQ(done.status, 200u);
}

TEST(FnHttpProbeTest, ChunkedReply)
{
    const Exchange done = exchange(
        "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        Ending::keep_open);
    EXPECT_EQ(done.status, 201u);
}

TEST(FnHttpProbeTest, ReplyEndedByTheEndOfTheStream)
{
    const Exchange done
        = exchange("HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nnot yet\n",
            Ending::close);
    EXPECT_EQ(done.status, 503u);
}

TEST(FnHttpProbeTest, GarbageIsNoReply)
{
    EXPECT_EQ(exchange("SSH-2.0-OpenSSH_9.2\r\n", Ending::keep_open).status, std::nullopt);
    EXPECT_EQ(exchange("HTTP/1.1 abc OK\r\n\r\n", Ending::close).status, std::nullopt);
}

TEST(FnHttpProbeTest, ClosedBeforeReplying)
{
    EXPECT_EQ(exchange("", Ending::close).status, std::nullopt);
    // Or in the middle of a reply with a length.
    EXPECT_EQ(exchange("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel", Ending::close).status,
        std::nullopt);
}

TEST(FnHttpProbeTest, ClosedBeforeTheRequest)
{
    int fds[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    ::close(fds[1]);
    EXPECT_EQ(probe_http(UniqueFd(fds[0]), "/", kHang), std::nullopt);
}

TEST(FnHttpProbeTest, NoReplyInTime)
{
    EXPECT_EQ(exchange("", Ending::keep_open, 200ms).status, std::nullopt);
    EXPECT_EQ(exchange("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhel", Ending::keep_open, 200ms)
                  .status,
        std::nullopt);
}

TEST(FnHttpProbeTest, RequestLine)
{
    const Exchange done
        = exchange("HTTP/1.1 204 No Content\r\n\r\n", Ending::keep_open, kHang, "/ready?x=1");
    EXPECT_EQ(done.status, 204u);
    EXPECT_TRUE(done.request.starts_with("GET /ready?x=1 HTTP/1.1\r\n")) << done.request;
    EXPECT_NE(done.request.find("\r\nHost: "), std::string::npos) << done.request;
    EXPECT_TRUE(done.request.ends_with("\r\n\r\n")) << done.request;
}
