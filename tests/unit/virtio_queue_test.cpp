#include "devices/virtio/queue.h"

#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kBuffers = kRamBase + 0x10000;
constexpr uint64_t kIndirectTable = kRamBase + 0x8000;

struct VirtQueueTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    TestRing ring { ram, kRamBase, 16 };
    unsigned interrupts = 0;
    std::vector<std::string> failures;
    VirtQueue queue { ram, [this] { ++interrupts; },
        [this](const std::string& reason) { failures.push_back(reason); } };

    void SetUp() override { enable(kFeatureIndirectDescriptors); }
    void enable(uint64_t features)
    {
        ASSERT_EQ(queue.enable(ring.layout(), features), std::nullopt);
    }

    // The chain just published is refused: one failure, nothing popped, and the queue stays
    // stopped even for a good chain after it.
    void expect_refused()
    {
        EXPECT_EQ(queue.pop(), std::nullopt);
        ASSERT_EQ(failures.size(), 1u);
        ring.set(15, { kBuffers, 16, 0, 0 });
        ring.publish(15);
        EXPECT_EQ(queue.pop(), std::nullopt);
        EXPECT_EQ(failures.size(), 1u);
    }
};

} // namespace

TEST_F(VirtQueueTest, PopsReadableThenWritableBuffersAsHostSpans)
{
    ring.set(0, { kBuffers, 16, kNext, 3 });
    ring.set(3, { kBuffers + 0x100, 512, kNext | kWrite, 7 });
    ring.set(7, { kBuffers + 0x400, 1, kWrite, 0 });
    ring.publish(0);

    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->head, 0);
    ASSERT_EQ(chain->readable.segments().size(), 1u);
    EXPECT_EQ(chain->readable.segments()[0].data(), ram.pointer(kBuffers));
    EXPECT_EQ(chain->readable.size(), 16u);
    ASSERT_EQ(chain->writable.segments().size(), 2u);
    EXPECT_EQ(chain->writable.segments()[0].data(), ram.pointer(kBuffers + 0x100));
    EXPECT_EQ(chain->writable.segments()[1].data(), ram.pointer(kBuffers + 0x400));
    EXPECT_EQ(chain->writable.size(), 513u);
    EXPECT_EQ(queue.pop(), std::nullopt);
    EXPECT_TRUE(failures.empty());
}

TEST_F(VirtQueueTest, EmptyOrDisabledQueuePopsNothing)
{
    EXPECT_EQ(queue.pop(), std::nullopt);
    ring.set(0, { kBuffers, 16, 0, 0 });
    ring.publish(0);
    queue.disable();
    EXPECT_EQ(queue.pop(), std::nullopt);
    EXPECT_TRUE(failures.empty());
}

TEST_F(VirtQueueTest, PushPublishesHeadAndLength)
{
    ring.set(5, { kBuffers, 64, kWrite, 0 });
    ring.publish(5);
    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    queue.push(chain->head, 42);
    EXPECT_EQ(ring.used_index(), 1);
    EXPECT_EQ(ring.used_id(0), 5u);
    EXPECT_EQ(ring.used_length(0), 42u);
}

TEST_F(VirtQueueTest, IndexesWrapAround65536)
{
    ring.set(0, { kBuffers, 8, kWrite, 0 });
    for (unsigned round = 0; round < 70000; ++round) {
        ring.publish(0);
        auto chain = queue.pop();
        ASSERT_TRUE(chain) << "round " << round;
        queue.push(chain->head, 8);
    }
    EXPECT_EQ(ring.used_index(), static_cast<uint16_t>(70000));
    EXPECT_TRUE(failures.empty());
}

TEST_F(VirtQueueTest, NotifiesUnlessTheDriverSaysNoInterrupt)
{
    ring.set(0, { kBuffers, 8, kWrite, 0 });
    ring.publish(0);
    queue.push(queue.pop().value().head, 0);
    queue.notify_used();
    EXPECT_EQ(interrupts, 1u);
    queue.notify_used();
    EXPECT_EQ(interrupts, 1u) << "nothing new was used";

    ring.set_available_flags(1);
    ring.publish(0);
    queue.push(queue.pop().value().head, 0);
    queue.notify_used();
    EXPECT_EQ(interrupts, 1u);
}

TEST_F(VirtQueueTest, EventIndexInterruptsWhenUsedEventIsPassed)
{
    enable(kFeatureEventIndex);
    ring.set(0, { kBuffers, 8, kWrite, 0 });
    ring.set_used_event(1); // wake me when the second chain is used
    ring.publish(0);
    queue.push(queue.pop().value().head, 0);
    queue.notify_used();
    EXPECT_EQ(interrupts, 0u);
    ring.publish(0);
    queue.push(queue.pop().value().head, 0);
    queue.notify_used();
    EXPECT_EQ(interrupts, 1u);
}

TEST_F(VirtQueueTest, EventIndexAsksForTheNextChainWhenIdle)
{
    enable(kFeatureEventIndex);
    ring.set(0, { kBuffers, 8, kWrite, 0 });
    ring.publish(0);
    ring.publish(0);
    ASSERT_TRUE(queue.pop());
    ASSERT_TRUE(queue.pop());
    EXPECT_EQ(queue.pop(), std::nullopt);
    EXPECT_EQ(ring.available_event(), 2);
}

