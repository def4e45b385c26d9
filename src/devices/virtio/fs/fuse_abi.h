#pragma once
// The FUSE wire format as the host's kernel headers define it (Debian's linux-libc-dev), and
// how to move those structs in and out of guest buffers. Guest memory is never cast to a
// struct: the driver may change it while we read, and it has no alignment guarantee, so every
// struct is copied out whole first and then looked at.
#include "devices/virtio/buffer_list.h"

#include <linux/fuse.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <type_traits>

namespace rvisor::devices::virtio::fs {

// The protocol version we answer INIT with; a kernel keeps to the older of its minor and ours,
// so no struct grows beyond what we parse. Linux 6.1 speaks 7.37, whose one addition (TMPFILE)
// gets ENOSYS here, which the guest turns into EOPNOTSUPP for O_TMPFILE.
constexpr uint32_t kFuseMajor = FUSE_KERNEL_VERSION;
constexpr uint32_t kFuseMinor = 36;

// Before FUSE_SETXATTR_EXT, which we do not offer, fuse_setxattr_in was two fields.
constexpr uint32_t kCompatSetxattrInSize = FUSE_COMPAT_SETXATTR_IN_SIZE;

// What fits in one WRITE or READ: 1 MiB, which is max_pages 4 KiB pages.
constexpr uint32_t kMaxTransfer = 1 << 20;
constexpr uint16_t kMaxPages = kMaxTransfer / 4096;

template <typename T>
concept WireStruct = std::is_trivially_copyable_v<T> && std::is_standard_layout_v<T>;

// The struct at `offset` of `buffers`, or nothing when the buffers end first.
template <WireStruct T> std::optional<T> read_struct(const BufferList& buffers, uint64_t offset)
{
    T value;
    std::span<uint8_t> bytes(reinterpret_cast<uint8_t*>(&value), sizeof value);
    if (offset > buffers.size() || buffers.read_at(offset, bytes) != sizeof value)
        return std::nullopt;
    return value;
}

template <WireStruct T> std::span<const uint8_t> bytes_of(const T& value)
{
    return { reinterpret_cast<const uint8_t*>(&value), sizeof value };
}

} // namespace rvisor::devices::virtio::fs
