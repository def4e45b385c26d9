#pragma once
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rvisor::devices::virtio::fs {

// An inode the guest was told about: the nodeid it names it by from now on, and its attributes.
// Every operation that returns one adds one to the nodeid's lookup count, which the guest pays
// back with FORGET.
struct Entry {
    uint64_t nodeid { 0 };
    struct stat attributes { };
};

// Which fields SETATTR changes (FATTR_* of fuse_setattr_in), with their new values.
struct AttributeChange {
    std::optional<mode_t> mode;
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::optional<uint64_t> size;
    // UTIME_NOW and UTIME_OMIT are allowed in tv_nsec, as utimensat() takes them.
    std::optional<timespec> access_time;
    std::optional<timespec> modification_time;
};

// One directory entry, and for READDIRPLUS the lookup it carries.
struct DirectoryEntry {
    uint64_t inode { 0 };
    uint64_t offset { 0 }; // where the next READDIR starts to read the entry after this one
    uint32_t type { 0 }; // DT_*
    std::string_view name;
};

// Where a READDIR's entries go: the reply buffer, which knows whether one more fits.
class DirectoryListing {
public:
    virtual ~DirectoryListing() = default;
    // Whether an entry with a name of `name_length` bytes still fits.
    virtual bool has_room(size_t name_length) const = 0;
    // Appends; `entry` is set for READDIRPLUS (nodeid 0 for "." and "..", whose lookup
    // the guest does not take). Only after has_room() said yes.
    virtual void add(const DirectoryEntry&, const Entry* entry) = 0;
    virtual bool plus() const = 0;
};

// What a FUSE server asks of a file system: one call per request, each answering 0 or a
// positive errno, which is what the guest sees. Every one fails with ENOSYS unless the file
// system implements it, so a new FUSE opcode costs nothing until someone wants it.
//
// Names are single path components: the server has refused "", ".", ".." and any '/' before a
// file system sees them. `fh` is the handle OPEN, CREATE or OPENDIR gave the guest.
class FileSystem {
public:
    virtual ~FileSystem() = default;

    virtual void destroy() { }

    virtual int lookup(uint64_t, std::string_view, Entry&) { return ENOSYS; }
    // Lookups of `nodeid` are paid back `count` at a time; at zero it is gone.
    virtual void forget(uint64_t, uint64_t) { }
    virtual int getattr(uint64_t, std::optional<uint64_t>, struct stat&) { return ENOSYS; }
    virtual int setattr(uint64_t, std::optional<uint64_t>, const AttributeChange&, struct stat&)
    {
        return ENOSYS;
    }
    virtual int readlink(uint64_t, std::string&) { return ENOSYS; }
    virtual int symlink(uint64_t, std::string_view, std::string_view, Entry&) { return ENOSYS; }
    // `mode` includes the file type; `umask` is the guest process's, to apply to it.
    virtual int mknod(uint64_t, std::string_view, mode_t, uint32_t, mode_t, Entry&)
    {
        return ENOSYS;
    }
    virtual int mkdir(uint64_t, std::string_view, mode_t, mode_t, Entry&) { return ENOSYS; }
    virtual int unlink(uint64_t, std::string_view) { return ENOSYS; }
    virtual int rmdir(uint64_t, std::string_view) { return ENOSYS; }
    // `flags` are renameat2()'s.
    virtual int rename(uint64_t, std::string_view, uint64_t, std::string_view, uint32_t)
    {
        return ENOSYS;
    }
    virtual int link(uint64_t, uint64_t, std::string_view, Entry&) { return ENOSYS; }
    // `flags` are open()'s.
    virtual int open(uint64_t, uint32_t, uint64_t&) { return ENOSYS; }
    virtual int create(uint64_t, std::string_view, mode_t, uint32_t, mode_t, Entry&, uint64_t&)
    {
        return ENOSYS;
    }
    // READ and WRITE move bytes straight between the guest's buffers and the file.
    virtual int read(uint64_t, uint64_t, uint64_t, std::span<const std::span<uint8_t>>, uint64_t&)
    {
        return ENOSYS;
    }
    virtual int write(uint64_t, uint64_t, uint64_t, std::span<const std::span<uint8_t>>, uint64_t&)
    {
        return ENOSYS;
    }
    virtual int statfs(uint64_t, struct statvfs&) { return ENOSYS; }
    virtual int release(uint64_t, uint64_t) { return ENOSYS; }
    virtual int fsync(uint64_t, uint64_t, bool) { return ENOSYS; }
    virtual int flush(uint64_t, uint64_t) { return ENOSYS; }
    virtual int opendir(uint64_t, uint32_t, uint64_t&) { return ENOSYS; }
    virtual int readdir(uint64_t, uint64_t, uint64_t, DirectoryListing&) { return ENOSYS; }
    virtual int releasedir(uint64_t, uint64_t) { return ENOSYS; }
    virtual int fsyncdir(uint64_t, uint64_t, bool) { return ENOSYS; }
    virtual int access(uint64_t, uint32_t) { return ENOSYS; }
    virtual int setxattr(uint64_t, std::string_view, std::span<const uint8_t>, uint32_t)
    {
        return ENOSYS;
    }
    // The whole value (or list of names); the server tells the guest how much it needs when
    // it asked for less.
    virtual int getxattr(uint64_t, std::string_view, std::vector<uint8_t>&) { return ENOSYS; }
    virtual int listxattr(uint64_t, std::vector<uint8_t>&) { return ENOSYS; }
    virtual int removexattr(uint64_t, std::string_view) { return ENOSYS; }
    virtual int lseek(uint64_t, uint64_t, uint64_t, uint32_t, uint64_t&) { return ENOSYS; }
    virtual int fallocate(uint64_t, uint64_t, uint64_t, uint64_t, uint32_t) { return ENOSYS; }
    virtual int syncfs(uint64_t) { return ENOSYS; }
};

} // namespace rvisor::devices::virtio::fs
