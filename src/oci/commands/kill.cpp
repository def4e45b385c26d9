#include "oci/commands.h"
#include "oci/monitor.h"
#include "oci/monitor_client.h"
#include "oci/signal_name.h"

namespace rvisor::oci {

int run_kill(const StateStore& store, const KillCommand& command)
{
    const ContainerId id(command.id);
    const int signal = parse_signal(command.signal);
    const auto lock = store.lock(id);
    const ContainerState state = store.load(id);
    require_status(id.str(), state.status, ContainerCommand::Kill);
    send_to_monitor(ContainerFiles(store, id).monitor(),
        { { "command", "kill" }, { "signal", signal }, { "all", command.all } });
    return 0;
}

} // namespace rvisor::oci
