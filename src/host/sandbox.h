#pragma once
// What a VM process gives up before it runs guest code, after Firecracker's seccomp filters: the
// descriptors it inherited, and every system call it has no use for. A guest that takes over the
// translator or a device model then still cannot exec, ptrace, mount, open sockets of a new
// family, or fork.

namespace rvisor::host {

// Closes every descriptor above stderr, so a VM holds only the descriptors it opens itself.
// Call it before opening anything. Throws std::runtime_error if the host cannot.
void close_inherited_descriptors();

// Whether enter_sandbox() installs the filter: not in a build with AddressSanitizer and UBSan
// (RVISOR_SANITIZE), whose runtimes make system calls of their own at any moment (LeakSanitizer
// stops the world with ptrace at exit), which no VM makes.
bool seccomp_filter_in_build();

// What a VM needs beyond what every VM does.
struct SandboxNeeds {
    // virtio-fs shares: the file system calls a FUSE server makes on the shared directories
    // (creating, linking, renaming, attributes, xattrs, directory reads, statfs).
    bool file_sharing = false;
};

// Sets no_new_privs and installs a seccomp filter, on every thread of the process, that kills
// the process at any system call a running VM does not make. Threads started later inherit it.
// Throws std::runtime_error if the host cannot.
void enter_sandbox(const SandboxNeeds& needs = {});

} // namespace rvisor::host
