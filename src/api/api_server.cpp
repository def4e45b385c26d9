#include "api/api_server.h"

#include "api/request_body.h"
#include "api/vm_patch.h"

#include <mutex>

namespace rvisor::api {

namespace {

// The API is one client (an orchestrator) on a local socket, and calls into the VM are
// serialized anyway; a few threads only keep one idle keep-alive connection from stalling
// another client.
constexpr size_t kWorkers = 4;

} // namespace

template <typename Call> auto ApiServer::with_vm(Call&& call)
{
    std::scoped_lock lock(m_mutex);
    return call(m_vm);
}

std::vector<Route> ApiServer::routes()
{
    return {
        { "/", "GET",
            [this](const httplib::Request&, httplib::Response& response) {
                send_json(response, 200, with_vm([](VmControl& vm) { return vm.describe(); }));
            } },
        { "/vm", "PATCH",
            [this](const httplib::Request& request, httplib::Response& response) {
                const VmPatch patch = parse_vm_patch(request.body);
                with_vm([&](VmControl& vm) {
                    // Limits first: a request that also pauses leaves them set for the resume.
                    if (!patch.disks.empty() || !patch.nets.empty())
                        vm.change_rate_limits(patch.disks, patch.nets);
                    if (patch.state == "Paused")
                        vm.pause();
                    else if (patch.state == "Resumed")
                        vm.resume();
                });
                response.status = 204;
            } },
        { "/snapshot/create", "PUT",
            [this](const httplib::Request& request, httplib::Response& response) {
                static const Field fields[] = {
                    { "snapshot_path", true, {} },
                    { "mem_file_path", true, {} },
                    { "snapshot_type", false, { "Full" } },
                };
                const auto body = parse_string_fields(request.body, fields);
                with_vm([&](VmControl& vm) {
                    vm.create_snapshot(body.at("snapshot_path"), body.at("mem_file_path"));
                });
                response.status = 204;
            } },
        { "/actions", "PUT",
            [this](const httplib::Request& request, httplib::Response& response) {
                static const Field fields[] = { { "action_type", true, { "Shutdown" } } };
                parse_string_fields(request.body, fields);
                with_vm([](VmControl& vm) { vm.shutdown(); });
                response.status = 204;
            } },
    };
}

ApiServer::ApiServer(const std::filesystem::path& socket_path, VmControl& vm)
    : m_vm(vm)
    , m_server(std::make_unique<HttpServer>(socket_path, routes(), kWorkers))
{
}

ApiServer::~ApiServer() = default;

} // namespace rvisor::api
