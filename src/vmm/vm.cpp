#include "vmm/vm.h"

#include "vmm/fs_option.h"
#include "vmm/snapshot_file.h"
#include "vmm/vm_spec_builder.h"

#include <fmt/format.h>

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace rvisor::vmm {

namespace {

constexpr uint32_t kSpecSectionVersion = 1;
constexpr uint32_t kDisksSectionVersion = 1;

uint64_t disk_size(const std::filesystem::path& path)
{
    struct stat status { };
    if (stat(path.c_str(), &status) != 0)
        throw std::runtime_error(
            fmt::format("cannot open disk '{}': {}", path.string(), std::strerror(errno)));
    return static_cast<uint64_t>(status.st_size);
}

const char* state_name(machine::MachineState state)
{
    switch (state) {
    case machine::MachineState::Created: return "Created";
    case machine::MachineState::Running: return "Running";
    case machine::MachineState::Paused: return "Paused";
    case machine::MachineState::Stopped: return "Stopped";
    }
    return "Stopped";
}

// The spec saved in a snapshot, with the restore's replacements applied through the same
// builder as flags and config files.
machine::VmSpec restored_spec(const SnapshotState& snapshot, const RestoreRequest& request)
{
    const std::string context = fmt::format("snapshot '{}': ", request.state_file.string());
    const SnapshotSection& section = snapshot.section("spec");
    nlohmann::json saved;
    try {
        saved = nlohmann::json::parse(section.payload.begin(), section.payload.end());
    } catch (const nlohmann::json::exception&) {
        throw SnapshotError(context + "its spec section is not JSON");
    }
    VmSpecBuilder builder;
    builder.apply(
        saved, {}, context + "spec: ", [](const std::string& key) { return "key '" + key + "'"; });
    const machine::VmSpec original = builder.spec();
    nlohmann::json replacements = nlohmann::json::object();
    if (request.disks) {
        if (request.disks->size() != original.disks.size())
            throw std::runtime_error(
                fmt::format("the snapshot has {} disks; --disk was given {} times",
                    original.disks.size(), request.disks->size()));
        replacements["disks"] = *request.disks;
    }
    if (request.nets) {
        if (request.nets->size() != original.nets.size())
            throw std::runtime_error(
                fmt::format("the snapshot has {} networks; --net was given {} times",
                    original.nets.size(), request.nets->size()));
        replacements["nets"] = *request.nets;
    }
    if (request.engine)
        replacements["engine"] = *request.engine;
    if (request.vsock) {
        if (!original.vsock)
            throw std::runtime_error("the snapshot has no vsock device for --vsock to replace");
        replacements["vsock"] = *request.vsock;
    }
    if (request.shares) {
        if (request.shares->size() != original.shares.size())
            throw std::runtime_error(
                fmt::format("the snapshot has {} shares; --fs was given {} times",
                    original.shares.size(), request.shares->size()));
        for (size_t i = 0; i < original.shares.size(); ++i) {
            const std::string tag = parse_fs_option((*request.shares)[i]).tag;
            if (tag != original.shares[i].tag)
                throw std::runtime_error(fmt::format(
                    "--fs number {} has tag '{}', but the snapshot's share there is '{}': the "
                    "guest knows its shares by tag",
                    i + 1, tag, original.shares[i].tag));
        }
        replacements["fs"] = *request.shares;
    }
    builder.apply(replacements, {}, "", [](const std::string& key) {
        return key == "disks" ? "--disk" : key == "nets" ? "--net" : "--" + key;
    });
    return builder.spec();
}

} // namespace

Vm::Vm(const machine::RunOptions& options, host::Console& console)
    : m_options(options)
    , m_console(console)
{
}

void Vm::boot(const machine::VmSpec& spec)
{
    m_machine = std::make_unique<machine::Machine>(spec, m_options, m_console);
}

void Vm::restore(const RestoreRequest& request)
{
    const SnapshotState snapshot = read_snapshot_file(request.state_file);
    const machine::VmSpec spec = restored_spec(snapshot, request);
    const SnapshotIdentity& identity = snapshot.identity;
    const std::string file = request.state_file.string();
    if (identity.isa != machine::Machine::isa())
        throw SnapshotError(fmt::format("snapshot '{}' is of a {} machine; this rvisor makes {}",
            file, identity.isa, machine::Machine::isa()));
    if (identity.cpus != spec.cpus || identity.memory != spec.memory)
        throw SnapshotError(
            fmt::format("snapshot '{}' is damaged: its machine and its spec differ", file));

    // A disk must be the one the guest's state refers to: at least the same size.
    state::StateReader disks(snapshot.section("disks").payload, "disks");
    if (disks.u32() != spec.disks.size())
        disks.fail("its number of disks differs from the spec's");
    for (const machine::DiskConfig& disk : spec.disks) {
        const uint64_t saved = disks.u64();
        const uint64_t now = disk_size(disk.path);
        if (now != saved)
            throw std::runtime_error(
                fmt::format("disk '{}' is {} bytes, but it was {} bytes when the snapshot was "
                            "taken: restore with the disk image that belongs to the snapshot",
                    disk.path.string(), now, saved));
    }
    disks.finish();

    auto machine
        = std::make_unique<machine::Machine>(spec, m_options, m_console, request.memory_file,
            [&](const std::string& tag) -> const state::Section& { return snapshot.section(tag); });
    if (machine->device_names() != identity.devices)
        throw SnapshotError(
            fmt::format("snapshot '{}' has other devices than its spec makes", file));
    m_machine = std::move(machine);
}

void Vm::start(bool paused)
{
    {
        std::lock_guard lock(m_mutex);
        m_machine->start(paused);
    }
    m_started.notify_all();
}

machine::Machine& Vm::started_machine(std::unique_lock<std::mutex>& lock)
{
    m_started.wait(lock, [&] { return m_machine->state() != machine::MachineState::Created; });
    return *m_machine;
}

machine::MachineExit Vm::run(const host::StopSignal* stop_signal)
{
    for (;;) {
        machine::MachineExit exit = m_machine->run(stop_signal);
        if (exit.kind != machine::MachineExit::Kind::Reboot)
            return exit;
        // A fresh machine, as after a reset, with the limits the API may have changed.
        machine::VmSpec spec;
        {
            std::lock_guard lock(m_mutex);
            spec = m_machine->spec();
        }
        auto next = std::make_unique<machine::Machine>(spec, m_options, m_console);
        next->start(false);
        std::lock_guard lock(m_mutex);
        m_machine = std::move(next);
    }
}

nlohmann::json Vm::describe()
{
    std::unique_lock lock(m_mutex);
    const machine::Machine& machine = started_machine(lock);
    const machine::VmSpec& spec = machine.spec();
    const auto traffic = machine.network_traffic();
    return { { "state", state_name(machine.state()) }, { "cpus", spec.cpus },
        { "mem_mib", spec.memory >> 20 },
        { "engine", spec.engine == cpu::EngineKind::Jit ? "jit" : "interp" },
        { "disks", spec.disks.size() }, { "nets", spec.nets.size() },
        { "net_rx_bytes", traffic.received_bytes }, { "net_tx_bytes", traffic.transmitted_bytes } };
}

void Vm::pause()
{
    std::unique_lock lock(m_mutex);
    machine::Machine& machine = started_machine(lock);
    if (machine.state() == machine::MachineState::Stopped)
        throw api::ApiError(409, "the VM has stopped");
    machine.pause();
}

void Vm::resume()
{
    std::unique_lock lock(m_mutex);
    machine::Machine& machine = started_machine(lock);
    if (machine.state() == machine::MachineState::Stopped)
        throw api::ApiError(409, "the VM has stopped");
    machine.resume();
}

void Vm::change_rate_limits(
    std::span<const api::DeviceLimitChange> disks, std::span<const api::DeviceLimitChange> nets)
{
    std::unique_lock lock(m_mutex);
    machine::Machine& machine = started_machine(lock);
    if (machine.state() == machine::MachineState::Stopped)
        throw api::ApiError(409, "the VM has stopped");
    const machine::VmSpec& spec = machine.spec();
    auto check
        = [](std::span<const api::DeviceLimitChange> changes, size_t count, const char* kind) {
              for (const auto& change : changes) {
                  if (change.index >= count)
                      throw api::ApiError(400,
                          fmt::format("there is no {} {}: the VM has {} (numbered from 0)", kind,
                              change.index, count));
              }
          };
    check(disks, spec.disks.size(), "disk");
    check(nets, spec.nets.size(), "network");
    for (const auto& change : disks) {
        host::RateLimit limit = spec.disks[change.index].limit;
        limit.ops_per_second = change.ops_per_second.value_or(limit.ops_per_second);
        limit.bytes_per_second = change.bytes_per_second.value_or(limit.bytes_per_second);
        machine.set_disk_rate_limit(change.index, limit);
    }
    for (const auto& change : nets)
        machine.set_net_bandwidth(
            change.index, change.bytes_per_second.value_or(spec.nets[change.index].bandwidth));
}

namespace {

machine::Machine::BalloonSize balloon_of(const machine::Machine& machine)
{
    const auto size = machine.balloon_size();
    if (!size)
        throw api::ApiError(400, "the VM has no balloon (\"balloon\": true in its config)");
    return *size;
}

} // namespace

nlohmann::json Vm::describe_balloon()
{
    std::unique_lock lock(m_mutex);
    const auto size = balloon_of(started_machine(lock));
    return { { "amount_mib", size.target_bytes >> 20 }, { "actual_mib", size.actual_bytes >> 20 },
        { "deflate_on_oom", true } };
}

void Vm::set_balloon(uint64_t amount_mib)
{
    std::unique_lock lock(m_mutex);
    machine::Machine& machine = started_machine(lock);
    balloon_of(machine); // a 400 for a VM without one
    if (machine.state() == machine::MachineState::Stopped)
        throw api::ApiError(409, "the VM has stopped");
    // The guest keeps at least what any VM must have, so a mistaken amount cannot starve it.
    const uint64_t memory_mib = machine.spec().memory >> 20;
    const uint64_t most = memory_mib - (machine::VmSpec::kMinMemory >> 20);
    if (amount_mib > most)
        throw api::ApiError(400,
            fmt::format("amount_mib {} is more than the guest can give: it has {} MiB and keeps "
                        "at least {}, so at most {}",
                amount_mib, memory_mib, machine::VmSpec::kMinMemory >> 20, most));
    machine.set_balloon_target(amount_mib << 20);
}

void Vm::create_snapshot(
    const std::filesystem::path& state_file, const std::filesystem::path& memory_file)
{
    std::unique_lock lock(m_mutex);
    machine::Machine& machine = started_machine(lock);
    if (machine.state() != machine::MachineState::Paused)
        throw api::ApiError(
            409, "the VM must be Paused to take a snapshot (PATCH /vm {\"state\": \"Paused\"})");
    if (state_file.empty() || memory_file.empty())
        throw api::ApiError(400, "snapshot_path and mem_file_path must not be empty");
    if (std::filesystem::absolute(state_file).lexically_normal()
        == std::filesystem::absolute(memory_file).lexically_normal())
        throw api::ApiError(400, "snapshot_path and mem_file_path must be different files");

    SnapshotState snapshot;
    const machine::VmSpec& spec = machine.spec();
    snapshot.identity = { machine::Machine::isa(), spec.cpus, spec.memory, machine.device_names() };
    try {
        const std::string spec_text = spec_to_json(spec).dump();
        snapshot.sections.push_back(
            { "spec", kSpecSectionVersion, { spec_text.begin(), spec_text.end() } });
        state::StateWriter disks;
        disks.u32(static_cast<uint32_t>(spec.disks.size()));
        for (const machine::DiskConfig& disk : spec.disks)
            disks.u64(disk_size(disk.path));
        snapshot.sections.push_back({ "disks", kDisksSectionVersion, disks.data() });
        for (auto& section : machine.save_state())
            snapshot.sections.push_back(std::move(section));
    } catch (const std::runtime_error& error) {
        throw api::ApiError(400, fmt::format("cannot take a snapshot: {}", error.what()));
    }
    try {
        machine.write_memory(memory_file);
        write_snapshot_file(state_file, snapshot);
    } catch (const std::runtime_error& error) {
        throw api::ApiError(400, error.what());
    }
}

void Vm::shutdown()
{
    std::unique_lock lock(m_mutex);
    started_machine(lock).stop({ machine::MachineExit::Kind::Quit, 0, {} });
}

} // namespace rvisor::vmm
