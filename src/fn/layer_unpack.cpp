#include "fn/layer_unpack.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <string_view>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace rvisor::fn {

namespace {

constexpr int kDirectoryFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";

using Components = std::vector<std::string>;

std::string joined(const Components& parts, size_t count)
{
    std::string path;
    for (size_t i = 0; i < count; ++i)
        path += (i ? "/" : "") + parts[i];
    return path;
}

bool running_as_root() { return ::geteuid() == 0; }

// Errors of the host rather than of the layer: the deploy failed, but not for the caller.
bool is_host_failure(int error)
{
    return error == ENOSPC || error == EDQUOT || error == EIO || error == ENOMEM || error == EMFILE
        || error == ENFILE;
}

using ArchiveReader = std::unique_ptr<archive, decltype(ArchiveLibrary::read_free)>;

// The directory parts[0..count) beneath `root`, each component opened without following a
// link, made first (0755) when missing and `create`. On failure the descriptor is empty, errno
// says why (ELOOP for a symbolic link in the way, ENOTDIR for another file) and `opened` how
// many components were opened.
host::UniqueFd open_beneath(
    int root, const Components& parts, size_t count, bool create, size_t& opened)
{
    host::UniqueFd current(::openat(root, ".", kDirectoryFlags));
    for (opened = 0; current && opened < count; ++opened) {
        const char* name = parts[opened].c_str();
        int fd = ::openat(current.get(), name, kDirectoryFlags);
        if (fd < 0 && errno == ENOENT && create) {
            if (::mkdirat(current.get(), name, 0755) != 0 && errno != EEXIST)
                return {};
            fd = ::openat(current.get(), name, kDirectoryFlags);
        }
        if (fd < 0) {
            // O_NOFOLLOW | O_DIRECTORY on a link says ENOTDIR or ELOOP: make it ELOOP.
            const int error = errno;
            struct stat status { };
            const bool link = ::fstatat(current.get(), name, &status, AT_SYMLINK_NOFOLLOW) == 0
                && S_ISLNK(status.st_mode);
            errno = link ? ELOOP : error;
            return {};
        }
        current = host::UniqueFd(fd);
    }
    return current;
}

// One layer being applied: its archive, the root, and the paths this layer has made, which its
// own whiteouts leave alone (they delete only what the layers below made).
class LayerApplication {
public:
    LayerApplication(const ArchiveLibrary& library, const ImageLayer& layer, int root,
        std::map<std::string, LayerUnpacker::DirectoryMetadata>& directories)
        : m_library(library)
        , m_layer(layer)
        , m_root(root)
        , m_directories(directories)
        , m_reader(m_library.read_new(), m_library.read_free)
    {
    }

