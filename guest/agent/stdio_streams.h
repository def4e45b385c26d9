// The byte copies between a process's stdio and the connections that OpenStdio turned into
// raw streams.
#pragma once

namespace rvisor::agent {

// Copies the process's output (a pipe or a pty's master) to the socket until the process's side
// closes, then ends the socket's sending side: the host reads EOF after the last byte. If the
// host goes away first, the output is still read to its end, so the process never blocks on a
// full pipe.
void copy_output_to_socket(int output, int socket);

// Copies the socket's bytes to the process's input until the host ends its sending side (or
// CloseStdin shuts the socket down), or the process closes its input.
void copy_socket_to_input(int socket, int input);

} // namespace rvisor::agent
