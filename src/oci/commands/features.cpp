#include "oci/commands.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace rvisor::oci {

// The runtime spec's features document (features.md): what a caller may rely on. Each container
// is a VM, so the host-kernel features runc lists (namespaces, cgroups, seccomp, AppArmor,
// SELinux) are the guest's business and not offered here, except the network namespace, which
// the VM joins; docs/containers.md lists what is.
int run_features()
{
    const nlohmann::json features = {
        { "ociVersionMin", "1.0.0" },
        { "ociVersionMax", kOciVersion },
        { "hooks", nlohmann::json::array() },
        { "mountOptions", { "bind", "rbind", "ro", "rw" } },
        { "linux",
            {
                { "namespaces", { "network" } },
                { "capabilities", nlohmann::json::array() },
                { "cgroup", { { "v1", false }, { "v2", false }, { "systemd", false } } },
                { "seccomp", { { "enabled", false } } },
                { "apparmor", { { "enabled", false } } },
                { "selinux", { { "enabled", false } } },
            } },
        { "annotations",
            {
                { "io.rvisor.kernel", "the guest kernel (Image) instead of the default" },
                { "io.rvisor.initrd", "the guest initramfs instead of the agent's" },
                { "io.rvisor.memory", "guest RAM, e.g. 512M, over linux.resources.memory.limit" },
                { "io.rvisor.cpus", "harts, 1 to 32, over the CPU quota and cpuset" },
                { "io.rvisor.template",
                    "false boots the VM instead of restoring the template for its shape" },
            } },
    };
    fmt::print("{}\n", features.dump(2));
    return 0;
}

} // namespace rvisor::oci
