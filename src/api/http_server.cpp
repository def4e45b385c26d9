#include "api/http_server.h"

#include "host/unix_socket.h"

#include <cerrno>
#include <cstring>
#include <string_view>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace rvisor::api {

namespace {

using nlohmann::json;

// Every request body is a few short strings or a VM's settings; anything near this is a
// mistake or an attack.
constexpr size_t max_body_size = 64 * 1024;
// An idle keep-alive connection holds shutdown back for up to this long, since httplib waits it
// out before noticing the server has stopped.
constexpr time_t keep_alive_timeout_seconds = 1;

std::string to_json_text(const json& value)
{
    // Messages can carry host paths, which need not be UTF-8; dump() would throw on them.
    return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string fault_message_for(int status)
{
    switch (status) {
    case 400: return "The request is not valid HTTP.";
    case 404: return "There is no such resource.";
    case 405: return "The resource does not support this method.";
    case 413: return "The request body is larger than " + std::to_string(max_body_size) + " bytes.";
    case 414: return "The request URI is too long.";
    case 416: return "The requested range cannot be satisfied.";
    default: return "The request failed with HTTP status " + std::to_string(status) + ".";
    }
}

} // namespace

void send_fault(httplib::Response& response, int status, const std::string& message)
{
    response.status = status;
    response.set_content(to_json_text(json { { "fault_message", message } }), "application/json");
}

void send_json(httplib::Response& response, int status, const json& body)
{
    response.status = status;
    response.set_content(to_json_text(body), "application/json");
}

struct HttpServer::Impl {
    std::filesystem::path socket_path;
    AdoptingHttpServer http;
    host::ListeningSocket socket {};
    std::thread thread;
};

namespace {

// Runs a handler, turning what it throws into the error response.
void call(const Route& route, const httplib::Request& request, httplib::Response& response)
{
    try {
        route.handler(request, response);
    } catch (const ApiError& error) {
        int status = error.status() >= 400 && error.status() <= 599 ? error.status() : 500;
        send_fault(response, status, error.what());
    } catch (const std::exception& error) {
        send_fault(response, 500, error.what());
    }
}

void add_routes(httplib::Server& http, const std::vector<Route>& routes)
{
    // httplib answers 404 for a known path under a method it has no handler for, so every other
    // method of each path gets one that answers 405, with the methods it has in Allow.
    using Register
        = httplib::Server& (httplib::Server::*)(const std::string&, httplib::Server::Handler);
    const std::pair<std::string_view, Register> methods[] = {
        { "GET", &httplib::Server::Get },
        { "POST", &httplib::Server::Post },
        { "PUT", &httplib::Server::Put },
        { "PATCH", &httplib::Server::Patch },
        { "DELETE", &httplib::Server::Delete },
        { "OPTIONS", &httplib::Server::Options },
    };
    std::vector<std::string> patterns;
    for (const auto& route : routes) {
        if (std::find(patterns.begin(), patterns.end(), route.pattern) == patterns.end())
            patterns.push_back(route.pattern);
    }
    for (const auto& pattern : patterns) {
        std::string allow;
        for (const auto& route : routes) {
            if (route.pattern == pattern)
                allow += (allow.empty() ? "" : ", ") + route.method;
        }
        for (const auto& [method, register_handler] : methods) {
            // Named apart: clang 14 cannot capture a structured binding.
            const std::string_view wanted = method;
            auto route = std::find_if(routes.begin(), routes.end(),
                [&](const Route& r) { return r.pattern == pattern && r.method == wanted; });
            if (route != routes.end()) {
                (http.*register_handler)(pattern,
                    [route = *route](const httplib::Request& request, httplib::Response& response) {
                        call(route, request, response);
                    });
                continue;
            }
            (http.*register_handler)(
                pattern, [allow](const httplib::Request&, httplib::Response& response) {
                    response.set_header("Allow", allow);
                    send_fault(response, 405, fault_message_for(405));
                });
        }
    }
}

} // namespace

void serve_routes(httplib::Server& http, const std::vector<Route>& routes)
{
    add_routes(http, routes);
    http.set_payload_max_length(max_body_size);
    // Errors httplib produces itself (404, 413, a malformed request) come with an empty body;
    // they get the same fault_message shape as ours. httplib 0.11.4 then applies the request's
    // Range to whatever error body there is, which would cut a fault_message to a fragment of
    // JSON (the fuzzer's find): an error is answered whole, so its request's ranges go. The
    // request is httplib's own, not const, so dropping them is well-defined.
    http.set_error_handler(httplib::Server::Handler {
        [](const httplib::Request& request, httplib::Response& response) {
            const_cast<httplib::Request&>(request).ranges.clear();
            if (response.has_header(kRelayedReplyField))
                response.headers.erase(kRelayedReplyField);
            else if (response.body.empty())
                send_fault(response, response.status, fault_message_for(response.status));
        } });
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& response, std::exception_ptr exception) {
            std::string message = "The request failed.";
            try {
                std::rethrow_exception(exception);
            } catch (const std::exception& error) {
                message = error.what();
            } catch (...) {
            }
            send_fault(response, 500, message);
        });
}

HttpServer::HttpServer(
    const std::filesystem::path& socket_path, std::vector<Route> routes, size_t workers)
    : m_impl(std::make_unique<Impl>())
{
    m_impl->socket_path = socket_path;
    auto& http = m_impl->http;
    serve_routes(http, routes);
    http.new_task_queue = [workers] { return new httplib::ThreadPool(workers); };
    http.set_keep_alive_timeout(keep_alive_timeout_seconds);

    m_impl->socket = host::create_listening_socket(socket_path);
    http.adopt_socket(m_impl->socket.fd);
    try {
        m_impl->thread = std::thread([&http] { http.listen_after_bind(); });
    } catch (...) {
        close(http.release_socket());
        unlink(socket_path.c_str());
        throw;
    }
}

HttpServer::~HttpServer()
{
    // httplib's stop() does nothing until the serving thread has marked itself running, so a
    // server destroyed right after it was made would leave that thread in accept() for good.
    // Taking the socket back has no such window: the thread checks svr_sock_ before accepting,
    // and shutdown() wakes an accept() or select() already waiting on a listening AF_UNIX
    // socket. The descriptor is closed only after the join, so it cannot be reused under it.
    int fd = m_impl->http.release_socket();
    shutdown(fd, SHUT_RDWR);
    m_impl->thread.join();
    host::remove_listening_socket(m_impl->socket_path, m_impl->socket);
}

} // namespace rvisor::api
