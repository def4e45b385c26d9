// rvisor-oci: the OCI runtime (docs/containers.md). runc's command line; every error ends here as
// one line on stderr (and in --log), with exit status 1.
#include "oci/cli.h"
#include "oci/commands.h"
#include "oci/runc_delegation.h"

#include <cstdio>
#include <stdexcept>
#include <type_traits>

int main(int argc, char** argv)
{
    using namespace rvisor::oci;
    auto parsed = parse_command_line(argc, argv);
    if (const int* status = std::get_if<int>(&parsed))
        return *status;
    const Invocation& invocation = std::get<Invocation>(parsed);
    RuntimeLog log;
    try {
        if (invocation.global.log)
            log = RuntimeLog(*invocation.global.log, invocation.global.log_format);
        // Containers whose program is not RISC-V are runc's, from create to delete.
        const std::vector<std::string> args(argv + 1, argv + argc);
        const auto& root = invocation.global.root;
        if (const auto id = container_id_of(invocation.command); id
            && !std::holds_alternative<CreateCommand>(invocation.command)
            && !std::holds_alternative<RunCommand>(invocation.command) && runc_holds(root, *id))
            exec_runc(root, args);
        return std::visit(
            [&](const auto& command) -> int {
                using T = std::decay_t<decltype(command)>;
                if constexpr (std::is_same_v<T, FeaturesCommand>) {
                    return run_features();
                } else {
                    const StateStore store(invocation.global.root);
                    if constexpr (std::is_same_v<T, CreateCommand>)
                        return run_create(store, command, args, log);
                    else if constexpr (std::is_same_v<T, RunCommand>)
                        return run_run(store, command, args, log);
                    else if constexpr (std::is_same_v<T, StartCommand>)
                        return run_start(store, command);
                    else if constexpr (std::is_same_v<T, KillCommand>)
                        return run_kill(store, command);
                    else if constexpr (std::is_same_v<T, ExecCommand>)
                        return run_exec(store, command);
                    else if constexpr (std::is_same_v<T, PauseCommand>)
                        return run_pause(store, command);
                    else if constexpr (std::is_same_v<T, PsCommand>)
                        return run_ps(store, command);
                    else if constexpr (std::is_same_v<T, UpdateCommand>)
                        return run_update(store, command, log);
                    else if constexpr (std::is_same_v<T, EventsCommand>)
                        return run_events(store, command);
                    else if constexpr (std::is_same_v<T, StateCommand>)
                        return run_state(store, command);
                    else if constexpr (std::is_same_v<T, DeleteCommand>)
                        return run_delete(store, command);
                    else
                        return run_list(store, command);
                }
            },
            invocation.command);
    } catch (const std::exception& error) {
        log.error(error.what());
        return 1;
    }
}
