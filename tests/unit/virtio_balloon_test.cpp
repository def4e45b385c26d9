#include "devices/virtio/balloon.h"

#include "virtio_test_driver.h"

#include <gtest/gtest.h>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kPage = 0x1000;
// Pages given back in the tests, well clear of the rings below them.
constexpr uint64_t kPages = kRamBase + 0x80000;
constexpr uint64_t kPfnArray = kRamBase + 0x40000;
constexpr uint8_t kPattern = 0x5a;
constexpr uint32_t kInterruptUsedBuffer = 1;

struct VirtioBalloonTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    TestRing inflate { ram, kRamBase, 16 };
    TestRing deflate { ram, kRamBase + 0x3000, 16 };
    TestRing reporting { ram, kRamBase + 0x6000, 16 };
    VirtioBalloon balloon { ram };
    VirtioMmio transport { ram, balloon, InterruptLine {}, false };
    TestDriver driver { transport };

    void SetUp() override
    {
        fill(ram, kPages, kRamBase + kRamSize - kPages, kPattern);
        ASSERT_TRUE(driver.negotiate(kFeatureVersion1 | kFeatureEventIndex
            | VirtioBalloon::kFeatureDeflateOnOom | VirtioBalloon::kFeaturePageReporting));
        driver.set_up_queue(VirtioBalloon::kInflateQueue, inflate);
        driver.set_up_queue(VirtioBalloon::kDeflateQueue, deflate);
        driver.set_up_queue(VirtioBalloon::kReportingQueue, reporting);
        driver.start();
        ASSERT_FALSE(driver.needs_reset());
    }

    // Offers `ring`'s chain 0, made of `descriptors`, and waits until it is used.
    void submit(unsigned queue, TestRing& ring, std::initializer_list<Descriptor> descriptors)
    {
        offer(queue, ring, descriptors);
        ASSERT_TRUE(wait_until([&] { return ring.used_index() == 1; }));
        EXPECT_EQ(ring.used_id(0), 0u);
        EXPECT_EQ(ring.used_length(0), 0u);
        EXPECT_TRUE(driver.interrupt_status() & kInterruptUsedBuffer);
    }
    void offer(unsigned queue, TestRing& ring, std::initializer_list<Descriptor> descriptors)
    {
        uint16_t index = 0;
        for (Descriptor descriptor : descriptors) {
            if (index + 1u < descriptors.size()) {
                descriptor.flags |= kNext;
                descriptor.next = index + 1;
            }
            ring.set(index++, descriptor);
        }
        ring.publish(0);
        driver.notify(queue);
    }
    void expect_refused(TestRing& ring)
    {
        EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
        EXPECT_EQ(ring.used_index(), 0);
    }
};

} // namespace

TEST_F(VirtioBalloonTest, OffersReportingAndDeflateOnOomOnly)
{
    EXPECT_EQ(driver.read(0x008), 5u);
    // Neither MUST_TELL_HOST, STATS_VQ, FREE_PAGE_HINT nor PAGE_POISON; the transport features
    // as every device here offers them.
    EXPECT_EQ(driver.device_features(),
        kFeatureVersion1 | kFeatureEventIndex | kFeatureIndirectDescriptors | (1u << 2)
            | (1u << 5));
    // Inflate, deflate and reporting, numbered consecutively; no fourth queue.
    driver.write(0x030, 2);
    EXPECT_EQ(driver.read(0x034), VirtioBalloon::kQueueSize);
    driver.write(0x030, 3);
    EXPECT_EQ(driver.read(0x034), 0u);
}

TEST_F(VirtioBalloonTest, ConfigurationHoldsTheTargetAndWhatTheDriverReports)
{
    EXPECT_EQ(driver.read(0x100), 0u); // num_pages: the host wants nothing back
    EXPECT_EQ(driver.read(0x104), 0u);
    driver.write(0x104, 300);
    driver.write(0x100, 99); // the host's field
    EXPECT_EQ(driver.read(0x104), 300u);
    EXPECT_EQ(driver.read(0x100), 0u);
    driver.write(0x070, 0);
    EXPECT_EQ(driver.read(0x104), 0u);
}

