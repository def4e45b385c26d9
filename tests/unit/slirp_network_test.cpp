// SlirpNetwork against real sockets, all on the host's loopback: the test plays the guest by
// writing Ethernet frames and reading the ones libslirp sends back.
#include "host/slirp_network.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using rvisor::host::MacAddress;
using rvisor::host::PortForward;
using rvisor::host::SlirpNetwork;

namespace {

using Frame = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

// Bounded waits: long enough never to fail on a slow machine, short enough to catch a hang.
constexpr auto kPatience = std::chrono::seconds(10);

constexpr MacAddress kGuestMac { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
constexpr MacAddress kBroadcast { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
constexpr uint16_t kIpv4 = 0x0800;
constexpr uint16_t kArp = 0x0806;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kTcpSyn = 0x02;

uint32_t ipv4(const char* text)
{
    in_addr address;
    inet_pton(AF_INET, text, &address);
    return ntohl(address.s_addr);
}

const uint32_t kGuestIp = ipv4("10.0.2.15");
const uint32_t kGatewayIp = ipv4("10.0.2.2");

// Big-endian fields, as the wire has them.
void put16(Frame& frame, size_t offset, uint16_t value)
{
    frame[offset] = static_cast<uint8_t>(value >> 8);
    frame[offset + 1] = static_cast<uint8_t>(value);
}

void put32(Frame& frame, size_t offset, uint32_t value)
{
    put16(frame, offset, static_cast<uint16_t>(value >> 16));
    put16(frame, offset + 2, static_cast<uint16_t>(value));
}

uint16_t get16(const Frame& frame, size_t offset)
{
    return static_cast<uint16_t>(frame[offset] << 8 | frame[offset + 1]);
}

uint32_t get32(const Frame& frame, size_t offset)
{
    return uint32_t { get16(frame, offset) } << 16 | get16(frame, offset + 2);
}

// resize and copy rather than insert: GCC 12 at -O3 sees a bounds error in insert's inlined
// copy of a fixed-size header that is not there (-Warray-bounds).
void append(Frame& frame, std::span<const uint8_t> bytes)
{
    const size_t end = frame.size();
    frame.resize(end + bytes.size());
    std::copy(bytes.begin(), bytes.end(), frame.begin() + static_cast<std::ptrdiff_t>(end));
}

// The Internet checksum of `bytes`, starting from a partial `sum` (a pseudo-header's).
uint16_t internet_checksum(std::span<const uint8_t> bytes, uint32_t sum = 0)
{
    for (size_t index = 0; index + 1 < bytes.size(); index += 2)
        sum += uint32_t { bytes[index] } << 8 | bytes[index + 1];
    if (bytes.size() % 2)
        sum += uint32_t { bytes.back() } << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

Frame ethernet(MacAddress destination, uint16_t type, std::span<const uint8_t> payload)
{
    Frame frame;
    append(frame, destination);
    append(frame, kGuestMac);
    frame.resize(14);
    put16(frame, 12, type);
    append(frame, payload);
    // Short frames are padded to Ethernet's minimum, as a real card does.
    if (frame.size() < 60)
        frame.resize(60);
    return frame;
}

Frame ipv4_packet(
    uint32_t source, uint32_t destination, uint8_t protocol, std::span<const uint8_t> payload)
{
    Frame packet(20);
    packet[0] = 0x45;
    put16(packet, 2, static_cast<uint16_t>(20 + payload.size()));
    packet[8] = 64; // time to live
    packet[9] = protocol;
    put32(packet, 12, source);
    put32(packet, 16, destination);
    put16(packet, 10, internet_checksum(packet));
    append(packet, payload);
    return packet;
}

// A DHCPDISCOVER from kGuestMac, broadcast, as a client without an address sends it.
Frame dhcp_discover(uint32_t transaction)
{
    Frame bootp(548); // the fixed BOOTP fields and 312 bytes of options, as RFC 2131 sizes them
    bootp[0] = 1; // BOOTREQUEST
    bootp[1] = 1; // Ethernet
    bootp[2] = 6;
    put32(bootp, 4, transaction);
    put16(bootp, 10, 0x8000); // answer by broadcast
    std::memcpy(&bootp[28], kGuestMac.data(), kGuestMac.size());
    put32(bootp, 236, 0x63825363); // the DHCP magic cookie
    const uint8_t options[] = { 53, 1, 1, 255 }; // message type DISCOVER, end
    std::memcpy(&bootp[240], options, sizeof options);

    Frame udp(8);
    put16(udp, 0, 68);
    put16(udp, 2, 67);
    put16(udp, 4, static_cast<uint16_t>(8 + bootp.size()));
    // A zero UDP checksum means none was computed, which IPv4 allows.
    append(udp, bootp);
    return ethernet(kBroadcast, kIpv4, ipv4_packet(0, 0xffffffff, kUdp, udp));
}

Frame arp(uint16_t operation, MacAddress target_mac, uint32_t target_ip)
{
    Frame message(28);
    put16(message, 0, 1); // Ethernet
    put16(message, 2, kIpv4);
    message[4] = 6;
    message[5] = 4;
    put16(message, 6, operation);
    std::memcpy(&message[8], kGuestMac.data(), 6);
    put32(message, 14, kGuestIp);
    std::memcpy(&message[18], target_mac.data(), 6);
    put32(message, 24, target_ip);
    return ethernet(operation == 1 ? kBroadcast : target_mac, kArp, message);
}

Frame tcp_syn(MacAddress destination_mac, uint32_t destination, uint16_t source_port,
    uint16_t destination_port)
{
    Frame segment(20);
    put16(segment, 0, source_port);
    put16(segment, 2, destination_port);
    put32(segment, 4, 1000); // sequence number
    segment[12] = 5 << 4; // header length in words
    segment[13] = kTcpSyn;
    put16(segment, 14, 65535); // window
    Frame pseudo_header(12);
    put32(pseudo_header, 0, kGuestIp);
    put32(pseudo_header, 4, destination);
    pseudo_header[9] = kTcp;
    put16(pseudo_header, 10, static_cast<uint16_t>(segment.size()));
    uint32_t sum = 0;
    for (size_t index = 0; index < pseudo_header.size(); index += 2)
        sum += get16(pseudo_header, index);
    put16(segment, 16, internet_checksum(segment, sum));
    return ethernet(destination_mac, kIpv4, ipv4_packet(kGuestIp, destination, kTcp, segment));
}

// Where an IPv4 frame's transport header starts, or nothing for other frames.
std::optional<size_t> transport_offset(const Frame& frame, uint8_t protocol)
{
    if (frame.size() < 34 || get16(frame, 12) != kIpv4 || (frame[14] >> 4) != 4
        || frame[23] != protocol)
        return std::nullopt;
    size_t offset = 14 + size_t { frame[14] & 0x0fu } * 4;
    if (offset + 20 > frame.size())
        return std::nullopt;
    return offset;
}

// The address a DHCPOFFER for `transaction` offers, or nothing when `frame` is not one.
std::optional<uint32_t> offered_address(const Frame& frame, uint32_t transaction)
{
    std::optional<size_t> udp = transport_offset(frame, kUdp);
    if (!udp || get16(frame, *udp) != 67 || get16(frame, *udp + 2) != 68)
        return std::nullopt;
    size_t bootp = *udp + 8;
    if (frame.size() < bootp + 240 || frame[bootp] != 2 || get32(frame, bootp + 4) != transaction
        || get32(frame, bootp + 236) != 0x63825363)
        return std::nullopt;
    for (size_t option = bootp + 240; option + 2 < frame.size() && frame[option] != 255;) {
        if (frame[option] == 0) {
            ++option;
            continue;
        }
        if (frame[option] == 53 && frame[option + 1] == 1 && frame[option + 2] == 2)
            return get32(frame, bootp + 16); // yiaddr
        option += 2 + size_t { frame[option + 1] };
    }
    return std::nullopt;
}

bool is_arp_request_for(const Frame& frame, uint32_t ip)
{
    return frame.size() >= 42 && get16(frame, 12) == kArp && get16(frame, 20) == 1
        && get32(frame, 38) == ip;
}

// The sender's MAC of an ARP reply about `ip`.
std::optional<MacAddress> arp_reply_from(const Frame& frame, uint32_t ip)
{
    if (frame.size() < 42 || get16(frame, 12) != kArp || get16(frame, 20) != 2
        || get32(frame, 28) != ip)
        return std::nullopt;
    MacAddress mac;
    std::memcpy(mac.data(), &frame[22], mac.size());
    return mac;
}

bool is_syn_to(const Frame& frame, uint32_t ip, uint16_t port)
{
    std::optional<size_t> tcp = transport_offset(frame, kTcp);
    return tcp && get32(frame, 30) == ip && get16(frame, *tcp + 2) == port
        && (frame[*tcp + 13] & kTcpSyn);
}

// A socket on 127.0.0.1, closed with the object.
struct LoopbackSocket {
    int fd;

    explicit LoopbackSocket(int type)
        : fd(::socket(AF_INET, type | SOCK_CLOEXEC, 0))
    {
        if (fd < 0)
            throw std::runtime_error("cannot create a socket");
    }
    ~LoopbackSocket() { ::close(fd); }

    static sockaddr_in address(uint16_t port)
    {
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = htons(port);
        return address;
    }
    // Binds to `port`, or to a free one with 0; returns the port.
    uint16_t bind_to(uint16_t port)
    {
        sockaddr_in local = address(port);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
            throw std::runtime_error("cannot bind a loopback socket");
        socklen_t length = sizeof local;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length);
        return ntohs(local.sin_port);
    }
    bool connect_to(uint16_t port)
    {
        sockaddr_in remote = address(port);
        return ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) == 0;
    }
    bool readable_within(std::chrono::milliseconds timeout)
    {
        pollfd entry { fd, POLLIN, 0 };
        return ::poll(&entry, 1, static_cast<int>(timeout.count())) == 1;
    }
};

// A loopback port nobody uses right now.
uint16_t free_port()
{
    LoopbackSocket probe(SOCK_STREAM);
    return probe.bind_to(0);
}

// What the network sends the guest, in order, for the test thread to wait on.
class FrameLog {
public:
    void add(std::span<const uint8_t> frame)
    {
        std::lock_guard lock(m_mutex);
        m_frames.emplace_back(frame.begin(), frame.end());
        m_arrived.notify_all();
    }

    // The next frame not seen yet, waiting until `deadline` for one.
    std::optional<Frame> next(Clock::time_point deadline)
    {
        std::unique_lock lock(m_mutex);
        if (!m_arrived.wait_until(lock, deadline, [&] { return m_seen < m_frames.size(); }))
            return std::nullopt;
        return m_frames[m_seen++];
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_arrived;
    std::vector<Frame> m_frames;
    size_t m_seen = 0;
};

struct SlirpNetworkTest : ::testing::Test {
    FrameLog log;

    void start(SlirpNetwork& network)
    {
        network.set_receiver([this](std::span<const uint8_t> frame) { log.add(frame); });
        network.start();
    }

    // Plays the guest's side of ARP until `found` accepts a frame or time runs out.
    template <typename Found> std::optional<Frame> wait_for(SlirpNetwork& network, Found found)
    {
        auto deadline = Clock::now() + kPatience;
        while (std::optional<Frame> frame = log.next(deadline)) {
            if (found(*frame))
                return frame;
            if (is_arp_request_for(*frame, kGuestIp)) {
                MacAddress asker;
                std::memcpy(asker.data(), &(*frame)[6], asker.size());
                network.send(arp(2, asker, get32(*frame, 28)));
            }
        }
        return std::nullopt;
    }
};

} // namespace

TEST_F(SlirpNetworkTest, OffersTheGuest10_0_2_15OverDhcp)
{
    SlirpNetwork network({});
    start(network);
    network.send(dhcp_discover(0x12345678));

    std::optional<Frame> offer = wait_for(
        network, [](const Frame& frame) { return offered_address(frame, 0x12345678).has_value(); });
    ASSERT_TRUE(offer) << "no DHCPOFFER came back";
    EXPECT_EQ(offered_address(*offer, 0x12345678), kGuestIp);
}

TEST_F(SlirpNetworkTest, TheGatewayAnswersArp)
{
    SlirpNetwork network({});
    start(network);
    network.send(arp(1, MacAddress {}, kGatewayIp));

    std::optional<Frame> reply = wait_for(
        network, [](const Frame& frame) { return arp_reply_from(frame, kGatewayIp).has_value(); });
    ASSERT_TRUE(reply) << "no ARP reply for 10.0.2.2";
}

TEST_F(SlirpNetworkTest, ConnectionsToTheGatewayReachTheHostsLoopback)
{
    LoopbackSocket server(SOCK_STREAM);
    uint16_t port = server.bind_to(0);
    ASSERT_EQ(::listen(server.fd, 1), 0);

    SlirpNetwork network({});
    start(network);
    network.send(arp(1, MacAddress {}, kGatewayIp));
    std::optional<Frame> reply = wait_for(
        network, [](const Frame& frame) { return arp_reply_from(frame, kGatewayIp).has_value(); });
    ASSERT_TRUE(reply);
    network.send(tcp_syn(*arp_reply_from(*reply, kGatewayIp), kGatewayIp, 40000, port));

    ASSERT_TRUE(
        server.readable_within(std::chrono::duration_cast<std::chrono::milliseconds>(kPatience)))
        << "nothing connected to 127.0.0.1:" << port;
    int connection = ::accept(server.fd, nullptr, nullptr);
    EXPECT_GE(connection, 0);
    ::close(connection);
}

TEST_F(SlirpNetworkTest, AHostPortForwardReachesTheGuestPort)
{
    uint16_t port = free_port();
    SlirpNetwork network(
        { .port_forwards = { { PortForward::Protocol::Tcp, "127.0.0.1", port, 1234 } } });
    start(network);

    LoopbackSocket client(SOCK_STREAM);
    ASSERT_TRUE(client.connect_to(port));
    // libslirp opens the connection to the guest, asking for its MAC address first.
    std::optional<Frame> syn
        = wait_for(network, [](const Frame& frame) { return is_syn_to(frame, kGuestIp, 1234); });
    EXPECT_TRUE(syn) << "no SYN for 10.0.2.15:1234 after connecting to 127.0.0.1:" << port;
}

TEST_F(SlirpNetworkTest, APortForwardOnAPortInUseFailsWithASentence)
{
    LoopbackSocket occupant(SOCK_STREAM);
    uint16_t port = occupant.bind_to(0);
    ASSERT_EQ(::listen(occupant.fd, 1), 0);

    try {
        SlirpNetwork network(
            { .port_forwards = { { PortForward::Protocol::Tcp, "127.0.0.1", port, 1234 } } });
        FAIL() << "a port forward from a port in use was set up";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()),
            "cannot forward host port tcp:127.0.0.1:" + std::to_string(port)
                + " to guest port 1234: Address already in use");
    }
}

TEST_F(SlirpNetworkTest, AUdpPortForwardOnAPortInUseFailsToo)
{
    LoopbackSocket occupant(SOCK_DGRAM);
    uint16_t port = occupant.bind_to(0);

    EXPECT_THROW(SlirpNetwork({ .port_forwards
                     = { { PortForward::Protocol::Udp, "127.0.0.1", port, 53 } } }),
        std::runtime_error);
}

TEST_F(SlirpNetworkTest, StopsWithoutEverStartingAndTwice)
{
    SlirpNetwork never_started({});
    never_started.stop();
    SlirpNetwork started({});
    start(started);
    started.stop();
    started.stop();
}
