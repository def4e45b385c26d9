#include "devices/virtio/fs/passthrough_fs.h"

#include "devices/virtio/fs/confinement.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <functional>
#include <stdexcept>

namespace rvisor::devices::virtio::fs {

namespace {

constexpr size_t kDirectoryBufferSize = 32 * 1024;

bool is_write_access(uint32_t flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC) != 0;
}

// What preadv()/pwritev() did with guest buffers at most IOV_MAX at a time, until one comes
// back short.
template <typename Transfer>
int transfer(std::span<const std::span<uint8_t>> buffers, uint64_t offset, uint64_t& count,
    Transfer transfer_vector)
{
    count = 0;
    std::vector<iovec> vector;
    size_t index = 0;
    while (index < buffers.size()) {
        vector.clear();
        uint64_t wanted = 0;
        for (; index < buffers.size() && vector.size() < IOV_MAX; ++index) {
            vector.push_back({ buffers[index].data(), buffers[index].size() });
            wanted += buffers[index].size();
        }
        ssize_t done;
        do {
            done = transfer_vector(
                vector.data(), static_cast<int>(vector.size()), static_cast<off_t>(offset + count));
        } while (done < 0 && errno == EINTR);
        if (done < 0)
            return count > 0 ? 0 : last_error();
        count += static_cast<uint64_t>(done);
        if (static_cast<uint64_t>(done) < wanted)
            break;
    }
    return 0;
}

bool is_dot_or_dot_dot(std::string_view name) { return name == "." || name == ".."; }

// A value whose size is asked for first (getxattr, listxattr with a null buffer), then read;
// it may grow in between, hence the retries. 0, or the errno.
int read_sized(std::vector<uint8_t>& value, const std::function<ssize_t(void*, size_t)>& read)
{
    for (int attempt = 0; attempt < 4; ++attempt) {
        const ssize_t size = read(nullptr, 0);
        if (size < 0)
            return last_error();
        value.resize(static_cast<size_t>(size));
        const ssize_t got = read(value.data(), value.size());
        if (got >= 0) {
            value.resize(static_cast<size_t>(got));
            return 0;
        }
        if (errno != ERANGE)
            return last_error();
    }
    return ERANGE;
}

} // namespace

PassthroughFs::PassthroughFs(
    const std::filesystem::path& directory, bool read_only, size_t max_inodes, size_t max_handles)
    : m_read_only(read_only)
    , m_max_inodes(max_inodes)
    , m_max_handles(max_handles)
    , m_inodes(max_inodes)
{
    // The only host path that ever reaches a syscall.
    const int fd = ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        throw std::runtime_error("cannot share " + directory.string() + ": "
            + (error == ENOTDIR ? std::string("it is not a directory") : std::strerror(error)));
    }
    host::UniqueFd root(fd);
    struct stat st { };
    if (stat_inode(root.get(), st) != 0)
        throw std::runtime_error(
            "cannot share " + directory.string() + ": " + std::strerror(errno));
    m_inodes.set_root(std::move(root), st.st_dev, st.st_ino);
}

void PassthroughFs::destroy()
{
    // The guest unmounted: everything it held goes, the root stays for the next mount.
    m_handles.clear();
    for (uint64_t nodeid : m_inodes.nodeids_parents_first()) {
        if (Inode* inode = m_inodes.find(nodeid))
            m_inodes.forget(nodeid, inode->lookups);
    }
}

int PassthroughFs::lookup_entry(
    uint64_t parent, const Inode& parent_inode, const char* name, Entry& entry)
{
    host::UniqueFd fd;
    if (int error = open_beneath(parent_inode.fd.get(), name, O_PATH, 0, fd))
        return error;
    struct stat st { };
    if (int error = stat_inode(fd.get(), st))
        return error;
    auto nodeid = m_inodes.add_lookup(
        std::move(fd), st.st_dev, st.st_ino, st.st_mode & S_IFMT, parent, name);
    if (!nodeid)
        return ENFILE;
    entry.nodeid = *nodeid;
    entry.attributes = st;
    return 0;
}

int PassthroughFs::lookup(uint64_t parent, std::string_view name, Entry& entry)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    return lookup_entry(parent, *parent_inode, std::string(name).c_str(), entry);
}

