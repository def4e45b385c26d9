#include "mount_options.h"

#include <string_view>
#include <sys/mount.h>

namespace rvisor::agent {

namespace {

// Not in every libc's headers yet (Linux 5.10).
constexpr unsigned long kNoSymlinkFollow = 256;

struct FlagOption {
    std::string_view name;
    bool clears; // "rw" clears MS_RDONLY rather than setting anything
    unsigned long flag;
};

// runc's table (libcontainer/specconv), so that a config.json means the same here as there.
constexpr FlagOption kFlagOptions[] = {
    { "acl", false, MS_POSIXACL },
    { "async", true, MS_SYNCHRONOUS },
    { "atime", true, MS_NOATIME },
    { "bind", false, MS_BIND },
    { "defaults", false, 0 },
    { "dev", true, MS_NODEV },
    { "diratime", true, MS_NODIRATIME },
    { "dirsync", false, MS_DIRSYNC },
    { "exec", true, MS_NOEXEC },
    { "iversion", false, MS_I_VERSION },
    { "lazytime", false, MS_LAZYTIME },
    { "loud", true, MS_SILENT },
    { "mand", false, MS_MANDLOCK },
    { "noacl", true, MS_POSIXACL },
    { "noatime", false, MS_NOATIME },
    { "nodev", false, MS_NODEV },
    { "nodiratime", false, MS_NODIRATIME },
    { "noexec", false, MS_NOEXEC },
    { "noiversion", true, MS_I_VERSION },
    { "nolazytime", true, MS_LAZYTIME },
    { "nomand", true, MS_MANDLOCK },
    { "norelatime", true, MS_RELATIME },
    { "nostrictatime", true, MS_STRICTATIME },
    { "nosuid", false, MS_NOSUID },
    { "nosymfollow", false, kNoSymlinkFollow },
    { "rbind", false, MS_BIND | MS_REC },
    { "relatime", false, MS_RELATIME },
    { "remount", false, MS_REMOUNT },
    { "ro", false, MS_RDONLY },
    { "rw", true, MS_RDONLY },
    { "silent", false, MS_SILENT },
    { "strictatime", false, MS_STRICTATIME },
    { "suid", true, MS_NOSUID },
    { "sync", false, MS_SYNCHRONOUS },
};

struct PropagationOption {
    std::string_view name;
    unsigned long flags;
};

constexpr PropagationOption kPropagationOptions[] = {
    { "private", MS_PRIVATE },
    { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },
    { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },
    { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE },
    { "runbindable", MS_UNBINDABLE | MS_REC },
};

bool apply_flag_option(MountOptions& out, std::string_view option)
{
    for (const FlagOption& known : kFlagOptions) {
        if (known.name != option)
            continue;
        if (known.clears)
            out.flags &= ~known.flag;
        else
            out.flags |= known.flag;
        return true;
    }
    return false;
}

bool apply_propagation_option(MountOptions& out, std::string_view option)
{
    for (const PropagationOption& known : kPropagationOptions) {
        if (known.name == option) {
            out.propagation.push_back(known.flags);
            return true;
        }
    }
    return false;
}

} // namespace

bool MountOptions::is_bind() const { return (flags & MS_BIND) != 0; }

bool MountOptions::needs_bind_remount() const
{
    return is_bind() && (flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) != 0;
}

unsigned long MountOptions::bind_remount_flags() const
{
    return (flags & ~MS_REC) | MS_REMOUNT | MS_BIND;
}

MountOptions parse_mount_options(const std::vector<std::string>& options)
{
    MountOptions out;
    for (const std::string& option : options) {
        if (option.empty())
            continue;
        if (apply_flag_option(out, option) || apply_propagation_option(out, option))
            continue;
        if (!out.data.empty())
            out.data += ',';
        out.data += option;
    }
    return out;
}

} // namespace rvisor::agent
