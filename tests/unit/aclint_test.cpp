#include "devices/aclint.h"

#include <gtest/gtest.h>

using rvisor::cpu::bit;
using rvisor::cpu::Interrupt;
using rvisor::cpu::InterruptLines;
using rvisor::devices::Aclint;
using rvisor::host::Clock;

namespace {

constexpr uint64_t msip_of(unsigned hart) { return 4 * hart; }
constexpr uint64_t mtimecmp_of(unsigned hart) { return 0x4000 + 8 * hart; }
constexpr uint64_t kMtime = 0xbff8;

struct AclintTest : ::testing::Test {
    Clock clock;
    InterruptLines hart0;
    InterruptLines hart1;
    Aclint aclint { clock, { &hart0, &hart1 } };
};

} // namespace

TEST_F(AclintTest, MsipDrivesMachineSoftwareOfItsHart)
{
    aclint.write(msip_of(1), 4, 1);
    EXPECT_TRUE(hart1.levels() & bit(Interrupt::MachineSoftware));
    EXPECT_FALSE(hart0.levels() & bit(Interrupt::MachineSoftware));
    EXPECT_EQ(aclint.read(msip_of(1), 4), 1u);
    EXPECT_EQ(aclint.read(msip_of(0), 4), 0u);

    aclint.write(msip_of(1), 4, 0);
    EXPECT_FALSE(hart1.levels() & bit(Interrupt::MachineSoftware));
    EXPECT_EQ(aclint.read(msip_of(1), 4), 0u);
}

TEST_F(AclintTest, MsipHasOnlyBitZero)
{
    aclint.write(msip_of(0), 4, 0xfffffffe);
    EXPECT_EQ(aclint.read(msip_of(0), 4), 0u);
    EXPECT_FALSE(hart0.levels() & bit(Interrupt::MachineSoftware));
    // A hart that does not exist has no msip.
    aclint.write(msip_of(2), 4, 1);
    EXPECT_EQ(aclint.read(msip_of(2), 4), 0u);
}

TEST_F(AclintTest, MtimecmpResetsToAllOnes)
{
    EXPECT_EQ(aclint.read(mtimecmp_of(0), 8), UINT64_MAX);
    EXPECT_EQ(aclint.read(mtimecmp_of(1) + 4, 4), 0xffffffffu);
    EXPECT_EQ(hart1.machine_timer_compare(), UINT64_MAX);
}

TEST_F(AclintTest, MtimecmpWriteReachesTheHart)
{
    aclint.write(mtimecmp_of(1), 8, 0x123456789abcdef0);
    EXPECT_EQ(hart1.machine_timer_compare(), 0x123456789abcdef0u);
    EXPECT_EQ(hart0.machine_timer_compare(), UINT64_MAX);
    EXPECT_EQ(aclint.read(mtimecmp_of(1), 8), 0x123456789abcdef0u);
    EXPECT_EQ(aclint.read(mtimecmp_of(1), 4), 0x9abcdef0u);
    EXPECT_EQ(aclint.read(mtimecmp_of(1) + 4, 4), 0x12345678u);
}

TEST_F(AclintTest, MtimecmpHalvesAreWritableSeparately)
{
    aclint.write(mtimecmp_of(0), 4, 0x11112222);
    EXPECT_EQ(hart0.machine_timer_compare(), 0xffffffff11112222u);
    aclint.write(mtimecmp_of(0) + 4, 4, 0x3);
    EXPECT_EQ(hart0.machine_timer_compare(), 0x0000000311112222u);
    EXPECT_EQ(aclint.read(mtimecmp_of(0), 8), 0x0000000311112222u);
}

TEST_F(AclintTest, MtimeFollowsTheClock)
{
    uint64_t before = clock.ticks();
    uint64_t time = aclint.read(kMtime, 8);
    uint64_t after = clock.ticks();
    EXPECT_LE(before, time);
    EXPECT_LE(time, after);

    before = clock.ticks();
    uint64_t low = aclint.read(kMtime, 4);
    uint64_t high = aclint.read(kMtime + 4, 4);
    after = clock.ticks();
    EXPECT_LE(before >> 32, high);
    EXPECT_LE(high, after >> 32);
    if (before >> 32 == after >> 32) {
        EXPECT_LE(before & 0xffffffff, low);
        EXPECT_LE(low, after & 0xffffffff);
    }
}

TEST_F(AclintTest, MtimeIgnoresWrites)
{
    aclint.write(kMtime, 8, 0x7000000000000000);
    EXPECT_LT(aclint.read(kMtime, 8), 0x7000000000000000u);
}
