#pragma once
// The host calls through which PassthroughFs reaches inodes without leaving the shared
// directory (passthrough_fs.h says why each is safe).
#include "host/unique_fd.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace rvisor::devices::virtio::fs {

// The open() flags a guest may pass through; anything else (O_CREAT, O_NOCTTY, O_DIRECT,
// O_NOATIME, O_PATH, ...) is the host's business, or a way around the checks here.
constexpr uint32_t kPassedOpenFlags
    = O_ACCMODE | O_APPEND | O_TRUNC | O_SYNC | O_DSYNC | O_NONBLOCK;

// errno as the guest should see it: never 0 for a call that failed.
int last_error();

// The one way an inode is found beneath a directory fd: openat2() with no "..", no symlink on
// the way and none at the end followed (an O_PATH lookup gets the link itself), no magic link.
// 0 or an errno.
int open_beneath(int directory, const char* name, uint64_t flags, mode_t mode, host::UniqueFd& out);

// The magic link naming the inode an fd refers to. Syscalls that take a path and no fd resolve
// it to that inode itself, a symlink included, without following it further.
std::string magic_link_path(int fd);

// fstat() of an O_PATH fd, without following it if it is a symlink; 0 or an errno.
int stat_inode(int fd, struct stat&);

// Whether a name is one path component, as the FUSE server lets through: for names that come
// from elsewhere (saved state).
bool is_single_component(std::string_view name);

} // namespace rvisor::devices::virtio::fs
