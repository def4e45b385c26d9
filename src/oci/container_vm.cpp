#include "oci/container_vm.h"

#include "oci/network_namespace.h"
#include "vmm/vm_spec_builder.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace rvisor::oci {

namespace {

using machine::VmSpec;

// The cpus a cpuset such as "0-3,6" names, or 0 when it is empty; throws when malformed.
uint64_t cpuset_size(const std::string& text)
{
    uint64_t count = 0;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string::npos)
            end = text.size();
        const std::string part = text.substr(start, end - start);
        unsigned first = 0, last = 0;
        const char* finish = part.data() + part.size();
        auto result = std::from_chars(part.data(), finish, first);
        last = first;
        if (result.ec == std::errc {} && result.ptr != finish && *result.ptr == '-')
            result = std::from_chars(result.ptr + 1, finish, last);
        if (result.ec != std::errc {} || result.ptr != finish || last < first || part.empty())
            throw std::runtime_error(fmt::format(
                "config.json: linux.resources.cpu.cpus '{}' is not a cpu list such as 0-3,6",
                text));
        count += uint64_t { last } - first + 1;
        start = end + 1;
    }
    return count;
}

unsigned parse_cpus(const std::string& text, const char* where)
{
    unsigned cpus = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpus);
    if (error != std::errc {} || end != text.data() + text.size() || cpus == 0
        || cpus > VmSpec::kMaxCpus)
        throw std::runtime_error(fmt::format(
            "{} '{}' is not a number of harts from 1 to {}", where, text, VmSpec::kMaxCpus));
    return cpus;
}

unsigned plan_cpus(const ContainerSpec& spec)
{
    if (const auto found = spec.annotations.find("io.rvisor.cpus"); found != spec.annotations.end())
        return parse_cpus(found->second, "annotation io.rvisor.cpus");
    return harts_for_resources(spec.resources).value_or(1);
}

uint64_t plan_memory(const ContainerSpec& spec)
{
    if (const auto found = spec.annotations.find("io.rvisor.memory");
        found != spec.annotations.end()) {
        try {
            return vmm::parse_memory_size(found->second);
        } catch (const std::runtime_error& error) {
            throw std::runtime_error(fmt::format("annotation io.rvisor.memory: {}", error.what()));
        }
    }
    const auto limit = spec.resources.memory_limit;
    if (!limit || *limit <= 0)
        return kDefaultContainerMemory;
    if (static_cast<uint64_t>(*limit) < VmSpec::kMinMemory)
        throw std::runtime_error(fmt::format(
            "config.json: linux.resources.memory.limit {} is below the {} MiB a VM needs", *limit,
            VmSpec::kMinMemory >> 20));
    // Whole pages: the guest's RAM is a number of 4 KiB pages.
    return static_cast<uint64_t>(*limit) & ~uint64_t { 4095 };
}

std::optional<ContainerNetwork> plan_network(const ContainerSpec& spec)
{
    const NamespaceSpec* network = spec.namespace_of("network");
    if (!network)
        return ContainerNetwork {};
    if (network->path.empty())
        return std::nullopt;
    // Checked now, so that create fails with the reason rather than the VM later.
    const NetworkNamespace checked(network->path);
    return ContainerNetwork { checked.path() };
}

bool has_option(const MountSpec& mount, const char* option)
{
    return std::find(mount.options.begin(), mount.options.end(), option) != mount.options.end();
}

} // namespace

std::optional<unsigned> harts_for_resources(const ResourceSpec& resources)
{
    if (resources.cpu_quota && *resources.cpu_quota > 0) {
        const uint64_t period = resources.cpu_period.value_or(100000);
        if (period == 0)
            throw std::runtime_error("config.json: linux.resources.cpu.period must not be 0");
        const uint64_t quota = static_cast<uint64_t>(*resources.cpu_quota);
        return static_cast<unsigned>(
            std::clamp<uint64_t>((quota + period - 1) / period, 1, VmSpec::kMaxCpus));
    }
    if (!resources.cpuset_cpus.empty())
        return static_cast<unsigned>(
            std::clamp<uint64_t>(cpuset_size(resources.cpuset_cpus), 1, VmSpec::kMaxCpus));
    return std::nullopt;
}

bool is_shm_bind(const MountSpec& mount)
{
    return mount.is_bind() && mount.destination == "/dev/shm";
}

ContainerVm plan_container_vm(const ContainerSpec& spec, const RuntimeImages& images,
    const std::filesystem::path& vsock_socket)
{
    ContainerVm vm;
    vm.spec.kernel = images.kernel;
    vm.spec.initrds = images.initrds;
    if (const auto found = spec.annotations.find("io.rvisor.kernel");
        found != spec.annotations.end())
        vm.spec.kernel = found->second;
    if (const auto found = spec.annotations.find("io.rvisor.initrd");
        found != spec.annotations.end())
        vm.spec.initrds = { found->second };
    if (const auto found = spec.annotations.find("io.rvisor.template");
        found != spec.annotations.end()) {
        if (found->second != "true" && found->second != "false")
            throw std::runtime_error(fmt::format(
                "annotation io.rvisor.template '{}' is neither true nor false", found->second));
        vm.use_template = found->second == "true";
    }
    vm.spec.append = "console=hvc0 quiet panic=-1";
    vm.spec.cpus = plan_cpus(spec);
    vm.spec.memory = plan_memory(spec);
    // Free page reporting gives back what the container frees, and `update` sets the
    // balloon's target to lower the container's memory.
    vm.spec.balloon = true;
    vm.spec.vsock = machine::VsockConfig { kContainerCid, vsock_socket };
    vm.root_tag = kRootTag;
    vm.spec.shares.push_back({ spec.root, vm.root_tag, spec.root_readonly });
    for (const MountSpec& mount : spec.mounts) {
        if (!mount.is_bind() || is_shm_bind(mount))
            continue;
        std::error_code error;
        if (!std::filesystem::is_directory(mount.source, error)) {
            if (!std::filesystem::exists(mount.source, error))
                throw std::runtime_error(fmt::format(
                    "config.json: the bind mount source {} does not exist", mount.source));
            vm.file_mounts.push_back(mount);
            continue;
        }
        const std::string tag = fmt::format("bind{}", vm.shared_mounts.size());
        const bool read_only = has_option(mount, "ro");
        vm.spec.shares.push_back({ mount.source, tag, read_only });
        vm.shared_mounts.push_back({ tag, mount.destination, read_only });
    }
    vm.network = plan_network(spec);
    if (vm.network) {
        machine::NetConfig nic;
        nic.dns = true;
        vm.spec.nets.push_back(nic);
    }
    const unsigned used
        = vm.spec.fixed_virtio_devices() + static_cast<unsigned>(vm.spec.nets.size());
    if (used > VmSpec::kVirtioSlots)
        throw std::runtime_error(
            fmt::format("config.json: {} directory bind mounts do not fit the VM (at most {})",
                vm.shared_mounts.size(), VmSpec::kVirtioSlots - (used - vm.shared_mounts.size())));
    return vm;
}

} // namespace rvisor::oci
