#include "devices/virtio/vsock_packet.h"

#include <cstring>

namespace rvisor::devices::virtio {

namespace {

// Field offsets of struct virtio_vsock_hdr.
constexpr size_t kSrcCid = 0, kDstCid = 8, kSrcPort = 16, kDstPort = 20, kLen = 24, kType = 28,
                 kOp = 30, kFlags = 32, kBufAlloc = 36, kFwdCnt = 40;

template <typename T> T load(std::span<const uint8_t, VsockHeader::kSize> bytes, size_t offset)
{
    T value = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
        value |= static_cast<T>(static_cast<T>(bytes[offset + i]) << (8 * i));
    return value;
}

template <typename T>
void store(std::array<uint8_t, VsockHeader::kSize>& bytes, size_t offset, T value)
{
    for (size_t i = 0; i < sizeof(T); ++i)
        bytes[offset + i] = static_cast<uint8_t>(static_cast<uint64_t>(value) >> (8 * i));
}

} // namespace

VsockHeader VsockHeader::decode(std::span<const uint8_t, kSize> bytes)
{
    VsockHeader header;
    header.src_cid = load<uint64_t>(bytes, kSrcCid);
    header.dst_cid = load<uint64_t>(bytes, kDstCid);
    header.src_port = load<uint32_t>(bytes, kSrcPort);
    header.dst_port = load<uint32_t>(bytes, kDstPort);
    header.len = load<uint32_t>(bytes, kLen);
    header.type = load<uint16_t>(bytes, kType);
    header.op = static_cast<Op>(load<uint16_t>(bytes, kOp));
    header.flags = load<uint32_t>(bytes, kFlags);
    header.buf_alloc = load<uint32_t>(bytes, kBufAlloc);
    header.fwd_cnt = load<uint32_t>(bytes, kFwdCnt);
    return header;
}

std::array<uint8_t, VsockHeader::kSize> VsockHeader::encode() const
{
    std::array<uint8_t, kSize> bytes {};
    store(bytes, kSrcCid, src_cid);
    store(bytes, kDstCid, dst_cid);
    store(bytes, kSrcPort, src_port);
    store(bytes, kDstPort, dst_port);
    store(bytes, kLen, len);
    store(bytes, kType, type);
    store(bytes, kOp, static_cast<uint16_t>(op));
    store(bytes, kFlags, flags);
    store(bytes, kBufAlloc, buf_alloc);
    store(bytes, kFwdCnt, fwd_cnt);
    return bytes;
}

} // namespace rvisor::devices::virtio
