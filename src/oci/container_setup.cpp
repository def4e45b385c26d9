#include "oci/container_setup.h"

#include "agent/protocol.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace rvisor::oci {

namespace {

// Options only runc understands (it copies a directory's content up, or maps ids); the guest's
// mount(2) would take them as file system data and fail.
bool runc_only_option(const std::string& option)
{
    return option == "tmpcopyup" || option == "idmap" || option == "ridmap"
        || option.starts_with("uidmap=") || option.starts_with("gidmap=");
}

std::vector<std::string> guest_options(const MountSpec& mount)
{
    std::vector<std::string> options;
    std::copy_if(mount.options.begin(), mount.options.end(), std::back_inserter(options),
        [](const std::string& option) { return !runc_only_option(option); });
    return options;
}

std::string guest_target(const std::string& destination)
{
    return std::string(kGuestRootfs) + (destination.starts_with('/') ? "" : "/") + destination;
}

bool read_only(const MountSpec& mount)
{
    return std::find(mount.options.begin(), mount.options.end(), "ro") != mount.options.end();
}

// The guest's side of the user-mode network's fixed plan (host/slirp_network.h): its address,
// the gateway (the namespace's own loopback seen from the guest) and slirp's DNS forwarder.
constexpr const char* kGuestInterface = "eth0";
constexpr const char* kGuestAddress = "10.0.2.15";
constexpr unsigned kGuestPrefixLength = 24;
constexpr const char* kGatewayAddress = "10.0.2.2";
constexpr const char* kResolvConf = "nameserver 10.0.2.3\n";

// A root with private writes: the share, and the tmpfs holding the overlay's upper layer.
constexpr const char* kRootLowerLayer = "/run/rvisor/root-share";
constexpr const char* kRootUpperLayer = "/run/rvisor/root-layer";

bool binds_destination(const ContainerSpec& spec, const std::string& destination)
{
    return std::any_of(spec.mounts.begin(), spec.mounts.end(),
        [&](const MountSpec& mount) { return mount.destination == destination; });
}

// Engines bind-mount their own /etc/resolv.conf (Podman always, with the host's name servers,
// which the guest reaches through slirp too). Without one, the image's name servers that only
// made sense on the image builder's network are replaced by slirp's forwarder, over the file
// and not in it (the root is the host's directory): only when the image has a plain file there
// to mount over.
bool needs_resolv_conf(const ContainerSpec& spec)
{
    std::error_code error;
    return !binds_destination(spec, "/etc/resolv.conf")
        && std::filesystem::is_regular_file(
            std::filesystem::symlink_status(spec.root / "etc/resolv.conf", error));
}

void add_network_calls(const ContainerSpec& spec, std::vector<AgentCall>& calls)
{
    calls.push_back({ "ConfigureNetwork",
        { { "interface", kGuestInterface }, { "address", kGuestAddress },
            { "prefix_length", kGuestPrefixLength }, { "gateway", kGatewayAddress } } });
    if (!needs_resolv_conf(spec))
        return;
    const std::string copy = "/run/rvisor/files/resolv.conf";
    calls.push_back({ "WriteFile",
        { { "path", copy }, { "mode", 0644 },
            { "content",
                agent::encode_base64(std::vector<uint8_t>(
                    kResolvConf, kResolvConf + std::char_traits<char>::length(kResolvConf))) } } });
    calls.push_back({ "Mount",
        { { "source", copy }, { "target", guest_target("/etc/resolv.conf") }, { "fstype", "" },
            { "options", { "bind" } } } });
}

std::vector<uint8_t> file_bytes(const std::string& path)
{
    std::ifstream file(path, std::ios::binary);
    if (!file)
        throw std::runtime_error(fmt::format("cannot read the bind mount source {}", path));
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(file), {});
}

