#include "oci/commands.h"
#include "oci/monitor.h"
#include "oci/monitor_client.h"

namespace rvisor::oci {

int run_start(const StateStore& store, const StartCommand& command)
{
    const ContainerId id(command.id);
    const auto lock = store.lock(id);
    ContainerState state = store.load(id);
    require_status(id.str(), state.status, ContainerCommand::Start);
    send_to_monitor(ContainerFiles(store, id).monitor(), { { "command", "start" } });
    state.status = ContainerStatus::Running;
    store.save(state);
    return 0;
}

} // namespace rvisor::oci
