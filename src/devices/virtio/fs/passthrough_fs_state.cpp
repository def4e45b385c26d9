// PassthroughFs's saved state: what a snapshot must hold for a guest's mount to go on after a
// restore, which is every nodeid and file handle the guest holds, by path.
#include "devices/virtio/fs/confinement.h"
#include "devices/virtio/fs/passthrough_fs.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace rvisor::devices::virtio::fs {

std::string PassthroughFs::path_of(uint64_t nodeid)
{
    std::string path;
    for (Inode* inode = m_inodes.find(nodeid); inode && nodeid != InodeTable::kRootId;
         inode = m_inodes.find(nodeid = inode->parent))
        path = "/" + inode->name + path;
    return path.empty() ? "/" : path;
}

void PassthroughFs::save(state::StateWriter& out) const
{
    const InodeTable& inodes = m_inodes;
    std::vector<uint64_t> order = inodes.nodeids_parents_first();
    std::erase(order, InodeTable::kRootId);
    out.u64(inodes.next_nodeid());
    out.u32(static_cast<uint32_t>(order.size()));
    for (uint64_t nodeid : order) {
        const Inode& inode = *inodes.find(nodeid);
        out.u64(nodeid);
        out.boolean(inode.has_path);
        out.u64(inode.parent);
        out.string(inode.name);
        out.u64(inode.lookups);
    }
    out.u64(m_next_handle);
    out.u32(static_cast<uint32_t>(m_handles.size()));
    for (const auto& [fh, handle] : m_handles) {
        out.u64(fh);
        out.u64(handle.nodeid);
        out.u32(handle.flags);
        out.boolean(handle.directory);
    }
}

void PassthroughFs::load(state::StateReader& in)
{
    if (m_inodes.size() != 1 || !m_handles.empty())
        in.fail("the shared directory was in use before its state was loaded");
    const uint64_t next_nodeid = in.u64();
    const uint32_t inode_count = in.u32();
    if (inode_count >= m_max_inodes || next_nodeid <= InodeTable::kRootId)
        in.fail("the inode table is corrupt");
    m_inodes.set_next_nodeid(next_nodeid);
    for (uint32_t index = 0; index < inode_count; ++index) {
        const uint64_t nodeid = in.u64();
        const bool has_path = in.boolean();
        const uint64_t parent = in.u64();
        const std::string name = in.string(NAME_MAX);
        const uint64_t lookups = in.u64();
        if (nodeid <= InodeTable::kRootId || nodeid >= next_nodeid || m_inodes.find(nodeid))
            in.fail("inode " + std::to_string(nodeid) + " is out of place");
        // An inode the guest still held after its last name went cannot be found again: its
        // nodeid (and whatever lies beneath it) goes stale, which the guest sees as ESTALE.
        Inode* parent_inode = m_inodes.find(parent);
        if (!has_path || !parent_inode)
            continue;
        if (!is_single_component(name))
            in.fail("inode " + std::to_string(nodeid) + " has a name that is not one component");
        host::UniqueFd fd;
        if (int error = open_beneath(parent_inode->fd.get(), name.c_str(), O_PATH, 0, fd))
            in.fail("the shared directory no longer holds " + path_of(parent)
                + (parent == InodeTable::kRootId ? "" : "/") + name + ": " + std::strerror(error));
        struct stat st { };
        if (stat_inode(fd.get(), st) != 0 || m_inodes.find(st.st_dev, st.st_ino))
            in.fail("the shared directory holds " + path_of(parent) + "/" + name + " twice");
        Inode inode;
        inode.fd = std::move(fd);
        inode.device = st.st_dev;
        inode.inode = st.st_ino;
        inode.type = st.st_mode & S_IFMT;
        inode.lookups = lookups;
        inode.parent = parent;
        inode.name = name;
        m_inodes.restore(nodeid, std::move(inode));
    }
    m_next_handle = in.u64();
    const uint32_t handle_count = in.u32();
    if (handle_count > m_max_handles)
        in.fail("the handle table is corrupt");
    for (uint32_t index = 0; index < handle_count; ++index) {
        const uint64_t fh = in.u64();
        const uint64_t nodeid = in.u64();
        const uint32_t flags = in.u32() & (kPassedOpenFlags | O_DIRECTORY);
        const bool directory = in.boolean();
        if (fh >= m_next_handle || m_handles.contains(fh))
            in.fail("file handle " + std::to_string(fh) + " is out of place");
        Inode* inode = m_inodes.find(nodeid);
        if (!inode)
            continue; // its inode went stale, and so does the handle
        host::UniqueFd fd;
        const int open_flags = directory ? O_RDONLY | O_DIRECTORY : static_cast<int>(flags);
        if ((directory && inode->type != S_IFDIR) || (!directory && inode->type != S_IFREG))
            in.fail("file handle " + std::to_string(fh) + " names an inode of another type");
        if (int error = reopen(*inode, open_flags, fd))
            in.fail("cannot reopen " + path_of(nodeid) + ": " + std::strerror(error));
        Handle& handle = m_handles[fh];
        handle.nodeid = nodeid;
        handle.fd = std::move(fd);
        handle.flags = flags;
        handle.directory = directory;
    }
}

} // namespace rvisor::devices::virtio::fs
