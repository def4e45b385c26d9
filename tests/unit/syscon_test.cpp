#include "devices/syscon.h"

#include <gtest/gtest.h>

#include <vector>

using rvisor::devices::PowerRequest;
using rvisor::devices::Syscon;

namespace {

struct SysconTest : ::testing::Test {
    std::vector<PowerRequest> requests;
    Syscon syscon { [this](PowerRequest request) { requests.push_back(request); } };
};

} // namespace

TEST_F(SysconTest, PoweroffValue)
{
    syscon.write(0, 4, 0x5555);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].kind, PowerRequest::Kind::Poweroff);
}

TEST_F(SysconTest, RebootValue)
{
    syscon.write(0, 4, 0x7777);
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].kind, PowerRequest::Kind::Reboot);
}

TEST_F(SysconTest, FailureCarriesItsCode)
{
    syscon.write(0, 4, 0x3333 | (42 << 16));
    syscon.write(0, 4, 0x3333 | (0xffffu << 16));
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(requests[0].kind, PowerRequest::Kind::Failure);
    EXPECT_EQ(requests[0].code, 42);
    EXPECT_EQ(requests[1].code, 0xffff);
}

TEST_F(SysconTest, HalfWordWriteIsARequest)
{
    syscon.write(0, 2, 0x5555); // OpenSBI's sifive_test driver writes 16 bits
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].kind, PowerRequest::Kind::Poweroff);
}

TEST_F(SysconTest, OtherWritesAreIgnored)
{
    syscon.write(0, 4, 0x1234);
    syscon.write(0, 4, 0);
    syscon.write(4, 4, 0x5555); // Not the register.
    syscon.write(0, 1, 0x55); // Too narrow to hold a request.
    EXPECT_TRUE(requests.empty());
    EXPECT_EQ(syscon.read(0, 4), 0u);
}
