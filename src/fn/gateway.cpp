#include "fn/gateway.h"

#include "api/http_server.h"
#include "host/unique_fd.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rvisor::fn {

namespace {

// Requests waiting for an instance hold a worker each: enough for a burst of them to queue in
// the activator (where the limits are), not in the accept backlog.
constexpr size_t kWorkers = 256;
constexpr size_t kMaxRequestBody = 64ull << 20;
constexpr const char* kFunctionRoute = R"(/fn/[^/?]+(/.*)?)";

// A TCP socket listening on `address` with the kernel's largest backlog (httplib's own 5 would
// make a burst of clients wait out SYN retries of 1, 3, 7… s); its port is the one asked for,
// or the one the kernel picked for 0.
host::UniqueFd listen_on(const ListenAddress& address, int& port)
{
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
    addrinfo* found = nullptr;
    const int lookup = ::getaddrinfo(
        address.host.c_str(), fmt::format("{}", address.port).c_str(), &hints, &found);
    if (lookup != 0)
        throw std::runtime_error(fmt::format(
            "cannot listen for the gateway on {}: {}", address.host, ::gai_strerror(lookup)));
    std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owner(found, ::freeaddrinfo);
    host::UniqueFd socket(
        ::socket(found->ai_family, found->ai_socktype | SOCK_CLOEXEC, found->ai_protocol));
    const int on = 1;
    // Accepted sockets inherit TCP_NODELAY: a reply's head and body are separate writes, and
    // without it the body waits for the client's (delayed) acknowledgement of the head.
    if (!socket || ::setsockopt(socket.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0
        || ::setsockopt(socket.get(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0
        || ::bind(socket.get(), found->ai_addr, found->ai_addrlen) != 0
        || ::listen(socket.get(), SOMAXCONN) != 0)
        throw std::runtime_error(fmt::format("cannot listen for the gateway on {}:{}: {}",
            address.host, address.port, std::strerror(errno)));
    sockaddr_storage bound {};
    socklen_t length = sizeof bound;
    ::getsockname(socket.get(), reinterpret_cast<sockaddr*>(&bound), &length);
    port = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return socket;
}

} // namespace

ListenAddress parse_listen_address(const std::string& text)
{
    const size_t colon = text.rfind(':');
    const auto bad = [&] {
        return std::runtime_error(
            fmt::format("--http {}: give ADDR:PORT, such as 127.0.0.1:8080", text));
    };
    if (colon == std::string::npos)
        throw bad();
    ListenAddress address;
    address.host = text.substr(0, colon);
    if (address.host.starts_with('[') && address.host.ends_with(']'))
        address.host = address.host.substr(1, address.host.size() - 2);
    if (address.host.empty())
        address.host = "0.0.0.0";
    const std::string port = text.substr(colon + 1);
    unsigned value = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc {} || end != port.data() + port.size() || value > 65535)
        throw bad();
    address.port = static_cast<uint16_t>(value);
    return address;
}

FunctionTarget function_target(const std::string& request_target)
{
    // httplib routes on the decoded path, which cannot tell /fn/a%2Fb/x from /fn/a/b/x: the name
    // and the rest come from the raw target, split where it has a '/' or a '?'.
    constexpr std::string_view prefix = "/fn/";
    const size_t start = request_target.starts_with(prefix) ? prefix.size() : 0;
    const size_t end = std::min(request_target.find_first_of("/?", start), request_target.size());
    FunctionTarget target { httplib::detail::decode_url(
                                request_target.substr(start, end - start), false),
        request_target.substr(end) };
    if (!target.path_and_query.starts_with('/'))
        target.path_and_query.insert(target.path_and_query.begin(), '/');
    return target;
}

struct Gateway::Impl {
    api::AdoptingHttpServer http;
    std::string host;
    int port = 0;
    std::thread thread;
};

Gateway::Gateway(const ListenAddress& address, FunctionPlatform& platform)
    : m_impl(std::make_unique<Impl>())
{
    auto handler = [&platform](const httplib::Request& request, httplib::Response& response) {
        const FunctionTarget target = function_target(request.target);
        platform.invoke(target.name, target.path_and_query, request, response);
    };
    std::vector<api::Route> routes;
    for (const char* method : { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" })
        routes.push_back({ kFunctionRoute, method, handler });
    auto& http = m_impl->http;
    api::serve_routes(http, routes);
    http.set_payload_max_length(kMaxRequestBody);
    // Clients that send one request after another keep their connection.
    http.set_keep_alive_max_count(1000);
    http.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    m_impl->host = address.host;
    http.adopt_socket(listen_on(address, m_impl->port).release());
    m_impl->thread = std::thread([&http] { http.listen_after_bind(); });
}

Gateway::~Gateway()
{
    const int fd = m_impl->http.release_socket();
    ::shutdown(fd, SHUT_RDWR);
    m_impl->thread.join();
    ::close(fd);
}

std::string Gateway::base_url() const
{
    const bool ipv6 = m_impl->host.find(':') != std::string::npos;
    return ipv6 ? fmt::format("http://[{}]:{}", m_impl->host, m_impl->port)
                : fmt::format("http://{}:{}", m_impl->host, m_impl->port);
}

} // namespace rvisor::fn
