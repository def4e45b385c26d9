#include "container_filesystem.h"

#include "mount_options.h"
#include "unique_fd.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::agent {

namespace {

constexpr mode_t kDirectoryMode = 0755;

CallError step_failed(const std::string& step, int error_number)
{
    return CallError { error_number, step + " failed: " + std::strerror(error_number) };
}

// mkdir -p: every missing directory of path, path included.
std::optional<CallError> make_directories(const std::string& path)
{
    for (size_t end = path.find('/', 1);; end = path.find('/', end + 1)) {
        std::string prefix = path.substr(0, end);
        if (!prefix.empty() && mkdir(prefix.c_str(), kDirectoryMode) != 0 && errno != EEXIST)
            return step_failed("creating the directory " + prefix, errno);
        if (end == std::string::npos)
            return std::nullopt;
    }
}

std::string parent_of(const std::string& path)
{
    size_t slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// A mount point of the kind the mount needs: a file for a bind of a file (a directory cannot be
// covered by a file), else a directory.
std::optional<CallError> make_mount_point(const Mount& request, bool is_bind)
{
    struct stat source { };
    if (is_bind && stat(request.source.c_str(), &source) != 0)
        return step_failed("finding the bind mount's source " + request.source, errno);
    if (!is_bind || S_ISDIR(source.st_mode))
        return make_directories(request.target);
    if (auto error = make_directories(parent_of(request.target)))
        return error;
    UniqueFd file(open(request.target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    // A directory already there is left for mount(2) to refuse with the right errno.
    if (!file && errno != EISDIR)
        return step_failed("creating the mount point " + request.target, errno);
    return std::nullopt;
}

// An overlay's upper and work directories, which must exist before the mount: made, as the
// engines that prepare overlays on the host do, so that one call sets up a writable layer over a
// read-only root (a tmpfs holding both keeps each VM's writes its own).
std::optional<CallError> make_overlay_directories(const std::string& data)
{
    for (size_t start = 0; start < data.size();) {
        size_t end = data.find(',', start);
        if (end == std::string::npos)
            end = data.size();
        const std::string option = data.substr(start, end - start);
        for (const char* key : { "upperdir=", "workdir=" }) {
            if (option.starts_with(key) && option.size() > std::strlen(key))
                if (auto error = make_directories(option.substr(std::strlen(key))))
                    return error;
        }
        start = end + 1;
    }
    return std::nullopt;
}

} // namespace

std::optional<CallError> mount_filesystem(const Mount& request)
{
    MountOptions options = parse_mount_options(request.options);
    // runc takes a type of "bind" for a bind mount even without the option.
    bool is_bind = options.is_bind() || request.fstype == "bind";
    if (is_bind)
        options.flags |= MS_BIND;
    else if (request.fstype.empty())
        return CallError { EINVAL,
            "mounting " + request.target + " needs an fstype, or a bind or rbind option" };
    if (auto error = make_mount_point(request, is_bind))
        return error;
    if (request.fstype == "overlay")
        if (auto error = make_overlay_directories(options.data))
            return error;
    const char* fstype = is_bind ? nullptr : request.fstype.c_str();
    const char* data = options.data.empty() ? nullptr : options.data.c_str();
    if (mount(request.source.c_str(), request.target.c_str(), fstype, options.flags, data) != 0)
        return step_failed("mounting " + request.source + " on " + request.target, errno);
    if (options.needs_bind_remount()
        && mount(nullptr, request.target.c_str(), nullptr, options.bind_remount_flags(), nullptr)
            != 0)
        return step_failed(
            "remounting the bind mount " + request.target + " with its flags", errno);
    for (unsigned long propagation : options.propagation) {
        if (mount(nullptr, request.target.c_str(), nullptr, propagation, nullptr) != 0)
            return step_failed("changing the propagation of " + request.target, errno);
    }
    return std::nullopt;
}

std::optional<CallError> make_symlink(const Symlink& request)
{
    if (auto error = make_directories(parent_of(request.path)))
        return error;
    if (symlink(request.target.c_str(), request.path.c_str()) != 0 && errno != EEXIST)
        return step_failed("creating the link " + request.path, errno);
    return std::nullopt;
}

std::optional<CallError> write_file(const WriteFile& request)
{
    if (auto error = make_directories(parent_of(request.path)))
        return error;
    // Truncated in place rather than replaced by a rename: the file may already be bind-mounted
    // into a rootfs, and the mount holds the inode.
    UniqueFd file(open(request.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!file)
        return step_failed("opening " + request.path, errno);
    // The agent's umask, and an older file's mode, must not change the mode asked for.
    if (fchmod(file.get(), request.mode) != 0)
        return step_failed("setting the mode of " + request.path, errno);
    size_t written = 0;
    while (written < request.content.size()) {
        ssize_t n
            = write(file.get(), request.content.data() + written, request.content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return step_failed("writing " + request.path, errno);
        written += static_cast<size_t>(n);
    }
    if (close(file.release()) != 0)
        return step_failed("writing " + request.path, errno);
    return std::nullopt;
}

} // namespace rvisor::agent
