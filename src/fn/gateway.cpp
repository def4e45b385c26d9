#include "fn/gateway.h"

#include "api/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace rvisor::fn {

namespace {

// Requests waiting for an instance hold a worker each: enough for a burst of them to queue in
// the activator (where the limits are), not in the accept backlog.
constexpr size_t kWorkers = 256;
constexpr size_t kMaxRequestBody = 64ull << 20;
constexpr const char* kFunctionRoute = R"(/fn/([^/?]+)(/.*)?)";

// httplib 0.11.4 stops a server only once its thread has marked itself running; taking the
// listening socket back stops it at any point (as api/http_server.cpp does).
class StoppableServer final : public httplib::Server {
public:
    int release_socket() { return svr_sock_.exchange(INVALID_SOCKET); }
};

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

std::string function_target(const std::string& request_target, const std::string& name)
{
    const std::string prefix = fmt::format("/fn/{}", name);
    std::string rest
        = request_target.starts_with(prefix) ? request_target.substr(prefix.size()) : std::string();
    if (rest.empty() || rest.front() != '/')
        rest.insert(rest.begin(), '/');
    return rest;
}

struct Gateway::Impl {
    StoppableServer http;
    std::string host;
    int port = 0;
    std::thread thread;
};

Gateway::Gateway(const ListenAddress& address, FunctionPlatform& platform)
    : m_impl(std::make_unique<Impl>())
{
    auto handler = [&platform](const httplib::Request& request, httplib::Response& response) {
        const std::string name = request.matches[1];
        platform.invoke(name, function_target(request.target, name), request, response);
    };
    std::vector<api::Route> routes;
    for (const char* method : { "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS" })
        routes.push_back({ kFunctionRoute, method, handler });
    auto& http = m_impl->http;
    api::serve_routes(http, routes);
    http.set_payload_max_length(kMaxRequestBody);
    // A reply's head and body are separate writes: without this the body waits for the client's
    // acknowledgement of the head (Nagle's algorithm against delayed ACKs).
    http.set_tcp_nodelay(true);
    http.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
    m_impl->host = address.host;
    m_impl->port = address.port == 0
        ? http.bind_to_any_port(address.host)
        : (http.bind_to_port(address.host, address.port) ? address.port : -1);
    if (m_impl->port < 0)
        throw std::runtime_error(fmt::format("cannot listen for the gateway on {}:{}: {}",
            address.host, address.port, std::strerror(errno)));
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
