#include "oci/commands.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rvisor::oci {

int run_list(const StateStore& store, const ListCommand& command)
{
    nlohmann::json containers = nlohmann::json::array();
    std::vector<ContainerState> states;
    for (const std::string& name : store.ids()) {
        const ContainerId id(name);
        const auto lock = store.lock(id);
        states.push_back(store.load(id));
    }
    if (command.quiet) {
        for (const ContainerState& state : states)
            fmt::print("{}\n", state.id);
        return 0;
    }
    if (command.json) {
        for (const ContainerState& state : states)
            containers.push_back(state.to_oci_state());
        fmt::print("{}\n", containers.dump());
        return 0;
    }
    fmt::print("{:<24}{:<10}{:<10}{:<40}{}\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
    for (const ContainerState& state : states)
        fmt::print("{:<24}{:<10}{:<10}{:<40}{}\n", state.id,
            state.status == ContainerStatus::Stopped ? 0 : state.pid, status_name(state.status),
            state.bundle.string(), state.created);
    return 0;
}

} // namespace rvisor::oci
