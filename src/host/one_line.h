#pragma once
// Error messages quote what the user gave (a flag's text, a path, a JSON value), which may hold
// a newline or a terminal escape: printed through this, every error stays one line.
#include <string>

namespace rvisor::host {

// Control characters as \xNN.
std::string one_line(const std::string& message);

} // namespace rvisor::host
