#include "devices/virtio/net_offload.h"

#include <algorithm>

namespace rvisor::devices::virtio {

namespace {

constexpr size_t kEthernetHeader = 14;
constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeIpv6 = 0x86dd;
constexpr uint8_t kProtocolTcp = 6;
constexpr size_t kIpv4MinHeader = 20, kIpv6Header = 40, kTcpMinHeader = 20;
constexpr uint8_t kTcpFin = 0x01, kTcpPush = 0x08, kTcpCwr = 0x80;

uint16_t load16(const uint8_t* bytes) { return static_cast<uint16_t>(bytes[0] << 8 | bytes[1]); }
uint32_t load32(const uint8_t* bytes)
{
    return static_cast<uint32_t>(load16(bytes)) << 16 | load16(bytes + 2);
}
void store16(uint8_t* bytes, uint16_t value)
{
    bytes[0] = static_cast<uint8_t>(value >> 8);
    bytes[1] = static_cast<uint8_t>(value);
}
void store32(uint8_t* bytes, uint32_t value)
{
    store16(bytes, static_cast<uint16_t>(value >> 16));
    store16(bytes + 2, static_cast<uint16_t>(value));
}

// A checksum of 0 goes out as 0xffff, its other ones' complement form: UDP reads 0 as "none".
uint16_t transmitted(uint16_t checksum) { return checksum == 0 ? 0xffff : checksum; }

} // namespace

uint64_t ones_complement_add(std::span<const uint8_t> bytes, uint64_t sum)
{
    size_t index = 0;
    for (; index + 1 < bytes.size(); index += 2)
        sum += load16(bytes.data() + index);
    if (index < bytes.size())
        sum += static_cast<uint64_t>(bytes[index]) << 8;
    return sum;
}

uint16_t fold_checksum(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

bool complete_checksum(std::span<uint8_t> frame, const NetOffloadRequest& request)
{
    const size_t start = request.checksum_start;
    const size_t field = start + request.checksum_offset;
    if (field + 2 > frame.size())
        return false;
    const uint16_t checksum = fold_checksum(ones_complement_add(frame.subspan(start)));
    store16(frame.data() + field, transmitted(checksum));
    return true;
}

bool segment_tcp(std::span<const uint8_t> frame, const NetOffloadRequest& request,
    const std::function<void(std::span<const uint8_t>)>& send, std::vector<uint8_t>& scratch)
{
    const uint8_t gso = request.gso_type & ~NetOffloadRequest::kGsoEcn;
    if (request.gso_size == 0 || frame.size() < kEthernetHeader)
        return false;
    const uint16_t ether_type = load16(frame.data() + 12);
    const size_t ip = kEthernetHeader;
    const bool v4 = gso == NetOffloadRequest::kGsoTcpV4 && ether_type == kEtherTypeIpv4;
    const bool v6 = gso == NetOffloadRequest::kGsoTcpV6 && ether_type == kEtherTypeIpv6;
    size_t ip_header = 0;
    if (v4 && frame.size() >= ip + kIpv4MinHeader && frame[ip] >> 4 == 4
        && frame[ip + 9] == kProtocolTcp)
        ip_header = (frame[ip] & 0xfu) * 4u;
    else if (v6 && frame.size() >= ip + kIpv6Header && frame[ip] >> 4 == 6
        && frame[ip + 6] == kProtocolTcp)
        ip_header = kIpv6Header;
    if (ip_header < kIpv4MinHeader)
        return false;
    const size_t tcp = ip + ip_header;
    if (frame.size() < tcp + kTcpMinHeader)
        return false;
    const size_t tcp_header = (frame[tcp + 12] >> 4) * 4u;
    const size_t headers = tcp + tcp_header;
    if (tcp_header < kTcpMinHeader || frame.size() < headers)
        return false;
    const size_t payload = frame.size() - headers;
    const size_t largest = std::min<size_t>(request.gso_size, payload);
    if (headers - ip + largest > 0xffff)
        return false; // an IP length that does not fit its field

    const uint32_t sequence = load32(frame.data() + tcp + 4);
    const uint16_t identification = v4 ? load16(frame.data() + ip + 4) : 0;
    const uint8_t tcp_flags = frame[tcp + 13];
    // The pseudo-header's addresses: IPv4's at offset 12, IPv6's at 8.
    const auto addresses = v4 ? frame.subspan(ip + 12, 8) : frame.subspan(ip + 8, 32);
    const uint64_t address_sum = ones_complement_add(addresses, kProtocolTcp);
    size_t offset = 0;
    unsigned index = 0;
    do {
        const size_t length = std::min(largest, payload - offset);
        const bool last = offset + length == payload;
        scratch.assign(frame.begin(), frame.begin() + static_cast<ptrdiff_t>(headers));
        const auto chunk = frame.subspan(headers + offset, length);
        scratch.insert(scratch.end(), chunk.begin(), chunk.end());
        uint8_t* ip_bytes = scratch.data() + ip;
        uint8_t* tcp_bytes = scratch.data() + tcp;
        const auto tcp_length = static_cast<uint16_t>(tcp_header + length);
        if (v4) {
            store16(ip_bytes + 2, static_cast<uint16_t>(ip_header + tcp_length));
            store16(ip_bytes + 4, static_cast<uint16_t>(identification + index));
            store16(ip_bytes + 10, 0);
            store16(ip_bytes + 10, fold_checksum(ones_complement_add({ ip_bytes, ip_header })));
        } else {
            store16(ip_bytes + 4, tcp_length);
        }
        store32(tcp_bytes + 4, static_cast<uint32_t>(sequence + offset));
        uint8_t flags = tcp_flags;
        if (!last)
            flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPush));
        if (index != 0)
            flags &= static_cast<uint8_t>(~kTcpCwr);
        tcp_bytes[13] = flags;
        store16(tcp_bytes + 16, 0);
        const uint64_t sum
            = ones_complement_add({ tcp_bytes, tcp_length }, address_sum + tcp_length);
        store16(tcp_bytes + 16, transmitted(fold_checksum(sum)));
        send(scratch);
        offset += length;
        ++index;
    } while (offset < payload);
    return true;
}

} // namespace rvisor::devices::virtio
