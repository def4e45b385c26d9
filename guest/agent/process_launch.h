// Forking a process the way CreateProcess asks: its stdio on pipes or a pty, its identity and
// root set, blocked before exec until StartProcess.
#pragma once

#include "protocol.h"
#include "unique_fd.h"

#include <sys/types.h>
#include <variant>

namespace rvisor::agent {

// The agent's ends of a launched process's descriptors.
struct LaunchedProcess {
    pid_t pid = -1;
    UniqueFd start_writer; // one byte lets the child go on to exec
    UniqueFd exec_error_reader; // EOF when exec succeeded, else why the child gave up
    UniqueFd stdin_writer; // pipes, when not a terminal
    UniqueFd stdout_reader;
    UniqueFd stderr_reader;
    UniqueFd terminal; // the pty's master, when a terminal: stdin and stdout both
};

// Forks the child. It may be called with other threads running: the child only makes
// async-signal-safe calls on data prepared before the fork.
std::variant<LaunchedProcess, CallError> launch_process(const CreateProcess& request);

// Lets the child exec; nullopt when it did, or why it could not (the child then exits 127).
std::optional<CallError> start_process(UniqueFd start_writer, UniqueFd exec_error_reader);

} // namespace rvisor::agent
