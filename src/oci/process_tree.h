#pragma once
// A container's host processes: the monitor and those below it (the VM process), found through
// each thread's /proc/PID/task/TID/children.
#include <sys/types.h>

#include <vector>

namespace rvisor::oci {

// `root` first, then the processes it started and theirs; empty once `root` has exited.
std::vector<pid_t> process_tree(pid_t root);

// The threads of each of `processes` (a process that has just exited has none).
std::vector<pid_t> threads_of(const std::vector<pid_t>& processes);

} // namespace rvisor::oci
