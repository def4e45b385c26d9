#include "devices/virtio/rng.h"

#include "virtio_test_driver.h"

#include <gtest/gtest.h>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kBuffers = kRamBase + 0x10000;

struct VirtioRngTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    TestRing ring { ram, kRamBase, 16 };
    VirtioRng rng;
    VirtioMmio transport { ram, rng, InterruptLine {}, false };
    TestDriver driver { transport };

    void SetUp() override
    {
        fill(ram, kBuffers, kRamBase + kRamSize - kBuffers, kCanary);
        ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1 | kFeatureEventIndex));
    }
    void submit(uint16_t expected_used)
    {
        driver.notify(0);
        ASSERT_TRUE(wait_until([&] { return ring.used_index() == expected_used; }));
    }
};

} // namespace

TEST_F(VirtioRngTest, IsAnEntropyDevice)
{
    EXPECT_EQ(driver.read(0x008), 4u);
    EXPECT_EQ(driver.device_features(),
        kFeatureVersion1 | kFeatureEventIndex | kFeatureIndirectDescriptors);
}

TEST_F(VirtioRngTest, FillsEveryWritableBufferAndNothingElse)
{
    ring.set(0, { kBuffers, 64, kNext | kWrite, 1 });
    ring.set(1, { kBuffers + 0x100, 32, kWrite, 0 });
    ring.publish(0);
    submit(1);
    EXPECT_EQ(ring.used_id(0), 0u);
    EXPECT_EQ(ring.used_length(0), 96u);
    // 64 random bytes all equal to the canary would take more luck than exists.
    EXPECT_FALSE(all_bytes_are(ram, kBuffers, 64, kCanary));
    EXPECT_FALSE(all_bytes_are(ram, kBuffers + 0x100, 32, kCanary));
    EXPECT_TRUE(all_bytes_are(ram, kBuffers + 64, 0x100 - 64, kCanary));
    EXPECT_TRUE(all_bytes_are(ram, kBuffers + 0x100 + 32, 0x1000, kCanary));
}

TEST_F(VirtioRngTest, LeavesReadableBuffersAlone)
{
    ring.set(0, { kBuffers, 16, kNext, 1 });
    ring.set(1, { kBuffers + 0x100, 16, kWrite, 0 });
    ring.publish(0);
    submit(1);
    EXPECT_EQ(ring.used_length(0), 16u);
    EXPECT_TRUE(all_bytes_are(ram, kBuffers, 16, kCanary));
}

TEST_F(VirtioRngTest, ServesEveryChainOfferedAtOnce)
{
    for (uint16_t index = 0; index < 8; ++index) {
        ring.set(index, { kBuffers + 0x100 * uint64_t { index }, 8, kWrite, 0 });
        ring.publish(index);
    }
    submit(8);
    for (uint16_t index = 0; index < 8; ++index) {
        EXPECT_EQ(ring.used_id(index), index);
        EXPECT_EQ(ring.used_length(index), 8u);
    }
}

TEST_F(VirtioRngTest, BufferOutsideRamNeedsReset)
{
    ring.set(0, { kRamBase + kRamSize - 4, 8, kWrite, 0 });
    ring.publish(0);
    driver.notify(0);
    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_EQ(ring.used_index(), 0);
    EXPECT_TRUE(all_bytes_are(ram, kRamBase + kRamSize - 4, 4, kCanary));
}
