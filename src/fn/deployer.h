#pragma once
// Deploying a function revision: boot its VM, set up its root and start its server, wait until
// the server answers on its readiness path, send the warm-up requests, then pause the VM and
// snapshot it. Every instance of the revision is a clone of that snapshot (docs/serverless.md).
#include "fn/function_spec.h"
#include "machine/vm_spec.h"
#include "oci/container_vm.h"

#include <filesystem>

namespace rvisor::fn {

struct DeploySetup {
    std::filesystem::path rvisor;
    oci::RuntimeImages images;
    FunctionSpec function;
    std::filesystem::path rootfs; // the function's root directory, found for an image
    std::filesystem::path directory; // the revision's, made here
};

// Where a deploy's time went, in milliseconds from its start.
struct DeployTimes {
    double agent = 0; // the VM booted to its agent
    double ready = 0; // the server answered its readiness path
    double warm = 0; // the warm-up requests answered
    double snapshot = 0; // the snapshot written (its own time: snapshot - warm)
};

struct Revision {
    std::filesystem::path state_file;
    std::filesystem::path memory_file;
    machine::FsShareConfig root_share;
    DeployTimes times;
};

// Throws api::ApiError: 400 when the command cannot start, exits, or its port does not answer
// within the function's timeout_s (with the last line of its output), 500 when the host
// failed. The deploy VM is stopped either way; on failure the directory is removed.
Revision deploy_revision(const DeploySetup& setup);

} // namespace rvisor::fn
