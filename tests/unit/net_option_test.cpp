#include "vmm/net_option.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using rvisor::host::kDefaultMacAddress;
using rvisor::host::MacAddress;
using rvisor::host::PortForward;
using rvisor::machine::NetConfig;
using rvisor::vmm::parse_mac_address;
using rvisor::vmm::parse_net_option;

namespace {

// The message of the error parsing `text` raises, or "" when it parses.
std::string error_of(const std::string& text)
{
    try {
        parse_net_option(text);
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST(NetOptionTest, UserAloneIsUserNetworkingWithDefaults)
{
    NetConfig config = parse_net_option("user");
    EXPECT_EQ(config.kind, NetConfig::Kind::User);
    EXPECT_TRUE(config.hostfwds.empty());
    EXPECT_FALSE(config.dns);
    EXPECT_EQ(config.mac, kDefaultMacAddress);
}

TEST(NetOptionTest, PortForwardsDnsAndMac)
{
    NetConfig config = parse_net_option(
        "user,hostfwd=tcp:127.0.0.1:2222-:22,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53,dns=on,"
        "mac=02:aB:cd:00:00:01");
    ASSERT_EQ(config.hostfwds.size(), 2u);
    const PortForward& ssh = config.hostfwds[0];
    EXPECT_EQ(ssh.protocol, PortForward::Protocol::Tcp);
    EXPECT_EQ(ssh.host_address, "127.0.0.1");
    EXPECT_EQ(ssh.host_port, 2222);
    EXPECT_EQ(ssh.guest_port, 22);
    const PortForward& dns = config.hostfwds[1];
    EXPECT_EQ(dns.protocol, PortForward::Protocol::Udp);
    EXPECT_EQ(dns.host_address, "0.0.0.0");
    EXPECT_EQ(dns.host_port, 5353);
    EXPECT_EQ(dns.guest_port, 53);
    EXPECT_TRUE(config.dns);
    EXPECT_EQ(config.mac, (MacAddress { 0x02, 0xab, 0xcd, 0x00, 0x00, 0x01 }));
}

TEST(NetOptionTest, PortForwardDefaultsToTcpOnTheHostsLoopback)
{
    NetConfig config = parse_net_option("user,hostfwd=::8080-:80,dns=off");
    ASSERT_EQ(config.hostfwds.size(), 1u);
    EXPECT_EQ(config.hostfwds[0].protocol, PortForward::Protocol::Tcp);
    EXPECT_EQ(config.hostfwds[0].host_address, "127.0.0.1");
    EXPECT_EQ(config.hostfwds[0].host_port, 8080);
    EXPECT_EQ(config.hostfwds[0].guest_port, 80);
    EXPECT_FALSE(config.dns);
}

TEST(NetOptionTest, TapNeedsAnInterfaceName)
{
    NetConfig config = parse_net_option("tap,ifname=tap0,mac=52:54:00:00:00:07");
    EXPECT_EQ(config.kind, NetConfig::Kind::Tap);
    EXPECT_EQ(config.ifname, "tap0");
    EXPECT_EQ(config.mac, (MacAddress { 0x52, 0x54, 0x00, 0x00, 0x00, 0x07 }));
    EXPECT_NE(error_of("tap").find("names no tap interface"), std::string::npos);
    EXPECT_NE(error_of("tap,ifname=").find("ifname ''"), std::string::npos);
    EXPECT_NE(
        error_of("tap,ifname=averyveryverylongname").find("1 to 15 characters"), std::string::npos);
}

TEST(NetOptionTest, UnknownKindsAndOptionsAreNamed)
{
    EXPECT_NE(
        error_of("bridge").find("'bridge' does not start with user or tap"), std::string::npos);
    EXPECT_NE(error_of("").find("does not start with user or tap"), std::string::npos);
    EXPECT_NE(error_of("user,restrict=on").find("'restrict=on' is not one of"), std::string::npos);
    // Options of the other kind are refused too.
    EXPECT_NE(error_of("user,ifname=tap0").find("'ifname=tap0'"), std::string::npos);
    EXPECT_NE(error_of("tap,ifname=tap0,hostfwd=tcp::1-:1").find("'hostfwd=tcp::1-:1'"),
        std::string::npos);
    EXPECT_NE(error_of("user,dns").find("'dns' is not KEY=VALUE"), std::string::npos);
    EXPECT_NE(error_of("user,dns=yes").find("dns='yes'"), std::string::npos);
    EXPECT_NE(error_of("user,").find("option '' is not KEY=VALUE"), std::string::npos);
}

TEST(NetOptionTest, BadPortForwardsSayWhatIsWrong)
{
    EXPECT_NE(error_of("user,hostfwd=tcp:127.0.0.1:2222").find("no '-'"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=127.0.0.1:2222-:22").find("PROTOCOL:ADDRESS:PORT"),
        std::string::npos);
    EXPECT_NE(
        error_of("user,hostfwd=tcp:127.0.0.1:2222-22").find("ADDRESS:PORT"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=sctp::2222-:22").find("protocol 'sctp'"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp:localhost:2222-:22").find("host address 'localhost'"),
        std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp::0-:22").find("host port '0'"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp::65536-:22").find("host port '65536'"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp::22x-:22").find("host port '22x'"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp::2222-:").find("guest port ''"), std::string::npos);
    EXPECT_NE(error_of("user,hostfwd=tcp::2222-10.0.2.16:22").find("guest address '10.0.2.16'"),
        std::string::npos);
    // The whole forward is quoted, so the user sees which one is wrong.
    EXPECT_NE(error_of("user,hostfwd=tcp::1-:1,hostfwd=tcp::2-:x").find("hostfwd 'tcp::2-:x'"),
        std::string::npos);
}

TEST(NetOptionTest, MacAddressesMustBeSixUnicastBytes)
{
    EXPECT_EQ(parse_mac_address("52:54:00:12:34:56"), kDefaultMacAddress);
    for (const char* bad : { "52:54:00:12:34", "52:54:00:12:34:56:78", "52-54-00-12-34-56",
             "52:54:00:12:34:5", "52:54:00:12:34:5g", "052:54:00:12:34:56" }) {
        EXPECT_NE(error_of(std::string("user,mac=") + bad).find("is not six hex bytes"),
            std::string::npos)
            << bad;
    }
    EXPECT_NE(
        error_of("user,mac=01:00:5e:00:00:01").find("not a unicast address"), std::string::npos);
    EXPECT_NE(
        error_of("user,mac=00:00:00:00:00:00").find("not a unicast address"), std::string::npos);
}
