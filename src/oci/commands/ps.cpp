#include "oci/agent_client.h"
#include "oci/commands.h"
#include "oci/monitor.h"

#include <fmt/format.h>

namespace rvisor::oci {

// The container's processes as the agent knows them (the container's process and those exec
// started), with their pids in the guest: there is no host process to list.
int run_ps(const StateStore& store, const PsCommand& command)
{
    const ContainerId id(command.id);
    const auto lock = store.lock(id);
    const ContainerState state = store.load(id);
    require_status(id.str(), state.status, ContainerCommand::Exec);
    AgentConnection agent(ContainerFiles(store, id).vsock(), std::chrono::seconds(5));
    const nlohmann::json processes = agent.call("ListProcesses").at("processes");
    if (command.json) {
        nlohmann::json pids = nlohmann::json::array();
        for (const auto& process : processes)
            if (process.value("running", false))
                pids.push_back(process.at("pid"));
        fmt::print("{}\n", pids.dump());
        return 0;
    }
    fmt::print("{:<10}{}\n", "PID", "EXEC ID");
    for (const auto& process : processes)
        if (process.value("running", false))
            fmt::print("{:<10}{}\n", process.at("pid").get<int>(),
                process.at("exec_id").get<std::string>());
    return 0;
}

} // namespace rvisor::oci
