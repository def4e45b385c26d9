#include "devices/virtio/fs/confinement.h"

#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace rvisor::devices::virtio::fs {

int last_error() { return errno != 0 ? errno : EIO; }

int open_beneath(int directory, const char* name, uint64_t flags, mode_t mode, host::UniqueFd& out)
{
    open_how how {};
    how.flags = flags | O_NOFOLLOW | O_CLOEXEC;
    how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    long fd;
    // glibc 2.36 has no openat2() wrapper.
    do {
        fd = ::syscall(SYS_openat2, directory, name, &how, sizeof how);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return last_error();
    out = host::UniqueFd(static_cast<int>(fd));
    return 0;
}

std::string magic_link_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int stat_inode(int fd, struct stat& st)
{
    if (::fstatat(fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
        return last_error();
    return 0;
}

bool is_single_component(std::string_view name)
{
    return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos
        && name.find('\0') == std::string_view::npos;
}

} // namespace rvisor::devices::virtio::fs
