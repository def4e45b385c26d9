#pragma once
// The transmit offloads a virtio-net driver may hand the device (virtio 1.2 section 5.1.6.2):
// a checksum to fill in (VIRTIO_NET_F_CSUM) and a TCP segment larger than the MTU to cut into
// MTU-sized ones (VIRTIO_NET_F_HOST_TSO4/6). Done here in native code, they spare the guest's
// emulated CPU a pass over every byte it sends and most of its per-packet work, which is what
// bounds a guest's upload speed. Pure functions over the frame's bytes, which the guest wrote:
// every offset is checked against the frame before it is used.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace rvisor::devices::virtio {

// The fields of struct virtio_net_hdr that a transmitted frame's offloads depend on.
struct NetOffloadRequest {
    static constexpr uint8_t kNeedsChecksum = 1; // flags
    static constexpr uint8_t kGsoNone = 0, kGsoTcpV4 = 1, kGsoTcpV6 = 6; // gso_type
    static constexpr uint8_t kGsoEcn = 0x80;

    uint8_t flags = 0;
    uint8_t gso_type = kGsoNone;
    uint16_t gso_size = 0;
    uint16_t checksum_start = 0;
    uint16_t checksum_offset = 0;
};

// The 16-bit ones' complement sum of `bytes` (RFC 1071) added to `sum`, not folded.
uint64_t ones_complement_add(std::span<const uint8_t> bytes, uint64_t sum = 0);
uint16_t fold_checksum(uint64_t sum); // folded and complemented, in network byte order

// Fills in the checksum that kNeedsChecksum asks for: the sum from checksum_start to the end
// of the frame (the field itself holds the pseudo-header's sum) stored at checksum_start +
// checksum_offset. False when those offsets do not fit the frame.
bool complete_checksum(std::span<uint8_t> frame, const NetOffloadRequest& request);

// Cuts an Ethernet frame carrying one TCP segment over IPv4 or IPv6 (no VLAN tag, no IPv6
// extension headers) into segments of at most gso_size payload bytes, each with its IP
// length, IPv4 identification and header checksum, TCP sequence number, flags (FIN and PSH
// on the last only, CWR on the first only) and TCP checksum made right, and hands each to
// `send` (the span is valid during the call). False, with nothing sent, for a frame whose
// headers do not parse, whose protocol is not the one gso_type names, or with a gso_size of 0.
bool segment_tcp(std::span<const uint8_t> frame, const NetOffloadRequest& request,
    const std::function<void(std::span<const uint8_t>)>& send, std::vector<uint8_t>& scratch);

} // namespace rvisor::devices::virtio