void PassthroughFs::forget(uint64_t nodeid, uint64_t count) { m_inodes.forget(nodeid, count); }

int PassthroughFs::getattr(uint64_t nodeid, std::optional<uint64_t>, struct stat& st)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    return stat_inode(inode->fd.get(), st);
}

int PassthroughFs::setattr(
    uint64_t nodeid, std::optional<uint64_t> fh, const AttributeChange& change, struct stat& st)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const std::string path = magic_link_path(inode->fd.get());
    if (change.mode && ::chmod(path.c_str(), *change.mode & 07777) != 0)
        return last_error();
    if (change.uid || change.gid) {
        const uid_t uid = change.uid.value_or(static_cast<uid_t>(-1));
        const gid_t gid = change.gid.value_or(static_cast<gid_t>(-1));
        if (::fchownat(inode->fd.get(), "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0)
            return last_error();
    }
    if (change.size) {
        Handle* handle = fh ? find_handle(nodeid, *fh, false) : nullptr;
        host::UniqueFd reopened;
        int fd = handle ? handle->fd.get() : -1;
        if (fd < 0) {
            if (int error = reopen(*inode, O_WRONLY, reopened))
                return error;
            fd = reopened.get();
        }
        if (::ftruncate(fd, static_cast<off_t>(*change.size)) != 0)
            return last_error();
    }
    if (change.access_time || change.modification_time) {
        timespec times[2] = { change.access_time.value_or(timespec { 0, UTIME_OMIT }),
            change.modification_time.value_or(timespec { 0, UTIME_OMIT }) };
        if (::utimensat(AT_FDCWD, path.c_str(), times, 0) != 0)
            return last_error();
    }
    return stat_inode(inode->fd.get(), st);
}

int PassthroughFs::readlink(uint64_t nodeid, std::string& target)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (inode->type != S_IFLNK)
        return EINVAL;
    std::vector<char> buffer(PATH_MAX + 1);
    const ssize_t length = ::readlinkat(inode->fd.get(), "", buffer.data(), buffer.size());
    if (length < 0)
        return last_error();
    target.assign(buffer.data(), static_cast<size_t>(length));
    return 0;
}

void PassthroughFs::apply_mode(const Inode& inode, mode_t wanted) const
{
    struct stat st { };
    if (stat_inode(inode.fd.get(), st) != 0 || (st.st_mode & 0777) == (wanted & 0777))
        return;
    // Kept: a directory's set-group-ID bit inherited from its parent.
    const mode_t mode = (wanted & 07777) | (st.st_mode & S_ISGID);
    [[maybe_unused]] int ignored = ::chmod(magic_link_path(inode.fd.get()).c_str(), mode);
}

int PassthroughFs::symlink(
    uint64_t parent, std::string_view name, std::string_view target, Entry& entry)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const std::string component(name);
    if (::symlinkat(std::string(target).c_str(), parent_inode->fd.get(), component.c_str()) != 0)
        return last_error();
    return lookup_entry(parent, *parent_inode, component.c_str(), entry);
}

int PassthroughFs::mknod(
    uint64_t parent, std::string_view name, mode_t mode, uint32_t, mode_t umask, Entry& entry)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const mode_t type = mode & S_IFMT;
    // Device nodes would reach host drivers; a guest that needs one makes it in its own tmpfs.
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK)
        return EPERM;
    const mode_t wanted = mode & ~umask & 07777;
    const std::string component(name);
    if (::mknodat(parent_inode->fd.get(), component.c_str(), type | wanted, 0) != 0)
        return last_error();
    if (int error = lookup_entry(parent, *parent_inode, component.c_str(), entry))
        return error;
    apply_mode(*m_inodes.find(entry.nodeid), wanted);
    return stat_inode(m_inodes.find(entry.nodeid)->fd.get(), entry.attributes);
}

