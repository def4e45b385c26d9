// libFuzzer target: the virtio-net transmit offloads (src/devices/virtio/net_offload.h, README.md)
// on a frame the guest wrote. The input is the request (flags, gso_type, then gso_size,
// checksum_start and checksum_offset, little-endian as in virtio_net_hdr) and the frame after
// it.
//
// complete_checksum must succeed exactly when the checksum field lies inside the frame, change
// no byte but the field's, and leave a sum that verifies, with what the field held before
// (the pseudo-header's sum), when the field is word-aligned from checksum_start. segment_tcp must
// send nothing when it refuses, at least one segment when it accepts, no segment larger than the
// frame nor with other Ethernet addresses, and segments whose IPv4 header checksum and TCP checksum
// (with the pseudo-header) verify.
#include "devices/virtio/net_offload.h"
#include "fuzz_check.h"

#include <cstring>
#include <vector>

namespace {

using rvisor::devices::virtio::complete_checksum;
using rvisor::devices::virtio::fold_checksum;
using rvisor::devices::virtio::NetOffloadRequest;
using rvisor::devices::virtio::ones_complement_add;
using rvisor::devices::virtio::segment_tcp;
using rvisor::fuzz::check;

constexpr size_t kRequestBytes = 8;
constexpr size_t kIp = 14;

uint16_t little16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] | bytes[1] << 8); }

void check_segment(std::span<const uint8_t> frame, std::span<const uint8_t> segment)
{
    check(segment.size() <= frame.size(), "no segment is larger than the frame");
    check(segment.size() >= kIp + 40, "a segment holds an IP and a TCP header");
    check(std::memcmp(segment.data(), frame.data(), 12) == 0, "segments keep the addresses");
    const bool v4 = segment[kIp] >> 4 == 4;
    const size_t ip_header = v4 ? (segment[kIp] & 0xfu) * 4u : 40;
    if (v4)
        check(fold_checksum(ones_complement_add(segment.subspan(kIp, ip_header))) == 0,
            "a segment's IPv4 header checksum verifies");
    const size_t tcp_length = segment.size() - kIp - ip_header;
    const auto addresses = v4 ? segment.subspan(kIp + 12, 8) : segment.subspan(kIp + 8, 32);
    const uint64_t sum = ones_complement_add(
        segment.subspan(kIp + ip_header), ones_complement_add(addresses, 6 + tcp_length));
    check(fold_checksum(sum) == 0, "a segment's TCP checksum verifies");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size < kRequestBytes)
        return 0;
    const NetOffloadRequest request { .flags = data[0],
        .gso_type = data[1],
        .gso_size = little16(data + 2),
        .checksum_start = little16(data + 4),
        .checksum_offset = little16(data + 6) };
    const std::span<const uint8_t> frame(data + kRequestBytes, size - kRequestBytes);

    std::vector<uint8_t> completed(frame.begin(), frame.end());
    const size_t field = size_t { request.checksum_start } + request.checksum_offset;
    const bool fits = field + 2 <= frame.size();
    check(complete_checksum(completed, request) == fits, "a checksum is made where it fits");
    for (size_t index = 0; index < frame.size(); ++index) {
        if (!fits || index < field || index >= field + 2)
            check(completed[index] == frame[index], "only the checksum field changes");
    }
    if (fits && request.checksum_offset % 2 == 0) {
        // The field held the sum of what the frame leaves out (the pseudo-header).
        const uint64_t left_out = static_cast<uint64_t>(frame[field] << 8 | frame[field + 1]);
        const auto covered = std::span(completed).subspan(request.checksum_start);
        check(fold_checksum(ones_complement_add(covered, left_out)) == 0,
            "the completed checksum verifies");
    }

    size_t segments = 0;
    std::vector<uint8_t> scratch;
    const bool accepted = segment_tcp(
        frame, request,
        [&](std::span<const uint8_t> segment) {
            ++segments;
            check_segment(frame, segment);
        },
        scratch);
    check(accepted ? segments >= 1 : segments == 0, "segments are sent only when accepted");
    return 0;
}
