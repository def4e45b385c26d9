#pragma once
#include <string>

namespace rvisor::oci {

// A signal as `kill` takes it: a number, or a name with or without SIG (TERM, SIGKILL, usr1).
// Throws std::runtime_error naming the text.
int parse_signal(const std::string& text);

} // namespace rvisor::oci