int PassthroughFs::mkdir(
    uint64_t parent, std::string_view name, mode_t mode, mode_t umask, Entry& entry)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const mode_t wanted = mode & ~umask & 07777;
    const std::string component(name);
    if (::mkdirat(parent_inode->fd.get(), component.c_str(), wanted) != 0)
        return last_error();
    if (int error = lookup_entry(parent, *parent_inode, component.c_str(), entry))
        return error;
    apply_mode(*m_inodes.find(entry.nodeid), wanted);
    return stat_inode(m_inodes.find(entry.nodeid)->fd.get(), entry.attributes);
}

std::optional<uint64_t> PassthroughFs::nodeid_at(const Inode& parent, const char* name) const
{
    struct stat st { };
    if (::fstatat(parent.fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return std::nullopt;
    return m_inodes.find(st.st_dev, st.st_ino);
}

void PassthroughFs::forget_path(
    std::optional<uint64_t> nodeid, uint64_t parent, const std::string& name)
{
    // Only if it was the name on record: a hard link may still be known by another.
    const Inode* inode = nodeid ? m_inodes.find(*nodeid) : nullptr;
    if (inode && inode->parent == parent && inode->name == name)
        m_inodes.rename(*nodeid, 0, {});
}

int PassthroughFs::unlink(uint64_t parent, std::string_view name)
{
    return remove_entry(parent, name, 0);
}

int PassthroughFs::rmdir(uint64_t parent, std::string_view name)
{
    return remove_entry(parent, name, AT_REMOVEDIR);
}

int PassthroughFs::remove_entry(uint64_t parent, std::string_view name, int flags)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const std::string component(name);
    const auto removed = nodeid_at(*parent_inode, component.c_str());
    if (::unlinkat(parent_inode->fd.get(), component.c_str(), flags) != 0)
        return last_error();
    forget_path(removed, parent, component);
    return 0;
}

int PassthroughFs::rename(uint64_t parent, std::string_view name, uint64_t new_parent,
    std::string_view new_name, uint32_t flags)
{
    Inode* from = m_inodes.find(parent);
    Inode* to = m_inodes.find(new_parent);
    if (!from || !to)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    // RENAME_WHITEOUT makes a character device, which is for overlay file systems on the host.
    if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0)
        return EINVAL;
    const std::string old_component(name);
    const std::string new_component(new_name);
    const auto moved = nodeid_at(*from, old_component.c_str());
    const auto replaced = nodeid_at(*to, new_component.c_str());
    if (::renameat2(
            from->fd.get(), old_component.c_str(), to->fd.get(), new_component.c_str(), flags)
        != 0)
        return last_error();
    if (replaced && replaced != moved) {
        if (flags & RENAME_EXCHANGE)
            m_inodes.rename(*replaced, parent, old_component);
        else
            forget_path(replaced, new_parent, new_component);
    }
    if (moved)
        m_inodes.rename(*moved, new_parent, new_component);
    return 0;
}

