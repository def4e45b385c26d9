#include "control/vm_process.h"
#include "oci/agent_client.h"
#include "oci/commands.h"
#include "oci/monitor.h"
#include "oci/monitor_client.h"
#include "oci/process_tree.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <thread>

namespace rvisor::oci {

namespace {

using nlohmann::json;

// "5s", "500ms", "2m", as Go's durations that runc takes (whole numbers here).
std::chrono::milliseconds parse_interval(const std::string& text)
{
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [rest, error] = std::from_chars(text.data(), end, value);
    const std::string_view unit(rest, static_cast<size_t>(end - rest));
    const uint64_t scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60000 : 0;
    if (error != std::errc {} || scale == 0 || value == 0 || value > 86400000 / scale)
        throw std::runtime_error(fmt::format(
            "--interval '{}' is not a duration such as 5s, 500ms or 1m (up to a day)", text));
    return std::chrono::milliseconds(value * scale);
}

// runc's stats event, from what a VM has: the CPU time and resident memory of the container's
// host processes (the monitor and the VM process; the guest's own use is inside that), the
// VM's RAM as the limit, and the container's running processes as the agent counts them (not
// while paused: the agent is paused with the VM).
json stats_event(const StateStore& store, const ContainerId& id, const ContainerState& state)
{
    double cpu_seconds = 0;
    uint64_t rss_kib = 0;
    for (const pid_t process : process_tree(state.pid))
        if (const auto usage = control::process_usage(process)) {
            cpu_seconds += usage->cpu_seconds;
            rss_kib += usage->rss_kib;
        }
    const ContainerFiles files(store, id);
    const json vm = describe_vm(
        files.api(), fmt::format("cannot read the statistics of container {}", id.str()));
    const uint64_t limit = vm.at("mem_mib").get<uint64_t>() << 20;
    json data = { { "cpu", { { "usage", { { "total", std::llround(cpu_seconds * 1e9) } } } } },
        { "memory", { { "usage", { { "usage", rss_kib << 10 }, { "limit", limit } } } } } };
    if (state.status != ContainerStatus::Paused) {
        AgentConnection agent(files.vsock(), std::chrono::seconds(5));
        const json listed = agent.call("ListProcesses");
        unsigned running = 0;
        for (const auto& process : listed.at("processes"))
            running += process.value("running", false) ? 1 : 0;
        data["pids"] = { { "current", running } };
    }
    return { { "type", "stats" }, { "id", id.str() }, { "data", data } };
}

} // namespace

int run_events(const StateStore& store, const EventsCommand& command)
{
    const auto interval = parse_interval(command.interval);
    const ContainerId id(command.id);
    for (bool first = true;; first = false) {
        std::optional<json> event;
        try {
            const auto lock = store.lock(id);
            const ContainerState state = store.load(id);
            // Once the container has stopped there is nothing more to tell.
            if (!first && state.status == ContainerStatus::Stopped)
                return 0;
            require_status(id.str(), state.status, ContainerCommand::Events);
            event = stats_event(store, id, state);
        } catch (const std::runtime_error& error) {
            // As runc: after the first, a failed reading (a VM stopping while it was asked) is
            // reported and the next interval tries again.
            if (first)
                throw;
            fmt::print(stderr, "rvisor-oci: warning: {}\n", error.what());
        }
        if (event) {
            fmt::print("{}\n", event->dump());
            std::fflush(stdout);
        }
        if (command.stats)
            return 0;
        std::this_thread::sleep_for(interval);
    }
}

} // namespace rvisor::oci
