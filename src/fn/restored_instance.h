#pragma once
// An instance of a function: a VM process restored from the revision's snapshot (`rvisor
// restore`, a copy-on-write clone of its memory file), given its own vsock socket and the
// function's root share, its clock and entropy refreshed by the agent before it takes a
// request. It dies with the control program; stopping it removes its directory.
#include "fn/instance_pool.h"
#include "host/child_process.h"
#include "machine/vm_spec.h"

#include <cstdint>
#include <filesystem>
#include <memory>

namespace rvisor::fn {

struct InstanceSetup {
    std::filesystem::path rvisor;
    std::filesystem::path state_file;
    std::filesystem::path memory_file;
    machine::FsShareConfig root_share;
    uint16_t port = 0;
    // Made for the instance, and removed with it: its vsock socket and vm.err.
    std::filesystem::path directory;
    // The guest's console, where the function's output goes; kept after the instance stops.
    std::filesystem::path console_log;
};

class RestoredInstance : public FunctionInstance {
public:
    // Throws std::runtime_error with the reason the VM did not start or its agent did not answer.
    explicit RestoredInstance(const InstanceSetup& setup);
    ~RestoredInstance() override;

    bool alive() override;
    host::UniqueFd open_stream(std::chrono::milliseconds timeout) override;

private:
    std::filesystem::path m_directory;
    uint16_t m_port;
    std::unique_ptr<host::ChildProcess> m_vm;
};

} // namespace rvisor::fn