int PassthroughFs::link(
    uint64_t nodeid, uint64_t new_parent, std::string_view new_name, Entry& entry)
{
    Inode* inode = m_inodes.find(nodeid);
    Inode* parent_inode = m_inodes.find(new_parent);
    if (!inode || !parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    const std::string component(new_name);
    // linkat() with AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the magic link does not, and
    // AT_SYMLINK_FOLLOW follows only it, to the inode itself.
    if (::linkat(AT_FDCWD, magic_link_path(inode->fd.get()).c_str(), parent_inode->fd.get(),
            component.c_str(), AT_SYMLINK_FOLLOW)
        != 0)
        return last_error();
    return lookup_entry(new_parent, *parent_inode, component.c_str(), entry);
}

int PassthroughFs::reopen(const Inode& inode, int flags, host::UniqueFd& out) const
{
    if (inode.type == S_IFLNK)
        return ELOOP;
    if (inode.type != S_IFREG && inode.type != S_IFDIR)
        return ENXIO;
    if (inode.type == S_IFDIR && (flags & O_ACCMODE) != O_RDONLY)
        return EISDIR;
    int fd;
    do {
        fd = ::open(magic_link_path(inode.fd.get()).c_str(), (flags & ~O_CREAT) | O_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return last_error();
    out = host::UniqueFd(fd);
    return 0;
}

int PassthroughFs::add_handle(
    uint64_t nodeid, host::UniqueFd fd, uint32_t flags, bool directory, uint64_t& fh)
{
    if (m_handles.size() >= m_max_handles)
        return ENFILE;
    fh = m_next_handle++;
    Handle& handle = m_handles[fh];
    handle.nodeid = nodeid;
    handle.fd = std::move(fd);
    handle.flags = flags;
    handle.directory = directory;
    return 0;
}

PassthroughFs::Handle* PassthroughFs::find_handle(uint64_t nodeid, uint64_t fh, bool directory)
{
    auto found = m_handles.find(fh);
    // A handle is the guest's only for the inode it opened.
    if (found == m_handles.end() || found->second.nodeid != nodeid
        || found->second.directory != directory)
        return nullptr;
    return &found->second;
}

int PassthroughFs::open(uint64_t nodeid, uint32_t flags, uint64_t& fh)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    flags &= kPassedOpenFlags;
    if (m_read_only && is_write_access(flags))
        return EROFS;
    if (inode->type == S_IFDIR)
        return EISDIR;
    host::UniqueFd fd;
    if (int error = reopen(*inode, static_cast<int>(flags), fd))
        return error;
    // Reopened after a restore without truncating again.
    return add_handle(nodeid, std::move(fd), flags & ~O_TRUNC, false, fh);
}

int PassthroughFs::create(uint64_t parent, std::string_view name, mode_t mode, uint32_t flags,
    mode_t umask, Entry& entry, uint64_t& fh)
{
    Inode* parent_inode = m_inodes.find(parent);
    if (!parent_inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    if (m_handles.size() >= m_max_handles)
        return ENFILE;
    const bool exclusive = (flags & O_EXCL) != 0;
    flags &= kPassedOpenFlags;
    const mode_t wanted = mode & ~umask & 07777;
    const std::string component(name);
    // Exclusive first, so that the mode is set only on a file this call made: O_CREAT of an
    // existing file leaves its mode alone.
    host::UniqueFd fd;
    int error = open_beneath(
        parent_inode->fd.get(), component.c_str(), flags | O_CREAT | O_EXCL, wanted, fd);
    const bool created = error == 0;
    if (error == EEXIST && !exclusive)
        error = open_beneath(parent_inode->fd.get(), component.c_str(), flags, 0, fd);
    if (error)
        return error;
    struct stat st { };
    if (int error = stat_inode(fd.get(), st))
        return error;
    if (!S_ISREG(st.st_mode))
        return EISDIR; // O_CREAT on an existing directory fails on the host; anything else too
    // The inode table's O_PATH fd comes from the file just opened, never from the name again,
    // which the guest may have changed meanwhile.
    host::UniqueFd path_fd(::open(magic_link_path(fd.get()).c_str(), O_PATH | O_CLOEXEC));
    if (!path_fd)
        return last_error();
    auto nodeid
        = m_inodes.add_lookup(std::move(path_fd), st.st_dev, st.st_ino, S_IFREG, parent, component);
    if (!nodeid)
        return ENFILE;
    Inode& inode = *m_inodes.find(*nodeid);
    if (created)
        apply_mode(inode, wanted);
    entry.nodeid = *nodeid;
    if (int error = stat_inode(inode.fd.get(), entry.attributes)) {
        m_inodes.forget(*nodeid, 1);
        return error;
    }
    if (int error = add_handle(*nodeid, std::move(fd), flags & ~O_TRUNC, false, fh)) {
        m_inodes.forget(*nodeid, 1);
        return error;
    }
    return 0;
}

int PassthroughFs::read(uint64_t nodeid, uint64_t fh, uint64_t offset,
    std::span<const std::span<uint8_t>> buffers, uint64_t& count)
{
    Handle* handle = find_handle(nodeid, fh, false);
    if (!handle)
        return EBADF;
    const int fd = handle->fd.get();
    return transfer(buffers, offset, count, [fd](const iovec* vector, int length, off_t at) {
        return ::preadv(fd, vector, length, at);
    });
}

int PassthroughFs::write(uint64_t nodeid, uint64_t fh, uint64_t offset,
    std::span<const std::span<uint8_t>> buffers, uint64_t& count)
{
    if (m_read_only)
        return EROFS;
    Handle* handle = find_handle(nodeid, fh, false);
    if (!handle)
        return EBADF;
    const int fd = handle->fd.get();
    return transfer(buffers, offset, count, [fd](const iovec* vector, int length, off_t at) {
        return ::pwritev(fd, vector, length, at);
    });
}

int PassthroughFs::statfs(uint64_t nodeid, struct statvfs& st)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (::fstatvfs(inode->fd.get(), &st) != 0)
        return last_error();
    return 0;
}

int PassthroughFs::release(uint64_t nodeid, uint64_t fh)
{
    return release_handle(nodeid, fh, false);
}

int PassthroughFs::fsync(uint64_t nodeid, uint64_t fh, bool data_only)
{
    return sync_handle(nodeid, fh, false, data_only);
}

int PassthroughFs::release_handle(uint64_t nodeid, uint64_t fh, bool directory)
{
    if (!find_handle(nodeid, fh, directory))
        return EBADF;
    m_handles.erase(fh);
    return 0;
}

int PassthroughFs::sync_handle(uint64_t nodeid, uint64_t fh, bool directory, bool data_only)
{
    Handle* handle = find_handle(nodeid, fh, directory);
    if (!handle)
        return EBADF;
    const int result = data_only ? ::fdatasync(handle->fd.get()) : ::fsync(handle->fd.get());
    return result == 0 ? 0 : last_error();
}

int PassthroughFs::flush(uint64_t nodeid, uint64_t fh)
{
    Handle* handle = find_handle(nodeid, fh, false);
    if (!handle)
        return EBADF;
    // What close() of the guest's descriptor would report on the host (NFS reports write
    // errors here), without closing the handle, which RELEASE does.
    const int duplicate = ::dup(handle->fd.get());
    if (duplicate < 0)
        return last_error();
    return ::close(duplicate) == 0 ? 0 : last_error();
}

int PassthroughFs::opendir(uint64_t nodeid, uint32_t, uint64_t& fh)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (inode->type != S_IFDIR)
        return ENOTDIR;
    host::UniqueFd fd;
    if (int error = reopen(*inode, O_RDONLY | O_DIRECTORY, fd))
        return error;
    return add_handle(nodeid, std::move(fd), O_RDONLY | O_DIRECTORY, true, fh);
}

int PassthroughFs::readdir(uint64_t nodeid, uint64_t fh, uint64_t offset, DirectoryListing& listing)
{
    Handle* handle = find_handle(nodeid, fh, true);
    Inode* inode = m_inodes.find(nodeid);
    if (!handle || !inode)
        return EBADF;
    // The guest reads on from where the last reply ended; anywhere else (a rewinddir(), a
    // seekdir(), a reply it lost) starts over from that d_off.
    if (offset != handle->next_offset || handle->entries.empty()) {
        if (::lseek(handle->fd.get(), static_cast<off_t>(offset), SEEK_SET) < 0)
            return last_error();
        handle->entries.resize(kDirectoryBufferSize);
        handle->entries_begin = handle->entries_end = 0;
        handle->next_offset = offset;
    }
    bool added = false;
    while (true) {
        if (handle->entries_begin >= handle->entries_end) {
            const long count = ::syscall(
                SYS_getdents64, handle->fd.get(), handle->entries.data(), handle->entries.size());
            if (count < 0)
                return added ? 0 : last_error();
            if (count == 0)
                return 0;
            handle->entries_begin = 0;
            handle->entries_end = static_cast<size_t>(count);
        }
        // struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16, d_type u8, d_name.
        const uint8_t* record = handle->entries.data() + handle->entries_begin;
        uint64_t inode_number;
        int64_t next_offset;
        uint16_t record_length;
        std::memcpy(&inode_number, record, 8);
        std::memcpy(&next_offset, record + 8, 8);
        std::memcpy(&record_length, record + 16, 2);
        const uint8_t type = record[18];
        const char* name = reinterpret_cast<const char*>(record + 19);
        const std::string_view name_view(name, ::strnlen(name, record_length - 19u));
        if (!listing.has_room(name_view.size()))
            return 0;
        DirectoryEntry directory_entry { inode_number, static_cast<uint64_t>(next_offset), type,
            name_view };
        if (listing.plus()) {
            Entry entry;
            if (is_dot_or_dot_dot(name_view)
                || lookup_entry(nodeid, *inode, std::string(name_view).c_str(), entry) != 0)
                entry = Entry {};
            listing.add(directory_entry, &entry);
        } else {
            listing.add(directory_entry, nullptr);
        }
        added = true;
        handle->entries_begin += record_length;
        handle->next_offset = static_cast<uint64_t>(next_offset);
    }
}

int PassthroughFs::releasedir(uint64_t nodeid, uint64_t fh)
{
    return release_handle(nodeid, fh, true);
}

int PassthroughFs::fsyncdir(uint64_t nodeid, uint64_t fh, bool data_only)
{
    return sync_handle(nodeid, fh, true, data_only);
}

int PassthroughFs::access(uint64_t nodeid, uint32_t mask)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (m_read_only && (mask & W_OK) && inode->type != S_IFIFO && inode->type != S_IFSOCK)
        return EROFS;
    if (::faccessat(AT_FDCWD, magic_link_path(inode->fd.get()).c_str(), static_cast<int>(mask), 0)
        != 0)
        return last_error();
    return 0;
}

