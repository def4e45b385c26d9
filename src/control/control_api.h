#pragma once
// The control program's HTTP API (docs/control.md, docs/api/openapi.yaml) on a Unix socket.
#include "api/http_server.h"
#include "control/control_program.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace rvisor::control {

// The routes of the control program's API, each a call into `program`; GET /metrics adds
// `more_metrics`' text (the function platform's series) when given.
std::vector<api::Route> control_api_routes(
    ControlProgram& program, std::function<std::string()> more_metrics = {});

class ControlApi {
public:
    // Serves control_api_routes and `more_routes` (the function platform's paths).
    ControlApi(const std::filesystem::path& socket_path, ControlProgram& program,
        std::vector<api::Route> more_routes = {}, std::function<std::string()> more_metrics = {});

private:
    api::HttpServer m_server;
};

} // namespace rvisor::control
