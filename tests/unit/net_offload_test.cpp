#include "devices/virtio/net_offload.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

using namespace rvisor::devices::virtio;

namespace {

using Bytes = std::vector<uint8_t>;

void put16(Bytes& bytes, size_t offset, uint16_t value)
{
    bytes[offset] = static_cast<uint8_t>(value >> 8);
    bytes[offset + 1] = static_cast<uint8_t>(value);
}
uint16_t get16(const Bytes& bytes, size_t offset)
{
    return static_cast<uint16_t>(bytes[offset] << 8 | bytes[offset + 1]);
}
uint32_t get32(const Bytes& bytes, size_t offset)
{
    return static_cast<uint32_t>(get16(bytes, offset)) << 16 | get16(bytes, offset + 2);
}

constexpr size_t kIp = 14;

// An Ethernet frame with one TCP segment (a 32-byte header: 12 bytes of options) of `payload`
// bytes over IPv4 (a 20-byte header) or IPv6.
Bytes tcp_frame(bool v6, size_t payload, uint8_t flags)
{
    const size_t ip_header = v6 ? 40 : 20;
    const size_t tcp = kIp + ip_header;
    Bytes frame(tcp + 32 + payload, 0);
    for (size_t index = 0; index < 12; ++index)
        frame[index] = static_cast<uint8_t>(0x10 + index);
    put16(frame, 12, v6 ? 0x86dd : 0x0800);
    if (v6) {
        frame[kIp] = 0x60;
        frame[kIp + 6] = 6; // next header: TCP
        frame[kIp + 7] = 64;
        for (size_t index = 0; index < 32; ++index)
            frame[kIp + 8 + index] = static_cast<uint8_t>(0xa0 + index);
    } else {
        frame[kIp] = 0x45;
        put16(frame, kIp + 4, 0x1234); // identification
        frame[kIp + 8] = 64;
        frame[kIp + 9] = 6;
        const uint8_t addresses[] = { 10, 0, 2, 15, 10, 0, 2, 2 };
        std::copy(std::begin(addresses), std::end(addresses), frame.begin() + kIp + 12);
    }
    put16(frame, tcp, 40000);
    put16(frame, tcp + 2, 8080);
    put16(frame, tcp + 4, 0xffff); // sequence 0xffffff00: it wraps while segmenting
    put16(frame, tcp + 6, 0xff00);
    frame[tcp + 12] = 8 << 4;
    frame[tcp + 13] = flags;
    for (size_t index = 0; index < 12; ++index)
        frame[tcp + 20 + index] = 1; // NOPs
    for (size_t index = 0; index < payload; ++index)
        frame[tcp + 32 + index] = static_cast<uint8_t>(index * 7);
    return frame;
}

// The TCP checksum of a segment, pseudo-header included, verifies (sums to all ones).
bool tcp_checksum_verifies(const Bytes& frame, bool v6)
{
    const size_t ip_header = v6 ? 40 : 20;
    const size_t tcp_length = frame.size() - kIp - ip_header;
    const auto addresses
        = v6 ? std::span(frame).subspan(kIp + 8, 32) : std::span(frame).subspan(kIp + 12, 8);
    uint64_t sum = ones_complement_add(addresses, 6 + tcp_length);
    sum = ones_complement_add(std::span(frame).subspan(kIp + ip_header), sum);
    return fold_checksum(sum) == 0;
}

std::vector<Bytes> segment(const Bytes& frame, uint8_t gso_type, uint16_t gso_size, bool& ok)
{
    std::vector<Bytes> segments;
    Bytes scratch;
    NetOffloadRequest request {
        .flags = NetOffloadRequest::kNeedsChecksum, .gso_type = gso_type, .gso_size = gso_size
    };
    ok = segment_tcp(
        frame, request,
        [&](std::span<const uint8_t> bytes) { segments.emplace_back(bytes.begin(), bytes.end()); },
        scratch);
    return segments;
}

} // namespace

