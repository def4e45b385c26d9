// Lines for whoever watches the VM's console (the host's tests wait for RVISOR-AGENT-READY).
#pragma once

#include <string>

namespace rvisor::agent {

void print_line(const std::string& line);

} // namespace rvisor::agent
