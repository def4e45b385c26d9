#pragma once
#include "devices/virtio/fs/file_system.h"
#include "devices/virtio/fs/inode_table.h"
#include "host/unique_fd.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <filesystem>
#include <unordered_map>

namespace rvisor::devices::virtio::fs {

// A host directory shared with the guest, which must not reach anything outside it.
//
// Confinement: the directory is opened once, as an O_PATH fd, and no host path string reaches
// a syscall after that. Every request names a single component beneath a nodeid's O_PATH fd;
// a lookup goes through openat2() with RESOLVE_BENEATH and RESOLVE_NO_SYMLINKS, so neither a
// ".." nor a symlink (the host never follows one: the guest reads it with READLINK and resolves
// it itself) nor a /proc magic link leads out. Files and directories are reopened for I/O
// through /proc/self/fd/N of their O_PATH fd, after checking they are one (opening a FIFO or a
// device node would block or reach a driver); everything else is an *at() call on the parent's
// fd and the name with AT_SYMLINK_NOFOLLOW, or on /proc/self/fd/N, which names the inode itself
// even when it is a symlink.
//
// The guest decides how many inodes and files it holds open, each a host fd, so both tables
// are bounded and it gets ENFILE beyond.
//
// File locks are not served: the server does not offer FUSE_POSIX_LOCKS or FUSE_FLOCK_LOCKS,
// so the guest kernel keeps them locally, which is right for one guest and says nothing to host
// programs using the same files.
//
// Threads: one at a time; the device serves all its queues on one worker.
class PassthroughFs final : public FileSystem {
public:
    static constexpr size_t kMaxInodes = 65536;
    static constexpr size_t kMaxHandles = 65536;

    // Throws std::runtime_error with a sentence when `directory` cannot be opened or is not a
    // directory. The limits are the guest's: ENFILE beyond them.
    PassthroughFs(const std::filesystem::path& directory, bool read_only,
        size_t max_inodes = kMaxInodes, size_t max_handles = kMaxHandles);

    bool read_only() const { return m_read_only; }
    size_t inode_count() const { return m_inodes.size(); }
    size_t handle_count() const { return m_handles.size(); }

    void destroy() override;
    int lookup(uint64_t parent, std::string_view name, Entry&) override;
    void forget(uint64_t nodeid, uint64_t count) override;
    int getattr(uint64_t nodeid, std::optional<uint64_t> fh, struct stat&) override;
    int setattr(
        uint64_t nodeid, std::optional<uint64_t> fh, const AttributeChange&, struct stat&) override;
    int readlink(uint64_t nodeid, std::string& target) override;
    int symlink(uint64_t parent, std::string_view name, std::string_view target, Entry&) override;
    int mknod(uint64_t parent, std::string_view name, mode_t mode, uint32_t rdev, mode_t umask,
        Entry&) override;
    int mkdir(uint64_t parent, std::string_view name, mode_t mode, mode_t umask, Entry&) override;
    int unlink(uint64_t parent, std::string_view name) override;
    int rmdir(uint64_t parent, std::string_view name) override;
    int rename(uint64_t parent, std::string_view name, uint64_t new_parent,
        std::string_view new_name, uint32_t flags) override;
    int link(uint64_t nodeid, uint64_t new_parent, std::string_view new_name, Entry&) override;
    int open(uint64_t nodeid, uint32_t flags, uint64_t& fh) override;
    int create(uint64_t parent, std::string_view name, mode_t mode, uint32_t flags, mode_t umask,
        Entry&, uint64_t& fh) override;
    int read(uint64_t nodeid, uint64_t fh, uint64_t offset,
        std::span<const std::span<uint8_t>> buffers, uint64_t& count) override;
    int write(uint64_t nodeid, uint64_t fh, uint64_t offset,
        std::span<const std::span<uint8_t>> buffers, uint64_t& count) override;
    int statfs(uint64_t nodeid, struct statvfs&) override;
    int release(uint64_t nodeid, uint64_t fh) override;
    int fsync(uint64_t nodeid, uint64_t fh, bool data_only) override;
    int flush(uint64_t nodeid, uint64_t fh) override;
    int opendir(uint64_t nodeid, uint32_t flags, uint64_t& fh) override;
    int readdir(uint64_t nodeid, uint64_t fh, uint64_t offset, DirectoryListing&) override;
    int releasedir(uint64_t nodeid, uint64_t fh) override;
    int fsyncdir(uint64_t nodeid, uint64_t fh, bool data_only) override;
    int access(uint64_t nodeid, uint32_t mask) override;
    int setxattr(uint64_t nodeid, std::string_view name, std::span<const uint8_t> value,
        uint32_t flags) override;
    int getxattr(uint64_t nodeid, std::string_view name, std::vector<uint8_t>& value) override;
    int listxattr(uint64_t nodeid, std::vector<uint8_t>& names) override;
    int removexattr(uint64_t nodeid, std::string_view name) override;
    int lseek(
        uint64_t nodeid, uint64_t fh, uint64_t offset, uint32_t whence, uint64_t& result) override;
    int fallocate(
        uint64_t nodeid, uint64_t fh, uint64_t offset, uint64_t length, uint32_t mode) override;
    int syncfs(uint64_t nodeid) override;

    // Saved state: every nodeid with its path beneath the share and its lookup count, and every
    // open handle with its nodeid and open flags. load() is for a fresh PassthroughFs (maybe on
    // another directory with the same contents) and reopens them all; it throws StateError
    // with a sentence when a saved path is gone.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    // An open file or directory of the guest's.
    struct Handle {
        uint64_t nodeid { 0 };
        host::UniqueFd fd;
        uint32_t flags { 0 };
        bool directory { false };
        // A directory's getdents64() bytes not yet handed out, and the offset of the first.
        std::vector<uint8_t> entries;
        size_t entries_begin { 0 };
        size_t entries_end { 0 };
        uint64_t next_offset { 0 };
    };

    int lookup_entry(uint64_t parent, const Inode& parent_inode, const char* name, Entry&);
    Handle* find_handle(uint64_t nodeid, uint64_t fh, bool directory);
    // UNLINK and RMDIR: unlinkat with these flags.
    int remove_entry(uint64_t parent, std::string_view name, int flags);
    // RELEASE and RELEASEDIR, FSYNC and FSYNCDIR: the same but for the kind of handle.
    int release_handle(uint64_t nodeid, uint64_t fh, bool directory);
    int sync_handle(uint64_t nodeid, uint64_t fh, bool directory, bool data_only);
    int add_handle(
        uint64_t nodeid, host::UniqueFd fd, uint32_t flags, bool directory, uint64_t& fh);
    // A nodeid whose path the host renamed out from under us still works (its fd follows the
    // inode), and stays confined to what lies beneath it.
    int reopen(const Inode&, int flags, host::UniqueFd&) const;
    // Gives a just-created inode the mode the guest asked for (its umask already applied), in
    // case the process umask took more bits off.
    void apply_mode(const Inode&, mode_t wanted) const;
    // The nodeid at (parent, name), if the guest holds one.
    std::optional<uint64_t> nodeid_at(const Inode& parent, const char* name) const;
    // (parent, name) is gone; the inode there, if the guest holds it, has no known path now.
    void forget_path(std::optional<uint64_t> nodeid, uint64_t parent, const std::string& name);
    std::string path_of(uint64_t nodeid);

    bool m_read_only;
    size_t m_max_inodes;
    size_t m_max_handles;
    InodeTable m_inodes;
    std::unordered_map<uint64_t, Handle> m_handles;
    uint64_t m_next_handle { 1 };
};

} // namespace rvisor::devices::virtio::fs