TEST(NetOffload, ChecksumOfTheRfc1071Example)
{
    const Bytes bytes { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    EXPECT_EQ(ones_complement_add(bytes), 0x2ddf0u);
    EXPECT_EQ(fold_checksum(ones_complement_add(bytes)), static_cast<uint16_t>(~0xddf2));
    // An odd byte counts as the high half of a last word.
    EXPECT_EQ(ones_complement_add(Bytes { 0x01, 0x02, 0x03 }), 0x0102u + 0x0300u);
}

TEST(NetOffload, CompleteChecksumSumsFromTheStartWithThePseudoHeaderSeed)
{
    Bytes frame = tcp_frame(false, 100, 0x18);
    const size_t tcp = kIp + 20;
    const size_t tcp_length = frame.size() - tcp;
    // What a driver leaves in the field: the pseudo-header's sum, not complemented.
    const uint16_t seed = static_cast<uint16_t>(
        ~fold_checksum(ones_complement_add(std::span(frame).subspan(kIp + 12, 8), 6 + tcp_length)));
    put16(frame, tcp + 16, seed);
    NetOffloadRequest request { .flags = NetOffloadRequest::kNeedsChecksum,
        .checksum_start = static_cast<uint16_t>(tcp),
        .checksum_offset = 16 };
    ASSERT_TRUE(complete_checksum(frame, request));
    EXPECT_TRUE(tcp_checksum_verifies(frame, false));
}

TEST(NetOffload, CompleteChecksumRefusesOffsetsPastTheFrame)
{
    Bytes frame(60, 0);
    const Bytes before = frame;
    for (auto [start, offset] : { std::pair { 58, 1 }, std::pair { 40, 19 },
             std::pair { 0xffff, 6 }, std::pair { 0, 0xffff } }) {
        NetOffloadRequest request { .flags = NetOffloadRequest::kNeedsChecksum,
            .checksum_start = static_cast<uint16_t>(start),
            .checksum_offset = static_cast<uint16_t>(offset) };
        EXPECT_FALSE(complete_checksum(frame, request)) << start << "+" << offset;
    }
    EXPECT_EQ(frame, before);
    NetOffloadRequest last {
        .flags = NetOffloadRequest::kNeedsChecksum, .checksum_start = 40, .checksum_offset = 18
    };
    EXPECT_TRUE(complete_checksum(frame, last)); // the field ends at the frame's end
}

TEST(NetOffload, SegmentsTcpOverIpv4)
{
    const uint8_t fin_push_cwr = 0x01 | 0x08 | 0x10 | 0x80; // and ACK
    const Bytes frame = tcp_frame(false, 4000, fin_push_cwr);
    bool ok = false;
    const std::vector<Bytes> segments = segment(frame, NetOffloadRequest::kGsoTcpV4, 1448, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(segments.size(), 3u);
    const size_t headers = kIp + 20 + 32;
    const size_t lengths[] = { 1448, 1448, 1104 };
    size_t offset = 0;
    for (size_t index = 0; index < 3; ++index) {
        SCOPED_TRACE(index);
        const Bytes& piece = segments[index];
        ASSERT_EQ(piece.size(), headers + lengths[index]);
        EXPECT_TRUE(std::equal(piece.begin(), piece.begin() + 12, frame.begin()));
        EXPECT_EQ(get16(piece, kIp + 2), 20 + 32 + lengths[index]); // total length
        EXPECT_EQ(get16(piece, kIp + 4), 0x1234 + index); // identification
        EXPECT_EQ(fold_checksum(ones_complement_add(std::span(piece).subspan(kIp, 20))), 0);
        EXPECT_EQ(get32(piece, kIp + 20 + 4), static_cast<uint32_t>(0xffffff00u + offset));
        const uint8_t flags = piece[kIp + 20 + 13];
        EXPECT_EQ((flags & 0x09) != 0, index == 2); // FIN and PSH on the last only
        EXPECT_EQ((flags & 0x80) != 0, index == 0); // CWR on the first only
        EXPECT_TRUE(flags & 0x10); // ACK on all
        EXPECT_TRUE(tcp_checksum_verifies(piece, false));
        EXPECT_TRUE(std::equal(piece.begin() + static_cast<ptrdiff_t>(headers), piece.end(),
            frame.begin() + static_cast<ptrdiff_t>(headers + offset)));
        offset += lengths[index];
    }
}

TEST(NetOffload, SegmentsTcpOverIpv6)
{
    const Bytes frame = tcp_frame(true, 3000, 0x18);
    bool ok = false;
    const std::vector<Bytes> segments = segment(frame, NetOffloadRequest::kGsoTcpV6, 1500, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(segments.size(), 2u);
    for (const Bytes& piece : segments) {
        EXPECT_EQ(get16(piece, kIp + 4), 32 + 1500); // payload length
        EXPECT_TRUE(tcp_checksum_verifies(piece, true));
    }
    EXPECT_EQ(get32(segments[1], kIp + 40 + 4), 0xffffff00u + 1500);
}

TEST(NetOffload, ASegmentThatFitsIsSentWholeWithItsChecksumsMadeRight)
{
    const Bytes frame = tcp_frame(false, 0, 0x10); // a bare ACK
    bool ok = false;
    const std::vector<Bytes> segments = segment(frame, NetOffloadRequest::kGsoTcpV4, 1448, ok);
    ASSERT_TRUE(ok);
    ASSERT_EQ(segments.size(), 1u);
    EXPECT_EQ(segments[0].size(), frame.size());
    EXPECT_TRUE(tcp_checksum_verifies(segments[0], false));
}

TEST(NetOffload, RefusesFramesItCannotParseAndSendsNothing)
{
    struct Case {
        const char* what;
        Bytes frame;
        uint8_t gso_type;
        uint16_t gso_size;
    };
    std::vector<Case> cases;
    cases.push_back(
        { "a segment size of 0", tcp_frame(false, 100, 0), NetOffloadRequest::kGsoTcpV4, 0 });
    cases.push_back(
        { "IPv6 under TCPV4", tcp_frame(true, 100, 0), NetOffloadRequest::kGsoTcpV4, 50 });
    cases.push_back(
        { "IPv4 under TCPV6", tcp_frame(false, 100, 0), NetOffloadRequest::kGsoTcpV6, 50 });
    cases.push_back({ "UDP's gso type", tcp_frame(false, 100, 0), 3, 50 });
    Bytes udp = tcp_frame(false, 100, 0);
    udp[kIp + 9] = 17;
    cases.push_back({ "UDP", udp, NetOffloadRequest::kGsoTcpV4, 50 });
    Bytes short_ip = tcp_frame(false, 100, 0);
    short_ip[kIp] = 0x44;
    cases.push_back({ "an IHL of 4", short_ip, NetOffloadRequest::kGsoTcpV4, 50 });
    Bytes short_tcp = tcp_frame(false, 100, 0);
    short_tcp[kIp + 20 + 12] = 4 << 4;
    cases.push_back({ "a TCP data offset of 4", short_tcp, NetOffloadRequest::kGsoTcpV4, 50 });
    Bytes long_tcp = tcp_frame(false, 0, 0);
    long_tcp[kIp + 20 + 12] = 15 << 4;
    cases.push_back({ "a TCP header past the end", long_tcp, NetOffloadRequest::kGsoTcpV4, 50 });
    Bytes cut = tcp_frame(false, 0, 0);
    cut.resize(kIp + 30);
    cases.push_back({ "a frame cut inside the TCP header", cut, NetOffloadRequest::kGsoTcpV4, 50 });
    cases.push_back({ "a bare Ethernet header", Bytes(14, 0), NetOffloadRequest::kGsoTcpV4, 50 });
    for (const Case& each : cases) {
        bool ok = true;
        EXPECT_TRUE(segment(each.frame, each.gso_type, each.gso_size, ok).empty()) << each.what;
        EXPECT_FALSE(ok) << each.what;
    }
}
