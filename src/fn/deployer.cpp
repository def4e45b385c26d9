#include "fn/deployer.h"

#include "api/unix_http_client.h"
#include "api/vm_control.h"
#include "fn/function_vm.h"
#include "fn/http_probe.h"
#include "host/child_process.h"
#include "host/last_line.h"
#include "oci/agent_client.h"
#include "oci/container_setup.h"
#include "oci/stream_join_client.h"
#include "vmm/vm_spec_builder.h"

#include <fmt/format.h>

#include <fstream>
#include <thread>

namespace rvisor::fn {

namespace {

using namespace std::chrono_literals;
using api::ApiError;
using nlohmann::json;

// A cold boot reaches the agent in about a second; this only catches a VM that never will.
constexpr auto kBootTimeout = 60s;
constexpr auto kProbeInterval = 50ms;

class DeployVm {
public:
    explicit DeployVm(const DeploySetup& setup)
        : m_setup(setup)
        , m_plan(plan_function_vm(setup.function, setup.rootfs, setup.images, vsock()))
    {
        std::ofstream(config()) << vmm::spec_to_json(m_plan.vm.spec).dump(2) << '\n';
        m_vm = std::make_unique<host::ChildProcess>(
            std::vector<std::string> { setup.rvisor.string(), "run", "--config", config().string(),
                "--console-log", (dir() / "console.log").string(), "--api-sock", api().string() },
            dir() / "vm.err");
    }
    ~DeployVm() { m_vm->finish(0ms); }
    DeployVm(const DeployVm&) = delete;
    DeployVm& operator=(const DeployVm&) = delete;

    Revision deploy()
    {
        const auto start = std::chrono::steady_clock::now();
        const auto since_start = [&] {
            return std::chrono::duration<double, std::milli>(
                std::chrono::steady_clock::now() - start)
                .count();
        };
        DeployTimes times;
        {
            oci::AgentConnection agent(vsock(), kBootTimeout, [this] { return m_vm->exited(); });
            times.agent = since_start();
            oci::set_up_container(agent, m_plan.container, m_plan.vm);
            start_server(agent);
            wait_until_ready(agent);
            times.ready = since_start();
        }
        warm_up();
        times.warm = since_start();
        Revision revision = snapshot();
        times.snapshot = since_start();
        revision.times = times;
        return revision;
    }

private:
    const std::filesystem::path& dir() const { return m_setup.directory; }
    std::filesystem::path vsock() const { return dir() / "vsock"; }
    std::filesystem::path config() const { return dir() / "vm.json"; }
    std::filesystem::path api() const { return dir() / "api.sock"; }
    const FunctionSpec& function() const { return m_setup.function; }

    void start_server(oci::AgentConnection& agent)
    {
        try {
            agent.call("CreateProcess", function_process_params(m_plan));
            agent.call("StartProcess", { { "exec_id", kServerExecId } });
        } catch (const oci::AgentError& error) {
            throw ApiError(400,
                fmt::format("The command {} cannot start: {}", json(function().command).dump(),
                    error.what()));
        }
    }

    // Why the server stopped, when it has: its exit status and the last line it wrote.
    std::optional<std::string> server_stopped(oci::AgentConnection& agent)
    {
        const json listing = agent.call("ListProcesses");
        for (const json& process : listing.at("processes"))
            if (process.at("exec_id") == kServerExecId && process.at("running") == true)
                return std::nullopt;
        const json status = agent.call("WaitProcess", { { "exec_id", kServerExecId } });
        std::string how = status.at("signal").is_null()
            ? fmt::format("exited with status {}", status.at("exit_code").dump())
            : fmt::format("was killed by signal {}", status.at("signal").dump());
        const std::string output = host::last_line_of(dir() / "console.log");
        return output.empty() ? how : fmt::format("{} ({})", how, output);
    }

    void wait_until_ready(oci::AgentConnection& agent)
    {
        const auto timeout = std::chrono::seconds(function().timeout_s);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            if (auto why = server_stopped(agent))
                throw ApiError(400,
                    fmt::format("The command {} {} before its port {} answered.",
                        json(function().command).dump(), *why, function().port));
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left <= 0ms)
                throw ApiError(400,
                    fmt::format("The function's port {} did not answer GET {} within {} s.",
                        function().port, function().readiness_path, function().timeout_s));
            try {
                host::UniqueFd stream(oci::join_guest_stream(vsock(), function().port, left));
                if (probe_http(std::move(stream), function().readiness_path, left))
                    return;
            } catch (const oci::AgentError&) {
                // Nothing listens on the port yet.
            }
            std::this_thread::sleep_for(kProbeInterval);
        }
    }

    // The requests the snapshot should have seen, so that what a request initialises lazily is
    // in every clone already.
    void warm_up()
    {
        const auto timeout = std::chrono::seconds(function().timeout_s);
        for (unsigned i = 0; i < function().warmup.requests; ++i) {
            host::UniqueFd stream(oci::join_guest_stream(vsock(), function().port, timeout));
            if (!probe_http(std::move(stream), function().warmup.path, timeout))
                throw ApiError(400,
                    fmt::format("The warm-up request GET {} got no HTTP reply within {} s.",
                        function().warmup.path, function().timeout_s));
        }
    }

    Revision snapshot()
    {
        const auto call = [&](const char* method, const char* path, const json& body) {
            const api::HttpReply reply = api::unix_http_request(api(), method, path, body);
            if (reply.status >= 400)
                throw ApiError(500,
                    fmt::format(
                        "{} {} on the function's VM: {}", method, path, reply.fault_message()));
        };
        Revision revision { dir() / "vm.state", dir() / "vm.mem", m_plan.vm.spec.shares.at(0), {} };
        call("PATCH", "/vm", { { "state", "Paused" } });
        call("PUT", "/snapshot/create",
            { { "snapshot_path", revision.state_file.string() },
                { "mem_file_path", revision.memory_file.string() } });
        return revision;
    }

    const DeploySetup& m_setup;
    FunctionVm m_plan;
    std::unique_ptr<host::ChildProcess> m_vm;
};

} // namespace

Revision deploy_revision(const DeploySetup& setup)
{
    std::filesystem::create_directories(setup.directory);
    try {
        std::optional<DeployVm> vm;
        try {
            vm.emplace(setup);
            return vm->deploy();
        } catch (const ApiError&) {
            throw;
        } catch (const std::exception& error) {
            std::string reason = error.what();
            const std::string line = host::last_line_of(setup.directory / "vm.err");
            if (!line.empty())
                reason = fmt::format("{} ({})", reason, line);
            throw ApiError(500, fmt::format("The function's VM failed: {}", reason));
        }
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(setup.directory, ignored);
        throw;
    }
}

} // namespace rvisor::fn
