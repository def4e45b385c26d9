#include "devices/virtio/fs/inode_table.h"

#include <sys/stat.h>

namespace rvisor::devices::virtio::fs {

InodeTable::InodeTable(size_t limit)
    : m_limit(limit)
{
}

void InodeTable::set_root(host::UniqueFd fd, dev_t device, ino_t inode)
{
    Inode root;
    root.fd = std::move(fd);
    root.device = device;
    root.inode = inode;
    root.type = S_IFDIR;
    root.lookups = 1;
    m_by_host_inode[{ device, inode }] = kRootId;
    m_inodes[kRootId] = std::move(root);
}

Inode* InodeTable::find(uint64_t nodeid)
{
    auto found = m_inodes.find(nodeid);
    return found == m_inodes.end() ? nullptr : &found->second;
}

const Inode* InodeTable::find(uint64_t nodeid) const
{
    auto found = m_inodes.find(nodeid);
    return found == m_inodes.end() ? nullptr : &found->second;
}

std::optional<uint64_t> InodeTable::find(dev_t device, ino_t inode) const
{
    auto found = m_by_host_inode.find({ device, inode });
    if (found == m_by_host_inode.end())
        return std::nullopt;
    return found->second;
}

std::optional<uint64_t> InodeTable::add_lookup(
    host::UniqueFd fd, dev_t device, ino_t inode, mode_t type, uint64_t parent, std::string name)
{
    if (auto existing = find(device, inode)) {
        Inode& known = m_inodes.at(*existing);
        ++known.lookups;
        // A hard link's other name, or a path the host renamed: the newest one is the one a
        // restore can find.
        if (*existing != kRootId && (known.parent != parent || known.name != name))
            rename(*existing, parent, std::move(name));
        return existing;
    }
    if (m_inodes.size() >= m_limit)
        return std::nullopt;
    const uint64_t nodeid = m_next_nodeid++;
    Inode added;
    added.fd = std::move(fd);
    added.device = device;
    added.inode = inode;
    added.type = type;
    added.lookups = 1;
    added.parent = parent;
    added.name = std::move(name);
    pin(parent);
    m_inodes[nodeid] = std::move(added);
    m_by_host_inode[{ device, inode }] = nodeid;
    return nodeid;
}

void InodeTable::forget(uint64_t nodeid, uint64_t count)
{
    if (nodeid == kRootId)
        return;
    Inode* inode = find(nodeid);
    if (!inode)
        return;
    inode->lookups -= std::min(count, inode->lookups);
    drop_if_unused(nodeid);
}

void InodeTable::rename(uint64_t nodeid, uint64_t parent, std::string name)
{
    Inode* inode = find(nodeid);
    if (!inode || nodeid == kRootId)
        return;
    // A directory bind-mounted beneath itself shows an inode as its own descendant; a path
    // through it would never reach the root, so it keeps the one it has.
    for (uint64_t above = parent; above != 0 && above != kRootId;) {
        const Inode* ancestor = find(above);
        if (above == nodeid || !ancestor)
            return;
        above = ancestor->parent;
    }
    const uint64_t old_parent = inode->parent;
    pin(parent);
    inode->parent = parent;
    inode->name = std::move(name);
    inode->has_path = parent != 0;
    unpin(old_parent);
}

void InodeTable::pin(uint64_t parent)
{
    if (Inode* inode = find(parent))
        ++inode->children;
}

void InodeTable::unpin(uint64_t parent)
{
    Inode* inode = find(parent);
    if (!inode)
        return;
    --inode->children;
    drop_if_unused(parent);
}

void InodeTable::drop_if_unused(uint64_t nodeid)
{
    // Iterative: a deep directory whose last child goes would otherwise recurse as deep.
    while (nodeid != kRootId) {
        auto found = m_inodes.find(nodeid);
        if (found == m_inodes.end() || found->second.lookups > 0 || found->second.children > 0)
            return;
        const uint64_t parent = found->second.parent;
        m_by_host_inode.erase({ found->second.device, found->second.inode });
        m_inodes.erase(found);
        Inode* parent_inode = find(parent);
        if (!parent_inode)
            return;
        --parent_inode->children;
        nodeid = parent;
    }
}

std::vector<uint64_t> InodeTable::nodeids_parents_first() const
{
    std::vector<uint64_t> order;
    order.reserve(m_inodes.size());
    std::unordered_map<uint64_t, bool> placed;
    for (const auto& [nodeid, inode] : m_inodes) {
        // Walk up to the first placed ancestor, then place the chain top-down.
        std::vector<uint64_t> chain;
        for (uint64_t at = nodeid; at != 0 && !placed[at];) {
            chain.push_back(at);
            placed[at] = true;
            auto parent = m_inodes.find(at);
            at = parent == m_inodes.end() || at == kRootId ? 0 : parent->second.parent;
        }
        order.insert(order.end(), chain.rbegin(), chain.rend());
    }
    return order;
}

void InodeTable::restore(uint64_t nodeid, Inode inode)
{
    m_by_host_inode[{ inode.device, inode.inode }] = nodeid;
    inode.children = 0; // counted again as they come back
    pin(inode.parent);
    m_inodes[nodeid] = std::move(inode);
}

} // namespace rvisor::devices::virtio::fs