int PassthroughFs::setxattr(
    uint64_t nodeid, std::string_view name, std::span<const uint8_t> value, uint32_t flags)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    if (::setxattr(magic_link_path(inode->fd.get()).c_str(), std::string(name).c_str(),
            value.data(), value.size(), static_cast<int>(flags))
        != 0)
        return last_error();
    return 0;
}

int PassthroughFs::getxattr(uint64_t nodeid, std::string_view name, std::vector<uint8_t>& value)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    const std::string path = magic_link_path(inode->fd.get());
    const std::string attribute(name);
    return read_sized(value, [&](void* buffer, size_t size) {
        return ::getxattr(path.c_str(), attribute.c_str(), buffer, size);
    });
}

int PassthroughFs::listxattr(uint64_t nodeid, std::vector<uint8_t>& names)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    const std::string path = magic_link_path(inode->fd.get());
    return read_sized(names, [&](void* buffer, size_t size) {
        return ::listxattr(path.c_str(), static_cast<char*>(buffer), size);
    });
}

int PassthroughFs::removexattr(uint64_t nodeid, std::string_view name)
{
    Inode* inode = m_inodes.find(nodeid);
    if (!inode)
        return ESTALE;
    if (m_read_only)
        return EROFS;
    if (::removexattr(magic_link_path(inode->fd.get()).c_str(), std::string(name).c_str()) != 0)
        return last_error();
    return 0;
}

