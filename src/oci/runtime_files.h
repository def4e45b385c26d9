#pragma once
// Where rvisor-oci finds what it runs: the rvisor binary beside itself, and the guest kernel and
// the agent's initramfs, from $RVISOR_OCI_KERNEL and $RVISOR_OCI_INITRD, else where
// `cmake --install` puts them (PREFIX/share/rvisor/ beside PREFIX/bin/), else, for a build tree,
// BUILD/guest/ (the reference guest's Image linked there by the build, and the agent's
// initramfs) (docs/containers.md).
#include "oci/container_vm.h"

#include <filesystem>

namespace rvisor::oci {

struct RuntimeFiles {
    std::filesystem::path rvisor;
    RuntimeImages images;
};

// Throws std::runtime_error naming what is missing and how to provide it.
RuntimeFiles find_runtime_files();

} // namespace rvisor::oci
