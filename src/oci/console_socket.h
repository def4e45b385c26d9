#pragma once
// A terminal for a container's process, as runc hands one to conmon or containerd's shim: a
// pseudo-terminal pair whose master goes over the caller's --console-socket.
#include <filesystem>

namespace rvisor::oci {

// Makes the pair, sends the master (one SCM_RIGHTS message whose data is the terminal's name),
// and returns the other end, in raw mode: the guest's terminal does the line discipline. Throws
// std::runtime_error with one sentence.
int send_terminal(const std::filesystem::path& console_socket);

} // namespace rvisor::oci
