// Two connected sockets joined into one stream: what the stream join service does in the guest
// (vsock ↔ the guest's TCP server) and the host's port forwards do outside (a TCP client ↔ the
// VM's vsock socket). Shared by the agent and the host.
#pragma once

namespace rvisor::agent {

// Copies bytes both ways until both directions have ended, and returns; the caller closes the
// sockets. An end of stream on one side is passed on as a shutdown of the other's sending
// side, so a half-closed stream (a client that shuts down its writes and then reads the
// answer) keeps working; an error on either side ends both directions. One thread per
// direction (this one and one more): each blocks only on its own direction.
void relay_both_ways(int first, int second);

} // namespace rvisor::agent
