#pragma once
#include "host/unique_fd.h"

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace rvisor::devices::virtio::fs {

// A host inode the guest holds a nodeid for.
struct Inode {
    host::UniqueFd fd; // O_PATH | O_NOFOLLOW: names the inode, grants no I/O
    dev_t device { 0 };
    ino_t inode { 0 };
    mode_t type { 0 }; // S_IFMT bits
    uint64_t lookups { 0 };
    // The name it was last seen under, for snapshots, which must find it again on restore.
    // A parent outlives its children here (they pin it), so the path is always complete.
    uint64_t parent { 0 };
    std::string name;
    // False once it lost that name (unlinked, or renamed over) and no other is known.
    bool has_path { true };
    uint64_t children { 0 }; // inodes whose `parent` is this one
};

// nodeid <-> host inode, one nodeid per (st_dev, st_ino), as the guest's inode cache expects:
// two nodeids for one inode would give it two inodes whose pages and attributes disagree.
// Nodeids are never reused while the table lives, so a forgotten one stays stale. The guest
// controls how many inodes it looks up, and each holds a host fd, hence the limit.
class InodeTable {
public:
    static constexpr uint64_t kRootId = 1;

    explicit InodeTable(size_t limit);

    // The root, which is never forgotten.
    void set_root(host::UniqueFd fd, dev_t device, ino_t inode);
    Inode* find(uint64_t nodeid);
    const Inode* find(uint64_t nodeid) const;
    std::optional<uint64_t> find(dev_t device, ino_t inode) const;

    // One more lookup of the inode `fd` names (which it keeps if the inode is new, else
    // closes) under (parent, name); its nodeid, or nothing when the table is full.
    std::optional<uint64_t> add_lookup(host::UniqueFd fd, dev_t device, ino_t inode, mode_t type,
        uint64_t parent, std::string name);
    // Pays back `count` lookups; at zero the inode is dropped (and the parents it pinned).
    void forget(uint64_t nodeid, uint64_t count);
    // The inode now goes by (parent, name), or by no known path with `parent` 0.
    void rename(uint64_t nodeid, uint64_t parent, std::string name);

    size_t size() const { return m_inodes.size(); }
    // Every nodeid, parents before their children, for snapshots.
    std::vector<uint64_t> nodeids_parents_first() const;
    uint64_t next_nodeid() const { return m_next_nodeid; }
    // For restore: the table is empty but for the root; inodes come back under their old
    // nodeids, parents first, and new ones continue from `next`.
    void restore(uint64_t nodeid, Inode inode);
    void set_next_nodeid(uint64_t next) { m_next_nodeid = next; }

private:
    void pin(uint64_t parent);
    void unpin(uint64_t parent);
    void drop_if_unused(uint64_t nodeid);

    size_t m_limit;
    uint64_t m_next_nodeid { kRootId + 1 };
    std::unordered_map<uint64_t, Inode> m_inodes;
    std::map<std::pair<dev_t, ino_t>, uint64_t> m_by_host_inode;
};

} // namespace rvisor::devices::virtio::fs
