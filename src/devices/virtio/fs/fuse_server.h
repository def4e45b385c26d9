#pragma once
#include "devices/virtio/buffer_list.h"
#include "devices/virtio/fs/file_system.h"

#include <cstdint>

namespace rvisor::devices::virtio::fs {

// The FUSE protocol over one virtio-fs request: decodes what the driver put in a chain's
// device-readable bytes (fuse_in_header and the opcode's arguments), calls the FileSystem, and
// writes fuse_out_header and the reply into the chain's device-writable bytes.
//
// The request is the guest's and may say anything. A request too short for its opcode, whose
// len disagrees with the chain, or whose name has no NUL, is ".", ".." or has a '/', gets an
// errno reply (EINVAL, EIO) without reaching the file system; a reply that would not fit gets
// ERANGE, decided before anything is done, so a lookup is never counted that the guest did
// not hear of. Nothing here can fail the queue.
//
// Locks are not offered in INIT (no FUSE_POSIX_LOCKS, no FUSE_FLOCK_LOCKS): the guest kernel
// keeps fcntl() and flock() locks itself.
class FuseServer {
public:
    explicit FuseServer(FileSystem&);

    // Serves one request; returns how many bytes of `reply` it wrote, 0 when the request has
    // no reply (FORGET, BATCH_FORGET, INTERRUPT) or the buffer cannot hold a header.
    uint32_t handle(const BufferList& request, const BufferList& reply);

    // Whether INIT was served, which a restored VM's driver will not send again.
    bool initialized() const { return m_initialized; }
    void set_initialized(bool initialized) { m_initialized = initialized; }

private:
    FileSystem& m_file_system;
    bool m_initialized { false };
};

} // namespace rvisor::devices::virtio::fs