TEST_F(VirtioBalloonTest, ANewTargetIsAConfigurationChangeTheDriverIsTold)
{
    const uint32_t generation = driver.read(0x0fc);
    balloon.set_target_pages(2048);
    transport.notify_config_change();
    EXPECT_EQ(driver.read(0x100), 2048u);
    EXPECT_NE(driver.read(0x0fc), generation);
    EXPECT_TRUE(driver.interrupt_status() & 2); // configuration change
    driver.write(0x064, 2);
    EXPECT_EQ(driver.interrupt_status(), 0u);
    // The driver reports what it holds; the host reads it back.
    driver.write(0x104, 2048);
    EXPECT_EQ(balloon.actual_pages(), 2048u);
    // A driver that starts afresh finds the target still set, and nothing in the balloon.
    driver.write(0x070, 0);
    EXPECT_EQ(driver.read(0x100), 2048u);
    EXPECT_EQ(balloon.actual_pages(), 0u);
}

TEST_F(VirtioBalloonTest, ATargetSetBeforeTheDriverRunsRaisesNoInterrupt)
{
    driver.write(0x070, 0);
    balloon.set_target_pages(16);
    transport.notify_config_change();
    EXPECT_EQ(driver.interrupt_status(), 0u);
    EXPECT_EQ(driver.read(0x100), 16u);
}

TEST_F(VirtioBalloonTest, AReportedRangeReadsAsZeroAfterwards)
{
    submit(VirtioBalloon::kReportingQueue, reporting,
        { { kPages + kPage, 2 * kPage, kWrite, 0 }, { kPages + 8 * kPage, kPage, kWrite, 0 } });
    EXPECT_TRUE(all_bytes_are(ram, kPages + kPage, 2 * kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 8 * kPage, kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kPages, kPage, kPattern));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 3 * kPage, 5 * kPage, kPattern));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 9 * kPage, kPage, kPattern));
    // The page comes back when the guest writes it again.
    fill(ram, kPages + kPage, kPage, kPattern);
    EXPECT_TRUE(all_bytes_are(ram, kPages + kPage, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, OnlyWholePagesOfARangeAreDiscarded)
{
    submit(VirtioBalloon::kReportingQueue, reporting, { { kPages + 0x800, 2 * kPage, kWrite, 0 } });
    EXPECT_TRUE(all_bytes_are(ram, kPages, kPage, kPattern));
    EXPECT_TRUE(all_bytes_are(ram, kPages + kPage, kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 2 * kPage, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, InflatedPagesAreDiscarded)
{
    const uint32_t first = static_cast<uint32_t>(kPages >> 12);
    poke<uint32_t>(ram, kPfnArray, first + 2);
    poke<uint32_t>(ram, kPfnArray + 4, first + 5);
    submit(VirtioBalloon::kInflateQueue, inflate, { { kPfnArray, 8, 0, 0 } });
    EXPECT_TRUE(all_bytes_are(ram, kPages + 2 * kPage, kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 5 * kPage, kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kPages, 2 * kPage, kPattern));
    EXPECT_TRUE(all_bytes_are(ram, kPages + 3 * kPage, 2 * kPage, kPattern));
}

TEST_F(VirtioBalloonTest, DeflatedPagesAreReturned)
{
    poke<uint32_t>(ram, kPfnArray, static_cast<uint32_t>(kPages >> 12));
    submit(VirtioBalloon::kDeflateQueue, deflate, { { kPfnArray, 4, 0, 0 } });
    EXPECT_TRUE(all_bytes_are(ram, kPages, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, ARangeOneBytePastRamIsRefused)
{
    const uint64_t last = kRamBase + kRamSize - kPage;
    offer(VirtioBalloon::kReportingQueue, reporting, { { last, kPage + 1, kWrite, 0 } });
    expect_refused(reporting);
    EXPECT_TRUE(all_bytes_are(ram, last, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, ARangeWrappingTheAddressSpaceIsRefused)
{
    // The second range starts 4 KiB below 2^64 and would end past it; the whole chain is
    // refused, its good first range included.
    offer(VirtioBalloon::kReportingQueue, reporting,
        { { kPages, kPage, kWrite, 0 }, { ~uint64_t { 0 } - kPage + 1, 2 * kPage, kWrite, 0 } });
    expect_refused(reporting);
    EXPECT_TRUE(all_bytes_are(ram, kPages, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, AReportedRangeTheDeviceMayNotWriteIsRefused)
{
    offer(VirtioBalloon::kReportingQueue, reporting, { { kPages, kPage, 0, 0 } });
    expect_refused(reporting);
    EXPECT_TRUE(all_bytes_are(ram, kPages, kPage, kPattern));
}

TEST_F(VirtioBalloonTest, AnInflatedPageOutsideRamIsRefused)
{
    poke<uint32_t>(ram, kPfnArray, static_cast<uint32_t>((kRamBase + kRamSize) >> 12));
    offer(VirtioBalloon::kInflateQueue, inflate, { { kPfnArray, 4, 0, 0 } });
    expect_refused(inflate);
}
