#include "agent/tcp_listeners.h"

#include <gtest/gtest.h>

using namespace rvisor::agent;

namespace {

// As a little-endian kernel writes them (the header, then one line per socket).
constexpr std::string_view kProcNetTcp
    = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
      "inode\n"
      "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1234 1 0000000000000000 100 0 0 10 0\n"
      "   1: 0100007F:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1235 1 0000000000000000 100 0 0 10 0\n"
      "   2: 0F02000A:0050 0202000A:C350 01 00000000:00000000 00:00000000 00000000     0        0 "
      "1236 1 0000000000000000 20 4 30 10 -1\n"
      "   3: 0F02000A:01BB 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
      "1237 1 0000000000000000 100 0 0 10 0\n"
      "   4: garbage\n";

constexpr std::string_view kProcNetTcp6
    = "  sl  local_address                         remote_address                        st "
      "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0\n"
      "   1: 00000000000000000000000001000000:1388 00000000000000000000000000000000:0000 0A "
      "00000000:00000000 00:00000000 00000000     0        0 98 1 0000000000000000 100 0 0 10 0\n"
      "   2: 00000000000000000000000001000000:1389 00000000000000000000000001000000:D000 01 "
      "00000000:00000000 00:00000000 00000000     0        0 97 1 0000000000000000 100 0 0 10 0\n";

} // namespace

TEST(AgentTcpListeners, ParsesListeningSocketsOnly)
{
    const auto listeners = parse_tcp_listeners(kProcNetTcp, AddressFamily::Ipv4);
    ASSERT_EQ(listeners.size(), 3u);
    EXPECT_EQ(listeners[0], (TcpListener { "0.0.0.0", 8080 }));
    EXPECT_EQ(listeners[1], (TcpListener { "127.0.0.1", 22 }));
    EXPECT_EQ(listeners[2], (TcpListener { "10.0.2.15", 443 }));
    const auto ipv6 = parse_tcp_listeners(kProcNetTcp6, AddressFamily::Ipv6);
    ASSERT_EQ(ipv6.size(), 2u);
    EXPECT_EQ(ipv6[0], (TcpListener { "::", 80 }));
    EXPECT_EQ(ipv6[1], (TcpListener { "::1", 5000 }));
}

TEST(AgentTcpListeners, SkipsWhatIsNotASocketLine)
{
    EXPECT_TRUE(parse_tcp_listeners("", AddressFamily::Ipv4).empty());
    // An IPv6 line read as IPv4 (and the other way) has the wrong address length.
    EXPECT_TRUE(parse_tcp_listeners(kProcNetTcp6, AddressFamily::Ipv4).empty());
    EXPECT_TRUE(parse_tcp_listeners(kProcNetTcp, AddressFamily::Ipv6).empty());
    for (std::string_view line : { "0 00000000:1F90 00000000:0000 0A",
             "   0: 0000000:1F90 00000000:0000 0A", "   0: 00000000:1F9 00000000:0000 0A",
             "   0: 0000000G:1F90 00000000:0000 0A", "   0: 00000000:1F90 00000000:0000",
             "   0: 00000000:1F90 00000000:0000 0a", "   0: 00000000-1F90 00000000:0000 0A" })
        EXPECT_TRUE(parse_tcp_listeners(line, AddressFamily::Ipv4).empty()) << line;
}

TEST(AgentTcpListeners, ConnectsToLoopbackForWildcardListeners)
{
    const std::vector<TcpListener> listeners { { "::", 80 }, { "0.0.0.0", 80 }, { "::", 81 },
        { "10.0.2.15", 443 }, { "::1", 5000 } };
    EXPECT_EQ(connect_address(listeners, 80), "127.0.0.1");
    EXPECT_EQ(connect_address(listeners, 81), "::1");
    EXPECT_EQ(connect_address(listeners, 443), "10.0.2.15");
    EXPECT_EQ(connect_address(listeners, 5000), "::1");
    EXPECT_EQ(connect_address(listeners, 9999), "127.0.0.1");
}
