// OCI mount options ("ro", "nosuid", "rbind", "rprivate", "mode=755") as mount(2) takes them.
// No system calls here: it compiles for the host too, where it is unit-tested.
#pragma once

#include <string>
#include <vector>

namespace rvisor::agent {

struct MountOptions {
    unsigned long flags = 0; // MS_* for mount(2)
    // MS_PRIVATE, MS_SHARED, ... (with MS_REC for the r- forms): each changes the mount's
    // propagation in a call of its own after the mount, which the kernel requires.
    std::vector<unsigned long> propagation;
    std::string data; // the options mount(2) does not know, comma-separated, for the filesystem

    bool is_bind() const;
    // The kernel ignores every flag but MS_BIND and MS_REC when it makes a bind mount: the
    // others ("ro", "nosuid") take a second call, a remount of the bind (as runc does).
    bool needs_bind_remount() const;
    unsigned long bind_remount_flags() const;
};

// Later options win over earlier ones ("ro" then "rw" is read-write), as with mount(8).
MountOptions parse_mount_options(const std::vector<std::string>& options);

} // namespace rvisor::agent
