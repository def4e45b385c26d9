// rvisor-agent: PID 1 of a container VM. It mounts what programs expect, then serves the agent
// protocol (protocol.h) on vsock port 1024, and joins host connections on port 1025 to the
// guest's TCP servers (stream_join_service.h), until the host asks it to power off.
#include "console.h"
#include "network_setup.h"
#include "power.h"
#include "process_table.h"
#include "reaper.h"
#include "rpc_server.h"
#include "stream_join_header.h"
#include "stream_join_service.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <sys/mount.h>
#include <sys/socket.h>
// After sys/socket.h, which it needs but does not include.
#include <linux/vm_sockets.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

struct Mount {
    const char* source;
    const char* target;
    const char* type;
    unsigned long flags;
    const char* options;
};

// Earlier entries first: /dev/pts lives on /dev.
constexpr Mount kPseudoFilesystems[] = {
    { "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr },
    { "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr },
    { "devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755" },
    { "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620" },
    { "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755" },
};

void mount_pseudo_filesystems()
{
    for (const Mount& m : kPseudoFilesystems) {
        mkdir(m.target, 0755);
        if (mount(m.source, m.target, m.type, m.flags, m.options) != 0 && errno != EBUSY)
            rvisor::agent::print_line(std::string("rvisor-agent: mounting ") + m.target
                + " failed: " + std::strerror(errno));
    }
}

// Connections the guest kernel queues before the agent accepts them; beyond it the kernel resets
// the next. A host may open many at once (a burst of forwarded clients), faster than one vCPU
// shared with the processes accepts them and starts their threads.
constexpr int kListenBacklog = 1024;

rvisor::agent::UniqueFd listen_on_vsock(uint32_t port)
{
    rvisor::agent::UniqueFd listener(socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!listener)
        rvisor::agent::fail(std::string("AF_VSOCK socket failed: ") + std::strerror(errno));
    sockaddr_vm address {};
    address.svm_family = AF_VSOCK;
    address.svm_cid = VMADDR_CID_ANY;
    address.svm_port = port;
    if (bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0
        || listen(listener.get(), kListenBacklog) != 0)
        rvisor::agent::fail(
            "listening on vsock port " + std::to_string(port) + " failed: " + std::strerror(errno));
    return listener;
}

} // namespace

int main()
{
    // An exception nobody caught, in any thread, would end PID 1 and panic the kernel.
    std::set_terminate([] { rvisor::agent::fail("stopped by an unexpected error"); });
    if (getpid() == 1) {
        mount_pseudo_filesystems();
        if (auto error = rvisor::agent::bring_up_loopback())
            rvisor::agent::print_line("rvisor-agent: " + error->message);
    }
    // Before any thread starts, so that every thread inherits it.
    rvisor::agent::Reaper::block_child_signal();
    // A host that goes away mid-stream is an error value, not a signal (sends use MSG_NOSIGNAL;
    // this covers the process pipes).
    signal(SIGPIPE, SIG_IGN);

    rvisor::agent::ProcessTable processes;
    rvisor::agent::Reaper reaper(processes);
    reaper.start();
    rvisor::agent::RequestHandlers handlers(processes);
    rvisor::agent::StreamJoinService streams(listen_on_vsock(rvisor::agent::kStreamJoinPort));
    streams.start();
    rvisor::agent::RpcServer server(listen_on_vsock(rvisor::agent::kAgentPort), handlers);
    rvisor::agent::print_line("RVISOR-AGENT-READY");
    server.serve();
}
