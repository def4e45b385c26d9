#pragma once
// rvisor's API: HTTP/1.1 with JSON bodies on a Unix socket, as Firecracker's (docs/api.md,
// docs/openapi.json). Every error is a 4xx/5xx status with {"fault_message": "..."}.
#include "api/http_server.h"
#include "api/vm_control.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

namespace rvisor::api {

// The routes of one VM's API. VmControl is not required to be thread-safe and httplib runs
// handlers on several threads, so every call into `vm` holds `vm_mutex`.
std::vector<Route> vm_api_routes(VmControl& vm, std::mutex& vm_mutex);

class ApiServer {
public:
    // Binds `socket_path` (mode 0600; refuses to replace anything but a stale socket) and
    // serves requests on its own thread until destroyed. Throws std::runtime_error with one
    // sentence when the socket cannot be made.
    ApiServer(const std::filesystem::path& socket_path, VmControl& vm);
    // Stops serving and removes the socket file.
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

private:
    std::mutex m_mutex;
    std::unique_ptr<HttpServer> m_server; // last: stops serving before the rest goes
};

} // namespace rvisor::api