TEST_F(VirtQueueTest, FollowsAnIndirectTableAfterDirectDescriptors)
{
    ring.set(0, { kBuffers, 16, kNext, 1 });
    ring.set(1, { kIndirectTable, 3 * 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kBuffers + 0x100, 100, kNext, 2 });
    ring.set_at(kIndirectTable, 2, { kBuffers + 0x200, 200, kNext | kWrite, 1 });
    ring.set_at(kIndirectTable, 1, { kBuffers + 0x300, 1, kWrite, 0 });
    ring.publish(0);

    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->readable.size(), 116u);
    EXPECT_EQ(chain->readable.segments().size(), 2u);
    EXPECT_EQ(chain->writable.size(), 201u);
    EXPECT_EQ(chain->writable.segments()[1].data(), ram.pointer(kBuffers + 0x300));
    EXPECT_TRUE(failures.empty());
}

TEST_F(VirtQueueTest, ZeroLengthBuffersAreAllowedAndMoveNothing)
{
    // Its address is never used, so it may be anything.
    ring.set(0, { kBuffers, 16, kNext, 1 });
    ring.set(1, { 0xdead'0000'0000, 0, kNext | kWrite, 2 });
    ring.set(2, { kBuffers + 0x100, 1, kWrite, 0 });
    ring.publish(0);
    auto chain = queue.pop();
    ASSERT_TRUE(chain);
    EXPECT_EQ(chain->writable.segments().size(), 1u);
    EXPECT_TRUE(failures.empty());
}

TEST_F(VirtQueueTest, RefusesBadLayouts)
{
    QueueLayout good = ring.layout();
    auto refused = [&](QueueLayout layout) {
        bool error = queue.enable(layout, 0).has_value();
        return error && !queue.ready();
    };
    QueueLayout layout = good;
    layout.size = 0;
    EXPECT_TRUE(refused(layout));
    layout.size = 12;
    EXPECT_TRUE(refused(layout)) << "not a power of two";
    layout = good;
    layout.descriptor_area += 8;
    EXPECT_TRUE(refused(layout)) << "descriptor table misaligned";
    layout = good;
    layout.driver_area += 1;
    EXPECT_TRUE(refused(layout)) << "available ring misaligned";
    layout = good;
    layout.device_area += 2;
    EXPECT_TRUE(refused(layout)) << "used ring misaligned";
    layout = good;
    layout.device_area = kRamBase + kRamSize - 64;
    EXPECT_TRUE(refused(layout)) << "used ring runs past the end of RAM";
    layout = good;
    layout.descriptor_area = 0xffff'ffff'ffff'ff00;
    EXPECT_TRUE(refused(layout)) << "descriptor table wraps around";
    layout = good;
    layout.driver_area = 0x1000;
    EXPECT_TRUE(refused(layout)) << "available ring below RAM";
    EXPECT_FALSE(queue.enable(good, 0).has_value());
}

TEST_F(VirtQueueTest, RefusesBufferRunningPastTheEndOfRam)
{
    ring.set(0, { kRamBase + kRamSize - 8, 16, 0, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesBufferWhoseAddressWrapsAround)
{
    ring.set(0, { 0xffff'ffff'ffff'f000, 0x2000, kWrite, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesBufferBelowRam)
{
    ring.set(0, { kRamBase - 0x100, 0x200, 0, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesLoopingChain)
{
    ring.set(0, { kBuffers, 16, kNext, 1 });
    ring.set(1, { kBuffers, 16, kNext, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesLoopInsideIndirectTable)
{
    ring.set(0, { kIndirectTable, 2 * 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kBuffers, 16, kNext, 1 });
    ring.set_at(kIndirectTable, 1, { kBuffers, 16, kNext, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesIndirectInsideIndirect)
{
    ring.set(0, { kIndirectTable, 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kIndirectTable, 16, kIndirect, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesIndirectWithoutTheFeature)
{
    enable(0);
    ring.set(0, { kIndirectTable, 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kBuffers, 16, 0, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesIndirectWithNext)
{
    ring.set(0, { kIndirectTable, 16, kIndirect | kNext, 1 });
    ring.set_at(kIndirectTable, 0, { kBuffers, 16, 0, 0 });
    ring.set(1, { kBuffers, 16, 0, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesIndirectTableOfOddLength)
{
    ring.set(0, { kIndirectTable, 24, kIndirect, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesEmptyIndirectTable)
{
    ring.set(0, { kIndirectTable, 0, kIndirect, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesIndirectTableOutsideRam)
{
    ring.set(0, { kRamBase + kRamSize - 16, 32, kIndirect, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesReadableAfterWritable)
{
    ring.set(0, { kBuffers, 16, kWrite | kNext, 1 });
    ring.set(1, { kBuffers + 0x100, 16, 0, 0 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesHeadIndexOutsideTheTable)
{
    ring.publish(16);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesNextIndexOutsideTheTable)
{
    ring.set(0, { kBuffers, 16, kNext, 200 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesNextIndexOutsideTheIndirectTable)
{
    ring.set(0, { kIndirectTable, 2 * 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kBuffers, 16, kNext, 2 });
    ring.publish(0);
    expect_refused();
}

TEST_F(VirtQueueTest, RefusesAvailableIndexMovedPastTheQueueSize)
{
    ring.set(0, { kBuffers, 16, 0, 0 });
    ring.set_available_index(17);
    EXPECT_EQ(queue.pop(), std::nullopt);
    EXPECT_EQ(failures.size(), 1u);
}

TEST_F(VirtQueueTest, RefusesChainOf4GiB)
{
    // 4096 descriptors naming the whole of RAM add up to 4 GiB without leaving RAM.
    constexpr uint16_t kEntries = 4096;
    ring.set(0, { kIndirectTable, kEntries * 16, kIndirect, 0 });
    for (uint16_t index = 0; index < kEntries; ++index) {
        uint16_t flags = index + 1 < kEntries ? kNext : 0;
        ring.set_at(kIndirectTable, index,
            { kRamBase, static_cast<uint32_t>(kRamSize), flags, static_cast<uint16_t>(index + 1) });
    }
    ring.publish(0);
    expect_refused();
}
