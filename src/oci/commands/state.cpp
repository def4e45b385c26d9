#include "oci/commands.h"

#include <fmt/format.h>

namespace rvisor::oci {

int run_state(const StateStore& store, const StateCommand& command)
{
    const ContainerId id(command.id);
    const auto lock = store.lock(id);
    fmt::print("{}\n", store.load(id).to_oci_state().dump(2));
    return 0;
}

} // namespace rvisor::oci
