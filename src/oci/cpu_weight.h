#pragma once
// A container's CPU shares, honoured on the host: the VM's threads run at the nice level whose
// scheduler weight is nearest the shares. cgroup v1's cpu.shares and the kernel's CFS weights
// share a scale (1024 for nice 0), so shares of 512 get about half a default process's time
// when both compete for a core, as runc's cgroup would give them.
#include <sys/types.h>

#include <cstdint>

namespace rvisor::oci {

// From -20 (shares of 88761 or more) to 19 (15 or fewer).
int nice_for_cpu_shares(uint64_t shares);

// Sets the nice level of every thread of `root` and of the processes below it. Throws
// std::runtime_error naming the thread and the reason (raising priority needs CAP_SYS_NICE).
void set_process_tree_nice(pid_t root, int nice);

} // namespace rvisor::oci
