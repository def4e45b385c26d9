#include "control/control_api.h"

#include "api/request_body.h"
#include "api/vm_patch.h"

namespace rvisor::control {

namespace {

using nlohmann::json;

// Creating a VM waits for it to start; more workers keep list and show answering meanwhile.
constexpr size_t kWorkers = 8;
constexpr const char* kVm = R"(/vms/([^/]+))";

} // namespace

std::vector<api::Route> control_api_routes(
    ControlProgram& program, std::function<std::string()> more_metrics)
{
    using Request = httplib::Request;
    using Response = httplib::Response;
    return {
        { "/vms", "GET",
            [&program](const Request&, Response& response) {
                api::send_json(response, 200, program.list());
            } },
        { "/vms", "POST",
            [&program](const Request& request, Response& response) {
                api::send_json(response, 201, program.create(api::parse_json_object(request.body)));
            } },
        { kVm, "GET",
            [&program](const Request& request, Response& response) {
                api::send_json(response, 200, program.show(request.matches[1]));
            } },
        { kVm, "PATCH",
            [&program](const Request& request, Response& response) {
                // Checked here, so that a malformed body never reaches the VM.
                api::parse_vm_patch(request.body);
                program.update(request.matches[1], nlohmann::json::parse(request.body));
                response.status = 204;
            } },
        { kVm, "DELETE",
            [&program](const Request& request, Response& response) {
                program.remove(request.matches[1]);
                response.status = 204;
            } },
        { std::string(kVm) + "/snapshot", "PUT",
            [&program](const Request& request, Response& response) {
                static const api::Field fields[] = {
                    { "snapshot_path", true, {} },
                    { "mem_file_path", true, {} },
                };
                const auto body = api::parse_string_fields(request.body, fields);
                program.snapshot(
                    request.matches[1], body.at("snapshot_path"), body.at("mem_file_path"));
                response.status = 204;
            } },
        { std::string(kVm) + "/balloon", "GET",
            [&program](const Request& request, Response& response) {
                api::send_json(response, 200, program.balloon(request.matches[1]));
            } },
        { std::string(kVm) + "/balloon", "PATCH",
            [&program](const Request& request, Response& response) {
                const uint64_t amount_mib = api::parse_balloon_patch(request.body);
                program.set_balloon(request.matches[1], { { "amount_mib", amount_mib } });
                response.status = 204;
            } },
        { std::string(kVm) + "/console", "GET",
            [&program](const Request& request, Response& response) {
                response.status = 200;
                response.set_content(program.console(request.matches[1]), "text/plain");
            } },
        { "/metrics", "GET",
            [&program, more_metrics](const Request&, Response& response) {
                response.status = 200;
                response.set_content(program.metrics() + (more_metrics ? more_metrics() : ""),
                    "text/plain; version=0.0.4");
            } },
    };
}

namespace {

std::vector<api::Route> joined(std::vector<api::Route> routes, std::vector<api::Route> more)
{
    routes.insert(
        routes.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
    return routes;
}

} // namespace

ControlApi::ControlApi(const std::filesystem::path& socket_path, ControlProgram& program,
    std::vector<api::Route> more_routes, std::function<std::string()> more_metrics)
    : m_server(socket_path,
        joined(control_api_routes(program, std::move(more_metrics)), std::move(more_routes)),
        kWorkers)
{
}

} // namespace rvisor::control
