#pragma once
// What each rvisor-oci command does, given its parsed flags. Each returns the process's exit
// status and throws std::runtime_error with one sentence for the caller to log.
#include "oci/cli.h"
#include "oci/runtime_log.h"
#include "oci/state_store.h"

namespace rvisor::oci {

// `args` is the command line, which runc gets unchanged when the bundle's program is not RISC-V
// (foreign_image.h). The monitor's warnings and template reports go to `log`.
int run_create(const StateStore& store, const CreateCommand& command,
    const std::vector<std::string>& args, const RuntimeLog& log);
// create and start; unless detached, waits for the container's process, passing on the signals
// this process receives, deletes the container (unless kept) and returns the process's status.
int run_run(const StateStore& store, const RunCommand& command,
    const std::vector<std::string>& args, const RuntimeLog& log);
int run_start(const StateStore& store, const StartCommand& command);
int run_kill(const StateStore& store, const KillCommand& command);
int run_exec(const StateStore& store, const ExecCommand& command);
int run_pause(const StateStore& store, const PauseCommand& command);
int run_ps(const StateStore& store, const PsCommand& command);
// Warnings (a limit a VM cannot honour) go to `log` and stderr.
int run_update(const StateStore& store, const UpdateCommand& command, const RuntimeLog& log);
int run_events(const StateStore& store, const EventsCommand& command);
int run_state(const StateStore& store, const StateCommand& command);
int run_delete(const StateStore& store, const DeleteCommand& command);
int run_list(const StateStore& store, const ListCommand& command);
int run_features();

} // namespace rvisor::oci
