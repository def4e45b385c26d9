// The end of the VM: PID 1 must never exit (the kernel panics), so the agent powers off instead.
#pragma once

#include <string_view>

namespace rvisor::agent {

[[noreturn]] void power_off_now();
// Prints "rvisor-agent: <sentence>" on the console, then powers off.
[[noreturn]] void fail(std::string_view sentence);

} // namespace rvisor::agent
