#include "api/unix_http_client.h"
#include "machine/vm_spec.h"
#include "oci/commands.h"
#include "oci/container_vm.h"
#include "oci/cpu_weight.h"
#include "oci/monitor.h"
#include "oci/monitor_client.h"

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <sstream>

namespace rvisor::oci {

namespace {

// A size as runc takes it: bytes, or a number with a binary k, m or g (kb, mb, gb too), or -1
// for no limit.
int64_t parse_byte_size(const std::string& text)
{
    int64_t value = 0;
    const char* end = text.data() + text.size();
    const auto [rest, error] = std::from_chars(text.data(), end, value);
    std::string suffix(rest, end);
    for (char& c : suffix)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (suffix.ends_with('b') && suffix.size() == 2)
        suffix.pop_back();
    const int shift = suffix.empty() ? 0
        : suffix == "k"              ? 10
        : suffix == "m"              ? 20
        : suffix == "g"              ? 30
                                     : -1;
    if (error != std::errc {} || rest == text.data() || shift < 0 || value < -1
        || (value == -1 && shift != 0) || value > (int64_t { 1 } << (50 - shift)))
        throw std::runtime_error(
            fmt::format("--memory '{}' is not a size such as 536870912, 512m or 2g, or -1", text));
    return value << shift;
}

std::string read_resources_file(const std::filesystem::path& file)
{
    if (file == "-")
        return { std::istreambuf_iterator<char>(std::cin), {} };
    std::ifstream in(file);
    if (!in)
        throw std::runtime_error(fmt::format(
            "cannot read the resources file {}: {}", file.string(), std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// The file's resources, with the flags' values over them.
ResourceSpec requested_resources(const UpdateCommand& command)
{
    ResourceSpec resources;
    if (command.resources_file)
        resources = parse_resources_spec(read_resources_file(*command.resources_file));
    if (command.memory)
        resources.memory_limit = parse_byte_size(*command.memory);
    if (command.cpu_shares)
        resources.cpu_shares = command.cpu_shares;
    if (command.cpu_quota)
        resources.cpu_quota = command.cpu_quota;
    if (command.cpu_period)
        resources.cpu_period = command.cpu_period;
    if (command.cpuset_cpus)
        resources.cpuset_cpus = *command.cpuset_cpus;
    resources.unhonoured.insert(
        resources.unhonoured.end(), command.unhonoured.begin(), command.unhonoured.end());
    return resources;
}

// The balloon takes what the VM's RAM has beyond the limit. The RAM itself was fixed at create.
uint64_t balloon_mib_for(const std::string& id, int64_t limit, uint64_t memory_mib,
    const std::function<void(const std::string&)>& warn)
{
    if (limit <= 0)
        return 0;
    if (static_cast<uint64_t>(limit) < machine::VmSpec::kMinMemory)
        throw std::runtime_error(fmt::format("cannot update container {}: a memory limit of {} "
                                             "bytes is below the {} MiB a VM needs",
            id, limit, machine::VmSpec::kMinMemory >> 20));
    const uint64_t limit_mib = static_cast<uint64_t>(limit) >> 20;
    if (limit_mib > memory_mib)
        warn(fmt::format("container {} has {} MiB of RAM, fixed when it was created; a limit of "
                         "{} MiB gives it all of it",
            id, memory_mib, limit_mib));
    return limit_mib < memory_mib ? memory_mib - limit_mib : 0;
}

} // namespace

int run_update(const StateStore& store, const UpdateCommand& command, const RuntimeLog& log)
{
    const ResourceSpec resources = requested_resources(command);
    const auto warn = [&log](const std::string& message) {
        log.warning(message);
        fmt::print(stderr, "rvisor-oci: warning: {}\n", message);
    };
    const ContainerId id(command.id);
    const auto lock = store.lock(id);
    const ContainerState state = store.load(id);
    require_status(id.str(), state.status, ContainerCommand::Update);
    const std::filesystem::path api = ContainerFiles(store, id).api();
    const nlohmann::json vm = describe_vm(api, fmt::format("cannot update container {}", id.str()));

    if (resources.memory_limit) {
        const uint64_t amount = balloon_mib_for(
            id.str(), *resources.memory_limit, vm.at("mem_mib").get<uint64_t>(), warn);
        const auto reply = api::unix_http_request(
            api, "PATCH", "/balloon", nlohmann::json { { "amount_mib", amount } });
        if (reply.status != 204)
            throw std::runtime_error(fmt::format(
                "cannot update container {}'s memory: {}", id.str(), reply.fault_message()));
    }
    if (resources.cpu_shares && *resources.cpu_shares > 0)
        set_process_tree_nice(state.pid, nice_for_cpu_shares(*resources.cpu_shares));
    const unsigned harts = vm.at("cpus").get<unsigned>();
    if (const auto wanted = harts_for_resources(resources); wanted && *wanted != harts)
        warn(fmt::format("container {} keeps the {} hart(s) it was created with (the CPU "
                         "limit asks for {})",
            id.str(), harts, *wanted));
    for (const std::string& name : resources.unhonoured)
        warn(fmt::format(
            "container {}: the resource {} is not honoured (docs/containers.md)", id.str(), name));
    return 0;
}

} // namespace rvisor::oci
