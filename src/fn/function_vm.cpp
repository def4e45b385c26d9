#include "fn/function_vm.h"

#include "oci/container_setup.h"

#include <fmt/format.h>

namespace rvisor::fn {

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// What runc's default spec gives a container, less what a server behind vsock has no use for.
std::vector<oci::MountSpec> server_mounts()
{
    return {
        { "/proc", "proc", "proc", { "nosuid", "noexec", "nodev" } },
        { "/dev", "tmpfs", "tmpfs", { "nosuid", "strictatime", "mode=755", "size=65536k" } },
        { "/dev/pts", "devpts", "devpts", { "nosuid", "noexec" } },
        { "/dev/shm", "tmpfs", "shm", { "nosuid", "noexec", "nodev", "mode=1777" } },
        { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro" } },
        { "/tmp", "tmpfs", "tmpfs", { "nosuid", "nodev", "mode=1777" } },
    };
}

} // namespace

FunctionVm plan_function_vm(const FunctionSpec& function, const std::filesystem::path& rootfs,
    const oci::RuntimeImages& images, const std::filesystem::path& vsock_socket)
{
    FunctionVm planned;
    oci::ContainerSpec& container = planned.container;
    container.root = rootfs;
    container.root_readonly = true;
    container.hostname = function.name;
    container.mounts = server_mounts();
    // A new network namespace of its own: runc's container would have only loopback, and the
    // VM gets no network device.
    container.namespaces = { { "network", "" } };
    container.resources.memory_limit = static_cast<int64_t>(function.mem_mib << 20);
    container.annotations["io.rvisor.cpus"] = fmt::format("{}", function.cpus);
    oci::ProcessSpec process;
    process.args = function.command;
    process.cwd = std::string(1, '/');
    bool has_path = false;
    for (const auto& [name, value] : function.env) {
        if (name == "PORT")
            continue;
        has_path = has_path || name == "PATH";
        process.env.push_back(fmt::format("{}={}", name, value));
    }
    if (!has_path)
        process.env.push_back(fmt::format("PATH={}", kDefaultPath));
    process.env.push_back(fmt::format("PORT={}", function.port));
    container.process = process;

    planned.vm = oci::plan_container_vm(container, images, vsock_socket);
    planned.vm.private_root_writes = true;
    return planned;
}

nlohmann::json function_process_params(const FunctionVm& function_vm)
{
    nlohmann::json params
        = oci::create_process_params(kServerExecId, *function_vm.container.process);
    params["console_output"] = true;
    return params;
}

} // namespace rvisor::fn
