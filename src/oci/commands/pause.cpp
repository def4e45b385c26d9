#include "api/unix_http_client.h"
#include "oci/commands.h"
#include "oci/monitor.h"

#include <fmt/format.h>

namespace rvisor::oci {

// The VM itself pauses (its harts and devices stop), through its API socket.
int run_pause(const StateStore& store, const PauseCommand& command)
{
    const ContainerId id(command.id);
    const auto lock = store.lock(id);
    ContainerState state = store.load(id);
    require_status(
        id.str(), state.status, command.pause ? ContainerCommand::Pause : ContainerCommand::Resume);
    const auto reply = api::unix_http_request(ContainerFiles(store, id).api(), "PATCH", "/vm",
        nlohmann::json { { "state", command.pause ? "Paused" : "Resumed" } });
    if (reply.status != 204)
        throw std::runtime_error(fmt::format("cannot {} container {}: {}",
            command.pause ? "pause" : "resume", id.str(), reply.fault_message()));
    state.status = command.pause ? ContainerStatus::Paused : ContainerStatus::Running;
    store.save(state);
    return 0;
}

} // namespace rvisor::oci
