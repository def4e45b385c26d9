// The agent's listeners' accept loop step, for the RPC port and the stream join port alike.
#pragma once

#include <string_view>

namespace rvisor::agent {

// The next connection on `listener`. A shortage of descriptors or memory is waited out (the
// waiting connection gets its turn later); any other failure powers the guest off naming
// `what`, since the agent cannot serve without its listener.
int accept_connection(int listener, std::string_view what);

} // namespace rvisor::agent
