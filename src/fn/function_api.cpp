#include "fn/function_api.h"

#include "api/request_body.h"

namespace rvisor::fn {

namespace {

constexpr const char* kFunction = R"(/functions/([^/]+))";

} // namespace

std::vector<api::Route> function_api_routes(FunctionPlatform& platform)
{
    using Request = httplib::Request;
    using Response = httplib::Response;
    return {
        { "/functions", "GET",
            [&platform](const Request&, Response& response) {
                api::send_json(response, 200, platform.list());
            } },
        { "/functions", "POST",
            [&platform](const Request& request, Response& response) {
                api::send_json(
                    response, 201, platform.deploy(api::parse_json_object(request.body)));
            } },
        { kFunction, "GET",
            [&platform](const Request& request, Response& response) {
                api::send_json(response, 200, platform.show(request.matches[1]));
            } },
        { kFunction, "PUT",
            [&platform](const Request& request, Response& response) {
                api::send_json(response, 200,
                    platform.update(request.matches[1], api::parse_json_object(request.body)));
            } },
        { kFunction, "DELETE",
            [&platform](const Request& request, Response& response) {
                platform.remove(request.matches[1]);
                response.status = 204;
            } },
        { std::string(kFunction) + "/logs", "GET",
            [&platform](const Request& request, Response& response) {
                response.status = 200;
                response.set_content(platform.logs(request.matches[1]), "text/plain");
            } },
    };
}

} // namespace rvisor::fn
