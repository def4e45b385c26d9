#pragma once
// The VM a container runs in, from its bundle: what the guest is given (kernel, the agent's
// initramfs, RAM, harts, the root filesystem and each directory bind mount as a virtio-fs
// share, the vsock device the agent listens on, a user-mode network interface) and what the
// runtime's defaults and the bundle's `io.rvisor.*` annotations change (docs/containers.md).
#include "machine/vm_spec.h"
#include "oci/bundle.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::oci {

// Where the runtime finds what every container VM boots.
struct RuntimeImages {
    std::filesystem::path kernel;
    std::vector<std::filesystem::path> initrds; // the agent's initramfs last
};

// A directory bind mount: the share with this tag, mounted by the agent at `destination`.
struct SharedMount {
    std::string tag;
    std::string destination;
    bool read_only = false;
};

// The guest's network: one user-mode (slirp) interface whose host sockets live in the bundle's
// network namespace, or in the runtime's own when the bundle names none (host networking), and
// the port forwards from that namespace to the guest's TCP listeners.
struct ContainerNetwork {
    std::optional<std::filesystem::path> namespace_path; // none: the runtime's own namespace
};

struct ContainerVm {
    machine::VmSpec spec;
    std::string root_tag; // the share holding the root filesystem
    std::vector<SharedMount> shared_mounts;
    // Bind mounts of single files (Podman's /etc/hosts, /etc/resolv.conf...), which a share
    // cannot carry: the agent is given their contents.
    std::vector<MountSpec> file_mounts;
    // None when the bundle asks for a new, empty network namespace: runc's container would have
    // only a loopback interface, so the guest gets no network device.
    std::optional<ContainerNetwork> network;
    // Whether the VM may start from (and leave) a template: annotation io.rvisor.template.
    bool use_template = true;
    // The root share read-only beneath an overlay whose writable layer is a tmpfs in the guest:
    // the container writes to its root, and what it writes is the VM's own (a function's
    // clones share one root and never see each other's writes).
    bool private_root_writes = false;
};

// A bind mount onto /dev/shm (Podman's and Docker's per-container shared memory), which the guest
// gets as a tmpfs of its own: memory shared with the host means nothing across a VM.
bool is_shm_bind(const MountSpec& mount);

// The harts a CPU quota (rounded up to whole cpus) or a cpuset asks for, or none when the
// resources set neither. Throws std::runtime_error for a period of 0 or a malformed cpuset.
std::optional<unsigned> harts_for_resources(const ResourceSpec& resources);

inline constexpr uint64_t kDefaultContainerMemory = 256ull << 20;
// The tag of the share holding the root filesystem.
inline constexpr const char* kRootTag = "rootfs";
// The guest's context id; vsock here is rvisor's own, so every VM may use the same.
inline constexpr uint64_t kContainerCid = 3;

// Throws std::runtime_error with one sentence naming the field or annotation that cannot be
// honoured (a network namespace path that does not exist or is not one). `vsock_socket` is where
// the agent's vsock device listens on the host.
ContainerVm plan_container_vm(const ContainerSpec& spec, const RuntimeImages& images,
    const std::filesystem::path& vsock_socket);

} // namespace rvisor::oci
