#pragma once
// The control program's HTTP API (docs/control.md, docs/api/openapi.yaml) on a Unix socket.
#include "api/http_server.h"
#include "control/control_program.h"

#include <filesystem>
#include <vector>

namespace rvisor::control {

// The routes of the control program's API, each a call into `program`.
std::vector<api::Route> control_api_routes(ControlProgram& program);

class ControlApi {
public:
    ControlApi(const std::filesystem::path& socket_path, ControlProgram& program);

private:
    api::HttpServer m_server;
};

} // namespace rvisor::control