int PassthroughFs::lseek(
    uint64_t nodeid, uint64_t fh, uint64_t offset, uint32_t whence, uint64_t& result)
{
    Handle* handle = find_handle(nodeid, fh, false);
    if (!handle)
        return EBADF;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END && whence != SEEK_DATA
        && whence != SEEK_HOLE)
        return EINVAL;
    const off_t position
        = ::lseek(handle->fd.get(), static_cast<off_t>(offset), static_cast<int>(whence));
    if (position < 0)
        return last_error();
    result = static_cast<uint64_t>(position);
    return 0;
}

int PassthroughFs::fallocate(
    uint64_t nodeid, uint64_t fh, uint64_t offset, uint64_t length, uint32_t mode)
{
    if (m_read_only)
        return EROFS;
    Handle* handle = find_handle(nodeid, fh, false);
    if (!handle)
        return EBADF;
    if (::fallocate(handle->fd.get(), static_cast<int>(mode), static_cast<off_t>(offset),
            static_cast<off_t>(length))
        != 0)
        return last_error();
    return 0;
}

int PassthroughFs::syncfs(uint64_t)
{
    // syncfs() takes no O_PATH fd.
    host::UniqueFd root;
    if (int error = reopen(*m_inodes.find(InodeTable::kRootId), O_RDONLY | O_DIRECTORY, root))
        return error;
    return ::syncfs(root.get()) == 0 ? 0 : last_error();
}

} // namespace rvisor::devices::virtio::fs
