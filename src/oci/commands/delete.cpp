#include "oci/commands.h"

#include <csignal>
#include <fmt/format.h>

namespace rvisor::oci {

int run_delete(const StateStore& store, const DeleteCommand& command)
{
    const ContainerId id(command.id);
    std::optional<ContainerLock> lock;
    try {
        lock.emplace(store.lock(id));
    } catch (const std::runtime_error&) {
        // containerd deletes, then deletes again with --force: a container already gone is
        // what --force asks for.
        if (command.force && !std::filesystem::exists(store.directory(id)))
            return 0;
        throw;
    }
    const ContainerState state = store.load(id);
    require_status(id.str(), state.status,
        command.force ? ContainerCommand::ForceDelete : ContainerCommand::Delete);
    // The monitor takes its VM with it (the VM process dies with its parent).
    if (state.status != ContainerStatus::Stopped && state.status != ContainerStatus::Creating
        && state.pid > 0)
        ::kill(state.pid, SIGKILL);
    store.remove(id);
    return 0;
}

} // namespace rvisor::oci
