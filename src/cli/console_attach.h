#pragma once
// `rvisor vm console ID`: this terminal joined to a VM's console socket until Ctrl-A d.
#include <filesystem>
#include <string>

namespace rvisor::cli {

// Relays stdin to the console and the console to stdout. On a terminal the input is raw;
// Ctrl-A d detaches (the VM runs on) and Ctrl-A Ctrl-A sends one Ctrl-A, on a terminal or
// from a pipe. Returns when detached, at the end of input, or when the VM's console closes.
// Throws std::runtime_error with one sentence when the socket cannot be reached.
void attach_console(const std::filesystem::path& socket, const std::string& vm_id);

} // namespace rvisor::cli