// The devices and links every container finds in /dev (the runtime spec's "Default Devices"
// and "Dev symbolic links"), each the guest's own device bound in, as rootless runc does.
constexpr const char* kDefaultDevices[] = { "null", "zero", "full", "random", "urandom", "tty" };
constexpr std::pair<const char*, const char*> kDevLinks[]
    = { { "fd", "/proc/self/fd" }, { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
          { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" } };

void add_default_devices(const ContainerSpec& spec, std::vector<AgentCall>& calls)
{
    // Without a file system of its own on /dev they would be made in the shared root itself.
    const auto mounted = [&](const std::string& destination) {
        return std::any_of(spec.mounts.begin(), spec.mounts.end(),
            [&](const MountSpec& mount) { return mount.destination == destination; });
    };
    if (!mounted("/dev"))
        return;
    for (const char* device : kDefaultDevices) {
        const std::string path = fmt::format("/dev/{}", device);
        if (!mounted(path))
            calls.push_back({ "Mount",
                { { "source", path }, { "target", guest_target(path) }, { "fstype", "" },
                    { "options", { "bind" } } } });
    }
    for (const auto& [name, target] : kDevLinks) {
        const std::string path = fmt::format("/dev/{}", name);
        if (!mounted(path))
            calls.push_back(
                { "Symlink", { { "target", target }, { "path", guest_target(path) } } });
    }
}

} // namespace

std::vector<AgentCall> container_setup_calls(const ContainerSpec& spec, const ContainerVm& vm)
{
    std::vector<AgentCall> calls;
    if (vm.private_root_writes) {
        calls.push_back({ "Mount",
            { { "source", vm.root_tag }, { "target", kRootLowerLayer }, { "fstype", "virtiofs" },
                { "options", { "ro" } } } });
        calls.push_back({ "Mount",
            { { "source", "rootfs-layer" }, { "target", kRootUpperLayer }, { "fstype", "tmpfs" },
                { "options", { "mode=0755" } } } });
        calls.push_back({ "Mount",
            { { "source", "overlay" }, { "target", kGuestRootfs }, { "fstype", "overlay" },
                { "options",
                    { fmt::format("lowerdir={}", kRootLowerLayer),
                        fmt::format("upperdir={}/upper", kRootUpperLayer),
                        fmt::format("workdir={}/work", kRootUpperLayer) } } } });
    } else {
        calls.push_back({ "Mount",
            { { "source", vm.root_tag }, { "target", kGuestRootfs }, { "fstype", "virtiofs" },
                { "options",
                    spec.root_readonly ? nlohmann::json { "ro" } : nlohmann::json::array() } } });
    }
    size_t next_share = 0;
    size_t next_file = 0;
    for (const MountSpec& mount : spec.mounts) {
        const std::string target = guest_target(mount.destination);
        if (is_shm_bind(mount)) {
            // Memory shared with the host means nothing across a VM: the guest's own tmpfs.
            calls.push_back({ "Mount",
                { { "source", "shm" }, { "target", target }, { "fstype", "tmpfs" },
                    { "options", { "nosuid", "nodev", "noexec", "mode=1777", "size=65536k" } } } });
        } else if (mount.is_bind()
            && std::any_of(vm.file_mounts.begin(), vm.file_mounts.end(),
                [&](const MountSpec& file) { return file.destination == mount.destination; })) {
            const std::string copy = fmt::format("/run/rvisor/files/{}", next_file++);
            calls.push_back({ "WriteFile",
                { { "path", copy }, { "mode", 0644 },
                    { "content", agent::encode_base64(file_bytes(mount.source)) } } });
            nlohmann::json options = { "bind" };
            if (read_only(mount))
                options.push_back("ro");
            calls.push_back({ "Mount",
                { { "source", copy }, { "target", target }, { "fstype", "" },
                    { "options", options } } });
        } else if (mount.is_bind()) {
            const SharedMount& share = vm.shared_mounts.at(next_share++);
            calls.push_back({ "Mount",
                { { "source", share.tag }, { "target", target }, { "fstype", "virtiofs" },
                    { "options",
                        share.read_only ? nlohmann::json { "ro" } : nlohmann::json::array() } } });
        } else if (mount.type == "devpts") {
            // The agent made the process's terminal in the guest's own devpts: a new instance
            // would not hold it, so the container sees that one.
            calls.push_back({ "Mount",
                { { "source", "/dev/pts" }, { "target", target }, { "fstype", "" },
                    { "options", { "bind" } } } });
        } else {
            // The guest has cgroup v2 only.
            const std::string type = mount.type == "cgroup" ? "cgroup2" : mount.type;
            nlohmann::json options = guest_options(mount);
            if (type == "cgroup2")
                options = nlohmann::json::array();
            calls.push_back({ "Mount",
                { { "source", mount.source.empty() ? type : mount.source }, { "target", target },
                    { "fstype", type }, { "options", options } },
                type == "mqueue" || type == "cgroup2" });
        }
    }
    add_default_devices(spec, calls);
    if (vm.network)
        add_network_calls(spec, calls);
    if (!spec.hostname.empty())
        calls.push_back({ "SetHostname", { { "hostname", spec.hostname } } });
    return calls;
}

void set_up_container(AgentConnection& agent, const ContainerSpec& spec, const ContainerVm& vm)
{
    const std::vector<AgentCall> calls = container_setup_calls(spec, vm);
    std::vector<uint64_t> ids;
    for (const AgentCall& call : calls)
        ids.push_back(agent.send(call.method, call.params));
    for (size_t i = 0; i < calls.size(); ++i) {
        try {
            agent.reply_to(calls[i].method, ids[i]);
        } catch (const AgentError& error) {
            if (!(calls[i].optional && error.error_number() == ENODEV))
                throw;
        }
    }
}

nlohmann::json create_process_params(const std::string& exec_id, const ProcessSpec& process)
{
    nlohmann::json params = {
        { "exec_id", exec_id },
        { "args", process.args },
        { "env", process.env },
        { "cwd", process.cwd },
        { "uid", process.user.uid },
        { "gid", process.user.gid },
        { "additional_gids", process.user.additional_gids },
        { "terminal", process.terminal },
        { "rootfs", kGuestRootfs },
        { "no_new_privileges", process.no_new_privileges },
    };
    if (process.user.umask)
        params["umask"] = *process.user.umask;
    if (!process.rlimits.empty()) {
        params["rlimits"] = nlohmann::json::array();
        for (const Rlimit& limit : process.rlimits)
            params["rlimits"].push_back(
                { { "type", limit.type }, { "soft", limit.soft }, { "hard", limit.hard } });
    }
    return params;
}

} // namespace rvisor::oci
