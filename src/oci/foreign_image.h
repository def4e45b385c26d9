#pragma once
// Containers whose program is not a RISC-V one (a pod's pause container, host-architecture
// sidecars) are runc's to run, unchanged: rvisor-oci tells them apart by the ELF header of the
// program process.args[0] names, resolved inside the root filesystem as the container would
// (PATH from the process's environment, symlinks relative to the root).
#include "oci/bundle.h"

namespace rvisor::oci {

// True when args[0] resolves to an ELF file for another machine than RISC-V. A script, a
// missing program or a RISC-V ELF stays rvisor's (the agent reports what is wrong with it).
bool is_foreign_program(const ContainerSpec& spec);

} // namespace rvisor::oci