    void run()
    {
        const host::UniqueFd blob(
            ::open(m_layer.blob.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
        if (!blob)
            fail(errno, "cannot be opened");
        archive* reader = m_reader.get();
        m_library.read_support_format_tar(reader);
        // Only the compression the media type names: a "tar" layer that is gzip is refused.
        if (m_layer.compression == LayerCompression::Gzip)
            m_library.read_support_filter_gzip(reader);
        else if (m_layer.compression == LayerCompression::Zstd)
            m_library.read_support_filter_zstd(reader);
        if (m_library.read_open_fd(reader, blob.get(), 1 << 16) != ARCHIVE_OK)
            refuse_stream();
        for (;;) {
            archive_entry* entry = nullptr;
            const int status = m_library.read_next_header(reader, &entry);
            if (status == ARCHIVE_EOF)
                return;
            if (status < ARCHIVE_WARN)
                refuse_stream();
            apply_entry(entry);
        }
    }

private:
    [[noreturn]] void refuse(std::string_view what) const
    {
        throw ImageLayoutError(
            fmt::format("{}: the entry \"{}\" {}", m_layer.blob.string(), m_entry_path, what));
    }

    [[noreturn]] void refuse_stream() const
    {
        const char* message = m_library.error_string(m_reader.get());
        throw ImageLayoutError(fmt::format("{}: it is not a readable tar stream ({})",
            m_layer.blob.string(), message ? message : "no reason given"));
    }

    [[noreturn]] void fail(int error, std::string_view what) const
    {
        const std::string message = fmt::format("{}: the entry \"{}\" {}: {}",
            m_layer.blob.string(), m_entry_path, what, std::strerror(error));
        if (is_host_failure(error))
            throw std::system_error(error, std::generic_category(), message);
        throw ImageLayoutError(message);
    }

    // "./a//b/" as {a, b}; an absolute path or a ".." is refused.
    Components split(std::string_view path) const
    {
        if (path.starts_with('/'))
            refuse("has an absolute path");
        Components parts;
        while (!path.empty()) {
            const size_t slash = path.find('/');
            const std::string_view part = path.substr(0, slash);
            path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
            if (part == "..")
                refuse("has a \"..\" in its path");
            if (!part.empty() && part != ".")
                parts.emplace_back(part);
        }
        return parts;
    }

    // The directory parts[0..count) beneath the root (see open_beneath); an empty descriptor
    // when one is missing and not `create`d.
    host::UniqueFd open_directory(const Components& parts, size_t count, bool create) const
    {
        size_t opened = 0;
        host::UniqueFd directory = open_beneath(m_root, parts, count, create, opened);
        if (directory || (errno == ENOENT && !create))
            return directory;
        const std::string failed = joined(parts, opened + 1);
        if (errno == ELOOP)
            refuse(fmt::format(
                "passes through the symbolic link {}, which is never followed", failed));
        if (errno == ENOTDIR)
            refuse(fmt::format("is beneath {}, which is not a directory", failed));
        fail(errno, fmt::format("cannot open the directory {}", failed));
    }

    // Removes `name` in `directory`, a directory with everything in it, never following a link.
    void remove_beneath(int directory, const char* name) const
    {
        struct stat status { };
        if (::fstatat(directory, name, &status, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                return;
            fail(errno, fmt::format("cannot inspect {}", name));
        }
        if (S_ISDIR(status.st_mode)) {
            host::UniqueFd inner(::openat(directory, name, kDirectoryFlags));
            if (!inner)
                fail(errno, fmt::format("cannot open {} to remove it", name));
            // Its owner may have made it read-only; it is ours to empty all the same.
            ::fchmod(inner.get(), (status.st_mode & 07777) | 0700);
            empty_directory(inner.get(), {});
        }
        if (::unlinkat(directory, name, S_ISDIR(status.st_mode) ? AT_REMOVEDIR : 0) != 0)
            fail(errno, fmt::format("cannot remove {}", name));
    }

    // Removes what `directory` (the path `path`, or none to remove everything) holds from the
    // layers below, keeping what this layer made.
    void empty_directory(int directory, const std::optional<std::string>& path) const
    {
        std::vector<std::pair<std::string, bool>> names; // and whether each is a directory
        {
            const int listing_fd = ::openat(directory, ".", kDirectoryFlags);
            DIR* listing = listing_fd < 0 ? nullptr : ::fdopendir(listing_fd);
            if (!listing) {
                if (listing_fd >= 0)
                    ::close(listing_fd);
                fail(errno, "cannot list a directory");
            }
            while (const dirent* child = ::readdir(listing)) {
                const std::string name = child->d_name;
                if (name != "." && name != "..")
                    names.emplace_back(name, child->d_type == DT_DIR);
            }
            ::closedir(listing);
        }
        for (const auto& [name, is_directory] : names) {
            const std::string child = path ? (path->empty() ? name : *path + "/" + name) : "";
            if (path && m_made.contains(child)) {
                if (is_directory) {
                    host::UniqueFd inner(::openat(directory, name.c_str(), kDirectoryFlags));
                    if (inner)
                        empty_directory(inner.get(), child);
                }
                continue;
            }
            remove_beneath(directory, name.c_str());
        }
    }

    void apply_whiteout(const Components& parts)
    {
        const std::string& name = parts.back();
        const host::UniqueFd parent = open_directory(parts, parts.size() - 1, false);
        if (!parent)
            return; // nothing below to delete
        const std::string directory = joined(parts, parts.size() - 1);
        if (name == kOpaqueWhiteout) {
            empty_directory(parent.get(), directory);
        } else if (!name.starts_with(".wh..wh.")) { // aufs' own bookkeeping is skipped
            const std::string target = name.substr(kWhiteout.size());
            if (target == "." || target == "..")
                refuse("whites out a name that is not a file's");
            if (!m_made.contains(directory.empty() ? target : directory + "/" + target))
                remove_beneath(parent.get(), target.c_str());
        }
    }

    void remember_made(const Components& parts)
    {
        for (size_t count = 1; count <= parts.size(); ++count)
            m_made.insert(joined(parts, count));
    }

    void apply_entry(archive_entry* entry)
    {
        const char* pathname = m_library.entry_pathname(entry);
        m_entry_path = pathname ? pathname : "";
        if (!pathname)
            refuse("has no path");
        const Components parts = split(m_entry_path);
        const mode_t type = m_library.entry_filetype(entry);
        if (parts.empty()) { // the root itself
            if (type != AE_IFDIR)
                refuse("is the root but not a directory");
            record_directory(entry, "");
            return;
        }
        if (parts.back().starts_with(kWhiteout)) {
            apply_whiteout(parts);
            return;
        }
        const bool device = type == AE_IFCHR || type == AE_IFBLK;
        if ((device && !running_as_root()) || type == AE_IFSOCK)
            return; // documented: devices need root, and a socket is nothing without its server
        remember_made(parts);
        const host::UniqueFd parent = open_directory(parts, parts.size() - 1, true);
        const char* name = parts.back().c_str();
        if (const char* hardlink = m_library.entry_hardlink(entry)) {
            link_to(parts, parent.get(), hardlink);
            return;
        }
        if (type == AE_IFDIR) {
            struct stat status { };
            if (::fstatat(parent.get(), name, &status, AT_SYMLINK_NOFOLLOW) != 0
                || !S_ISDIR(status.st_mode)) {
                remove_beneath(parent.get(), name);
                if (::mkdirat(parent.get(), name, 0700) != 0)
                    fail(errno, "cannot be made");
            }
            record_directory(entry, joined(parts, parts.size()));
            return;
        }
        remove_beneath(parent.get(), name);
        const mode_t permissions = m_library.entry_perm(entry) & 07777;
        if (type == AE_IFREG) {
            write_file(entry, parent.get(), name, permissions);
            return;
        }
        if (type == AE_IFLNK) {
            const char* target = m_library.entry_symlink(entry);
            if (!target || ::symlinkat(target, parent.get(), name) != 0)
                fail(target ? errno : EINVAL, "cannot be made a symbolic link");
        } else if (type == AE_IFIFO || device) {
            if (::mknodat(parent.get(), name, type | permissions, m_library.entry_rdev(entry)) != 0)
                fail(errno, "cannot be made");
            if (::fchmodat(parent.get(), name, permissions, 0) != 0)
                fail(errno, "cannot take its mode");
        } else {
            refuse(fmt::format("has the unknown file type {:o}", type));
        }
        // Only root may give a file away; a link's own times, not its target's.
        if (running_as_root())
            ::fchownat(parent.get(), name, m_library.entry_uid(entry), m_library.entry_gid(entry),
                AT_SYMLINK_NOFOLLOW);
        const timespec times[2]
            = { { m_library.entry_mtime(entry), m_library.entry_mtime_nsec(entry) },
                  { m_library.entry_mtime(entry), m_library.entry_mtime_nsec(entry) } };
        ::utimensat(parent.get(), name, times, AT_SYMLINK_NOFOLLOW);
    }

    void link_to(const Components& parts, int parent, const char* hardlink)
    {
        const Components target = split(hardlink);
        if (target.empty() || target == parts)
            refuse(fmt::format("is a hard link to \"{}\", which it cannot be", hardlink));
        const host::UniqueFd target_parent = open_directory(target, target.size() - 1, false);
        const char* name = parts.back().c_str();
        remove_beneath(parent, name);
        // No AT_SYMLINK_FOLLOW: a link to a symbolic link is to the link itself.
        if (!target_parent
            || ::linkat(target_parent.get(), target.back().c_str(), parent, name, 0) != 0)
            fail(target_parent ? errno : ENOENT,
                fmt::format("cannot be a hard link to \"{}\"", hardlink));
    }

    void write_file(archive_entry* entry, int parent, const char* name, mode_t permissions)
    {
        host::UniqueFd file(
            ::openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!file)
            fail(errno, "cannot be made");
        for (;;) {
            const void* data = nullptr;
            size_t size = 0;
            la_int64_t offset = 0;
            const int status = m_library.read_data_block(m_reader.get(), &data, &size, &offset);
            if (status == ARCHIVE_EOF)
                break;
            if (status < ARCHIVE_WARN)
                refuse_stream();
            // Holes of a sparse entry stay holes: each block lands at its offset.
            for (size_t done = 0; done < size;) {
                const ssize_t count = ::pwrite(file.get(), static_cast<const char*>(data) + done,
                    size - done, offset + static_cast<off_t>(done));
                if (count < 0 && errno != EINTR)
                    fail(errno, "cannot be written");
                done += count > 0 ? static_cast<size_t>(count) : 0;
            }
        }
        if (::ftruncate(file.get(), m_library.entry_size(entry)) != 0)
            fail(errno, "cannot be written");
        if (running_as_root())
            ::fchown(file.get(), m_library.entry_uid(entry), m_library.entry_gid(entry));
        // After the owner: chown clears the set-user-ID bit.
        if (::fchmod(file.get(), permissions) != 0)
            fail(errno, "cannot take its mode");
        const timespec times[2]
            = { { m_library.entry_mtime(entry), m_library.entry_mtime_nsec(entry) },
                  { m_library.entry_mtime(entry), m_library.entry_mtime_nsec(entry) } };
        ::futimens(file.get(), times);
    }

    void record_directory(archive_entry* entry, const std::string& path)
    {
        m_directories[path] = { static_cast<mode_t>(m_library.entry_perm(entry) & 07777),
            static_cast<uid_t>(m_library.entry_uid(entry)),
            static_cast<gid_t>(m_library.entry_gid(entry)),
            { m_library.entry_mtime(entry), m_library.entry_mtime_nsec(entry) } };
    }

    const ArchiveLibrary& m_library;
    const ImageLayer& m_layer;
    const int m_root;
    std::map<std::string, LayerUnpacker::DirectoryMetadata>& m_directories;
    ArchiveReader m_reader;
    std::set<std::string> m_made;
    std::string m_entry_path;
};

} // namespace

LayerUnpacker::LayerUnpacker(const std::filesystem::path& root)
    : m_root(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC))
{
    if (!m_root)
        throw std::system_error(errno, std::generic_category(), root.string());
}

void LayerUnpacker::apply(const ImageLayer& layer)
{
    LayerApplication(m_library, layer, m_root.get(), m_directories).run();
}

void LayerUnpacker::finish()
{
    // Deepest first: a parent made read-only (or unreadable) must not stop its children's turn.
    for (auto it = m_directories.rbegin(); it != m_directories.rend(); ++it) {
        const auto& [path, metadata] = *it;
        Components parts;
        for (size_t start = 0; start < path.size();) {
            const size_t slash = std::min(path.find('/', start), path.size());
            parts.push_back(path.substr(start, slash - start));
            start = slash + 1;
        }
        size_t opened = 0;
        const host::UniqueFd directory
            = open_beneath(m_root.get(), parts, parts.size(), false, opened);
        // A later layer removed it, or put something else in its way.
        if (!directory)
            continue;
        if (running_as_root())
            ::fchown(directory.get(), metadata.uid, metadata.gid);
        ::fchmod(directory.get(), metadata.mode);
        const timespec times[2] = { metadata.mtime, metadata.mtime };
        ::futimens(directory.get(), times);
    }
    m_directories.clear();
}

} // namespace rvisor::fn
