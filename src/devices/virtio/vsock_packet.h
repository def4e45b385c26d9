#pragma once
#include <array>
#include <cstdint>
#include <span>

namespace rvisor::devices::virtio {

// struct virtio_vsock_hdr (virtio 1.2 section 5.10.6), the 44 little-endian bytes before every
// packet's payload, decoded field by field.
struct VsockHeader {
    static constexpr size_t kSize = 44;
    static constexpr uint64_t kHostCid = 2;
    static constexpr uint16_t kTypeStream = 1;

    enum class Op : uint16_t {
        Invalid = 0,
        Request = 1,
        Response = 2,
        Reset = 3,
        Shutdown = 4,
        ReadWrite = 5,
        CreditUpdate = 6,
        CreditRequest = 7,
    };
    // Shutdown flags: the sender will receive (Receive) or send (Send) no more.
    static constexpr uint32_t kShutdownReceive = 1;
    static constexpr uint32_t kShutdownSend = 2;

    uint64_t src_cid = 0;
    uint64_t dst_cid = 0;
    uint32_t src_port = 0;
    uint32_t dst_port = 0;
    uint32_t len = 0; // of the payload
    uint16_t type = kTypeStream;
    Op op = Op::Invalid;
    uint32_t flags = 0;
    uint32_t buf_alloc = 0; // the sender's receive buffer for this stream
    uint32_t fwd_cnt = 0; // bytes the sender has taken out of it so far

    static VsockHeader decode(std::span<const uint8_t, kSize> bytes);
    std::array<uint8_t, kSize> encode() const;
};

} // namespace rvisor::devices::virtio
