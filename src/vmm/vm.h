#pragma once
// One VM as this process runs it: the machine (made anew on each guest reboot), its lifecycle
// as the API sees it, and its snapshots (docs/snapshot.md).
#include "api/vm_control.h"
#include "host/console.h"
#include "machine/machine.h"

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::vmm {

// What `rvisor restore` was asked for. Disks and networks, when given, replace the snapshot's
// one for one (the same number of each).
struct RestoreRequest {
    std::filesystem::path state_file;
    std::filesystem::path memory_file;
    std::optional<std::vector<std::string>> disks; // --disk texts
    std::optional<std::vector<std::string>> nets; // --net texts
    std::optional<std::string> engine;
    std::optional<std::string> vsock; // --vsock text
    // --fs texts: each share's directory in place of the one with the same tag (a template's
    // guest that has not mounted them yet can be given another container's root this way).
    std::optional<std::vector<std::string>> shares;
};

class Vm final : public api::VmControl {
public:
    Vm(const machine::RunOptions& options, host::Console& console);

    // Makes the machine: booted from `spec`, or restored from a snapshot. Throw
    // std::runtime_error with one sentence.
    void boot(const machine::VmSpec& spec);
    void restore(const RestoreRequest& request);
    machine::Machine& machine() { return *m_machine; }

    // Starts the machine made by boot() or restore(): Running, or Paused until a resume.
    void start(bool paused);
    // Runs until the guest powers off, fails or is stopped; a guest reboot makes a new machine
    // from the same spec.
    machine::MachineExit run(const host::StopSignal* stop_signal);

    // api::VmControl
    nlohmann::json describe() override;
    void pause() override;
    void resume() override;
    void change_rate_limits(std::span<const api::DeviceLimitChange> disks,
        std::span<const api::DeviceLimitChange> nets) override;
    nlohmann::json describe_balloon() override;
    void set_balloon(uint64_t amount_mib) override;
    void create_snapshot(
        const std::filesystem::path& state_file, const std::filesystem::path& memory_file) override;
    void shutdown() override;

private:
    // The machine under m_mutex, once start() has run: the API socket may take requests
    // before that, and must not see a machine that is still Created.
    machine::Machine& started_machine(std::unique_lock<std::mutex>& lock);

    machine::RunOptions m_options;
    host::Console& m_console;
    // Held while the API uses the machine and while run() replaces it.
    std::mutex m_mutex;
    std::condition_variable m_started;
    std::unique_ptr<machine::Machine> m_machine;
};

} // namespace rvisor::vmm
