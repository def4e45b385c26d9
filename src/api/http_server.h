#pragma once
// HTTP/1.1 on a Unix socket (mode 0600), the transport of both rvisor APIs: one VM's
// (api_server.h) and the control program's (control/control_api.h). Every error is a 4xx/5xx
// status with {"fault_message": "..."}; a handler reports one by throwing ApiError.
#include "api/vm_control.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rvisor::api {

// httplib 0.11.4 makes only TCP sockets of its own, with a backlog of 5, and stops a server only
// once its thread has marked itself running. It serves whatever listening socket is in svr_sock_,
// so servers hand it theirs (an AF_UNIX one for the APIs, a TCP one with a deep backlog for the
// function gateway), and taking the socket back stops it at any point.
class AdoptingHttpServer final : public httplib::Server {
public:
    void adopt_socket(int fd) { svr_sock_ = fd; }
    int release_socket() { return svr_sock_.exchange(INVALID_SOCKET); }
};

struct Route {
    std::string pattern; // httplib's: a literal path or a regular expression
    std::string method;
    std::function<void(const httplib::Request&, httplib::Response&)> handler;
};

class HttpServer {
public:
    // Binds `socket_path` (mode 0600; refuses to replace anything but a stale socket) and
    // serves `routes` on `workers` threads until destroyed; a route's other methods answer
    // 405. Throws std::runtime_error with one sentence when the socket cannot be made.
    HttpServer(
        const std::filesystem::path& socket_path, std::vector<Route> routes, size_t workers = 4);
    // Stops serving and removes the socket file.
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// Makes `http` answer `routes` as HttpServer does: a route's other methods answer 405, every
// error (httplib's own included) a fault_message. HttpServer adds the socket and the threads;
// the fuzz harness hands requests to it directly.
void serve_routes(httplib::Server& http, const std::vector<Route>& routes);

// The field a handler that relays a reply made elsewhere (the function gateway) puts on an error
// reply: the error handler, which otherwise gives an error without a body a fault_message,
// removes the field and sends the reply as it is.
inline constexpr char kRelayedReplyField[] = "X-Rvisor-Relayed-Reply";

void send_fault(httplib::Response& response, int status, const std::string& message);
void send_json(httplib::Response& response, int status, const nlohmann::json& body);

} // namespace rvisor::api
