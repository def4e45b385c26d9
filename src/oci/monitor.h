#pragma once
// The monitor: the process `create` leaves behind and writes to --pid-file, whose lifetime is
// the container's and whose exit status is the container process's (128+N after signal N), as
// conmon and containerd's shim expect of runc's. It runs the VM as its child (which dies with
// it), sets the container up through the agent, relays the container's stdio on the
// descriptors `create` was given, forwards the guest's TCP ports from the container's network
// namespace (port_forwarder.h), takes later commands (start, kill) on a Unix socket, and
// when the process has exited powers the VM off and exits.
#include "oci/bundle.h"
#include "oci/container_vm.h"
#include "oci/runtime_log.h"
#include "oci/state_store.h"
#include "oci/vm_template.h"

#include <filesystem>
#include <optional>
#include <string>

namespace rvisor::oci {

// The files of one container: its directory under the runtime's root, and its sockets (in
// the directory, or a shorter one: StateStore::socket_directory).
struct ContainerFiles {
    ContainerFiles(const StateStore& store, const ContainerId& id)
        : dir(store.directory(id))
        , sockets(store.socket_directory(id))
    {
    }
    std::filesystem::path dir;
    std::filesystem::path sockets;
    std::filesystem::path vm_config() const { return dir / "vm.json"; }
    std::filesystem::path vsock() const { return sockets / "vsock.sock"; }
    std::filesystem::path monitor() const { return sockets / "monitor.sock"; }
    std::filesystem::path api() const { return sockets / "api.sock"; }
    std::filesystem::path console_log() const { return dir / "console.log"; }
    std::filesystem::path vm_errors() const { return dir / "vm.err"; }
};

struct MonitorSetup {
    ContainerFiles files;
    ContainerSpec spec;
    ContainerVm vm;
    std::filesystem::path rvisor; // the VMM binary
    std::optional<std::filesystem::path> console_socket; // where a terminal's pty master goes
    RuntimeLog log; // --log: warnings (a port not forwarded) and template reports
    // Fast start: the template to clone the VM from, if there is one, and the cache in which a
    // cold-booted VM leaves one for the containers after it (no cache: templates are off).
    std::optional<VmTemplate> clone_of;
    std::optional<TemplateCache> templates;
    std::string template_identity;
};

// Runs the monitor in this (freshly forked) process, reporting on `report_fd` once the container
// is created (ready_report.h); never returns.
[[noreturn]] void run_monitor(const MonitorSetup& setup, int report_fd);

} // namespace rvisor::oci
