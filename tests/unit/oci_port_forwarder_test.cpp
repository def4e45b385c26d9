#include "oci/port_forwarder.h"

#include <gtest/gtest.h>

using rvisor::oci::forwarded_ports;
using rvisor::oci::ForwardedPort;

TEST(OciPortForwarder, EveryAddressUnlessTheGuestListensOnLoopbackOnly)
{
    const std::set<ForwardedPort> ports = forwarded_ports({
        { "0.0.0.0", 80 },
        { "::", 80 },
        { "127.0.0.1", 80 }, // covered by the port's other listeners
        { "10.0.2.15", 443 },
        { "127.0.0.1", 5432 },
        { "::1", 6379 },
        { "fe80::1", 8443 },
    });
    const std::set<ForwardedPort> expected {
        { "::", 80 },
        { "::", 443 },
        { "127.0.0.1", 5432 },
        { "::1", 6379 },
        { "::", 8443 },
    };
    EXPECT_EQ(ports, expected);
    EXPECT_TRUE(forwarded_ports({}).empty());
}
