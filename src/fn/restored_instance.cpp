#include "fn/restored_instance.h"

#include "host/last_line.h"
#include "oci/agent_client.h"
#include "oci/stream_join_client.h"
#include "vmm/fs_option.h"
#include "vmm/vsock_option.h"

#include <fmt/format.h>

#include <stdexcept>

namespace rvisor::fn {

namespace {

using namespace std::chrono_literals;

// A clone's agent answers within milliseconds; one that does not is a broken snapshot.
constexpr auto kAgentTimeout = 10s;
// The guest's context id; every instance has a vsock device of its own.
constexpr uint64_t kGuestCid = 3;

std::filesystem::path vsock_path(const std::filesystem::path& directory)
{
    return directory / "vsock";
}

} // namespace

RestoredInstance::RestoredInstance(const InstanceSetup& setup)
    : m_directory(setup.directory)
    , m_port(setup.port)
{
    std::filesystem::create_directories(m_directory);
    const std::vector<std::string> args { setup.rvisor.string(), "restore", "--snapshot",
        setup.state_file.string(), "--mem-file", setup.memory_file.string(), "--vsock",
        vmm::format_vsock_option({ kGuestCid, vsock_path(m_directory) }), "--fs",
        vmm::format_fs_option(setup.root_share), "--console-log", setup.console_log.string() };
    try {
        m_vm = std::make_unique<host::ChildProcess>(args, m_directory / "vm.err");
        oci::AgentConnection agent(
            vsock_path(m_directory), kAgentTimeout, [this] { return m_vm->exited(); });
        oci::refresh_clone(agent);
    } catch (const std::exception& error) {
        std::string reason = error.what();
        if (m_vm && m_vm->exited()) {
            const std::string line = host::last_line_of(m_directory / "vm.err");
            if (!line.empty())
                reason = line;
        }
        if (m_vm)
            m_vm->finish(0ms);
        std::error_code ignored;
        std::filesystem::remove_all(m_directory, ignored);
        throw std::runtime_error(reason);
    }
}

RestoredInstance::~RestoredInstance()
{
    m_vm->finish(0ms);
    std::error_code ignored;
    std::filesystem::remove_all(m_directory, ignored);
}

bool RestoredInstance::alive() { return !m_vm->exited(); }

host::UniqueFd RestoredInstance::open_stream(std::chrono::milliseconds timeout)
{
    return host::UniqueFd(oci::join_guest_stream(vsock_path(m_directory), m_port, timeout));
}

} // namespace rvisor::fn
