#pragma once
// The VM a function runs in: a container VM (oci/container_vm.h) whose root is the function's
// root filesystem, shared read-only beneath a writable layer of the VM's own, with the kernel
// file systems a server expects, no network device (requests arrive over vsock through the
// agent's stream join), and the function's command as its process, its output on the console.
#include "fn/function_spec.h"
#include "oci/bundle.h"
#include "oci/container_vm.h"

#include <nlohmann/json.hpp>

#include <filesystem>

namespace rvisor::fn {

struct FunctionVm {
    oci::ContainerSpec container;
    oci::ContainerVm vm;
};

// Throws std::runtime_error as plan_container_vm does.
FunctionVm plan_function_vm(const FunctionSpec& function, const std::filesystem::path& rootfs,
    const oci::RuntimeImages& images, const std::filesystem::path& vsock_socket);

// CreateProcess's parameters for the function's server (docs/agent-protocol.md).
nlohmann::json function_process_params(const FunctionVm& function_vm);

// The agent's name for the function's server process.
inline constexpr const char* kServerExecId = "server";

} // namespace rvisor::fn
