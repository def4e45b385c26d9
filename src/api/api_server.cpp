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

std::vector<Route> vm_api_routes(VmControl& vm, std::mutex& vm_mutex)
{
    auto with_vm = [&vm, &vm_mutex](auto&& call) {
        std::scoped_lock lock(vm_mutex);
        return call(vm);
    };
    return {
        { "/", "GET",
            [with_vm](const httplib::Request&, httplib::Response& response) {
                send_json(response, 200, with_vm([](VmControl& vm) { return vm.describe(); }));
            } },
        { "/vm", "PATCH",
            [with_vm](const httplib::Request& request, httplib::Response& response) {
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
        { "/balloon", "GET",
            [with_vm](const httplib::Request&, httplib::Response& response) {
                send_json(
                    response, 200, with_vm([](VmControl& vm) { return vm.describe_balloon(); }));
            } },
        { "/balloon", "PATCH",
            [with_vm](const httplib::Request& request, httplib::Response& response) {
                const uint64_t amount_mib = parse_balloon_patch(request.body);
                with_vm([&](VmControl& vm) { vm.set_balloon(amount_mib); });
                response.status = 204;
            } },
        { "/snapshot/create", "PUT",
            [with_vm](const httplib::Request& request, httplib::Response& response) {
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
            [with_vm](const httplib::Request& request, httplib::Response& response) {
                static const Field fields[] = { { "action_type", true, { "Shutdown" } } };
                parse_string_fields(request.body, fields);
                with_vm([](VmControl& vm) { vm.shutdown(); });
                response.status = 204;
            } },
    };
}

ApiServer::ApiServer(const std::filesystem::path& socket_path, VmControl& vm)
    : m_server(std::make_unique<HttpServer>(socket_path, vm_api_routes(vm, m_mutex), kWorkers))
{
}

ApiServer::~ApiServer() = default;

} // namespace rvisor::api
