#pragma once
// The signals an engine sends the --pid-file process itself (containerd signals an exec's
// process so, and conmon passes on what the user sends) are meant for the container's process:
// SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 go on to it through the agent.
#include "oci/process_session.h"

namespace rvisor::oci {

// Blocks those signals in the calling thread, which every thread started later inherits: call
// it before any.
void block_forwarded_signals();

// A thread of its own that takes each of those signals and sends it to `session`'s process.
void forward_signals(ProcessSession& session);

} // namespace rvisor::oci
