#include "devices/virtio/mmio_transport.h"

#include "devices/plic.h"
#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::cpu::InterruptLines;
using rvisor::devices::InterruptLine;
using rvisor::devices::Plic;
using rvisor::mem::GuestRam;

namespace {

constexpr unsigned kSource = 3;
constexpr uint64_t kFeatureOfFake = uint64_t { 1 } << 3;

// A device with two queues and no worker: the test plays its worker on its own thread.
class FakeDevice final : public VirtioDevice {
public:
    uint32_t device_id() const override { return 9; }
    uint64_t device_features() const override { return kFeatureOfFake | kFeatureEventIndex; }
    unsigned queue_count() const override { return 2; }
    uint16_t queue_max_size(unsigned index) const override { return index == 0 ? 16 : 8; }
    uint64_t read_config(uint64_t offset, unsigned size) const override
    {
        return read_config_bytes(config, offset, size);
    }
    void write_config(uint64_t offset, unsigned, uint64_t value) override
    {
        config_writes.push_back({ offset, value });
    }
    void activate(std::span<VirtQueue> active_queues, uint64_t features) override
    {
        queues = active_queues;
        activated_features = features;
        ++activations;
    }
    void queue_notified(unsigned index) override { notified.push_back(index); }
    void reset() override
    {
        queues = {};
        ++resets;
    }
    void pause() override { ++pauses; }
    void resume() override { ++resumes; }

    std::array<uint8_t, 8> config { 1, 2, 3, 4, 5, 6, 7, 8 };
    std::vector<std::pair<uint64_t, uint64_t>> config_writes;
    std::span<VirtQueue> queues;
    uint64_t activated_features = 0;
    unsigned activations = 0;
    unsigned resets = 0;
    unsigned pauses = 0;
    unsigned resumes = 0;
    std::vector<unsigned> notified;
};

struct VirtioMmioTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    // A PLIC without harts still shows the line's level in its pending bits.
    Plic plic { std::vector<InterruptLines*> {} };
    FakeDevice device;
    VirtioMmio transport { ram, device, InterruptLine { &plic, kSource }, false };
    TestDriver driver { transport };
    TestRing ring { ram, kRamBase, 16 };

    bool line() { return plic.read(0x1000, 4) >> kSource & 1; }
    // Plays the device: uses one chain from queue 0 and asks for the interrupt.
    void use_one_chain()
    {
        ring.set(0, { kRamBase + 0x10000, 8, kWrite, 0 });
        ring.publish(0);
        auto chain = device.queues[0].pop();
        ASSERT_TRUE(chain);
        device.queues[0].push(chain->head, 8);
        device.queues[0].notify_used();
    }
};

} // namespace

TEST_F(VirtioMmioTest, IdentifiesAsModernVirtioMmio)
{
    EXPECT_EQ(driver.read(0x000), 0x74726976u);
    EXPECT_EQ(driver.read(0x004), 2u);
    EXPECT_EQ(driver.read(0x008), 9u);
    EXPECT_EQ(driver.read(0x00c), VirtioMmio::kVendorId);
    EXPECT_EQ(driver.status(), 0u);
}

TEST_F(VirtioMmioTest, OffersTheDeviceFeaturesAndVersion1)
{
    EXPECT_EQ(driver.device_features(), kFeatureOfFake | kFeatureEventIndex | kFeatureVersion1);
    driver.write(0x014, 2);
    EXPECT_EQ(driver.read(0x010), 0u);
}

TEST_F(VirtioMmioTest, FeaturesOkNeedsVersion1) { EXPECT_FALSE(driver.negotiate(kFeatureOfFake)); }

TEST_F(VirtioMmioTest, FeaturesOkRefusesFeaturesNotOffered)
{
    EXPECT_FALSE(driver.negotiate(kFeatureVersion1 | kFeatureIndirectDescriptors));
}

TEST_F(VirtioMmioTest, AcceptedFeaturesReachTheDeviceAndStaySettled)
{
    ASSERT_TRUE(driver.negotiate(kFeatureVersion1 | kFeatureOfFake));
    driver.write(0x024, 0);
    driver.write(0x020, static_cast<uint32_t>(kFeatureEventIndex)); // too late: ignored
    driver.set_up_queue(0, ring);
    driver.start();
    EXPECT_EQ(device.activations, 1u);
    EXPECT_EQ(device.activated_features, kFeatureVersion1 | kFeatureOfFake);
    ASSERT_EQ(device.queues.size(), 2u);
    EXPECT_TRUE(device.queues[0].ready());
    EXPECT_FALSE(device.queues[1].ready());
}

TEST_F(VirtioMmioTest, ShowsEachQueuesLimitAndReadiness)
{
    driver.write(0x030, 0);
    EXPECT_EQ(driver.read(0x034), 16u);
    driver.write(0x030, 1);
    EXPECT_EQ(driver.read(0x034), 8u);
    driver.write(0x030, 2);
    EXPECT_EQ(driver.read(0x034), 0u) << "no such queue";
    EXPECT_EQ(driver.read(0x044), 0u);

    ASSERT_TRUE(driver.negotiate(kFeatureVersion1));
    driver.set_up_queue(0, ring);
    driver.write(0x030, 0);
    EXPECT_EQ(driver.read(0x044), 1u);
    EXPECT_FALSE(driver.needs_reset());
}

TEST_F(VirtioMmioTest, ForwardsNotificationsOnlyOnceRunning)
{
    ASSERT_TRUE(driver.negotiate(kFeatureVersion1));
    driver.set_up_queue(0, ring);
    driver.notify(0);
    EXPECT_TRUE(device.notified.empty());
    driver.start();
    driver.notify(1);
    driver.notify(7); // no such queue
    EXPECT_EQ(device.notified, std::vector<unsigned> { 1 });
}

TEST_F(VirtioMmioTest, UsedBufferInterruptHoldsTheLineUntilAcknowledged)
{
    ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1));
    EXPECT_FALSE(line());
    use_one_chain();
    EXPECT_EQ(driver.interrupt_status(), 1u);
    EXPECT_TRUE(line());
    driver.write(0x064, 1);
    EXPECT_EQ(driver.interrupt_status(), 0u);
    EXPECT_FALSE(line());
}

TEST_F(VirtioMmioTest, WritingZeroToStatusResetsEverything)
{
    ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1));
    use_one_chain();
    ASSERT_TRUE(line());
    unsigned resets = device.resets;
    driver.write(0x070, 0);
    EXPECT_EQ(device.resets, resets + 1);
    EXPECT_EQ(driver.status(), 0u);
    EXPECT_EQ(driver.interrupt_status(), 0u);
    EXPECT_FALSE(line());
    driver.write(0x030, 0);
    EXPECT_EQ(driver.read(0x044), 0u) << "queue no longer ready";
    // And the device comes up again from scratch.
    ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1));
    EXPECT_EQ(device.activations, 2u);
}

TEST_F(VirtioMmioTest, MalformedChainSetsNeedsResetAndInterrupts)
{
    ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1));
    ring.publish(99); // head outside the 16-entry table
    EXPECT_EQ(device.queues[0].pop(), std::nullopt);
    EXPECT_TRUE(driver.needs_reset());
    EXPECT_EQ(driver.interrupt_status(), 2u) << "configuration change";
    EXPECT_TRUE(line());
    driver.notify(0);
    EXPECT_TRUE(device.notified.empty()) << "a broken device gets no more work";

    driver.write(0x070, 0);
    EXPECT_FALSE(driver.needs_reset());
    EXPECT_FALSE(line());
}

TEST_F(VirtioMmioTest, MisplacedRingSetsNeedsResetWithoutInterruptBeforeDriverOk)
{
    ASSERT_TRUE(driver.negotiate(kFeatureVersion1));
    driver.write(0x030, 0);
    driver.write(0x038, 16);
    driver.write(0x080, static_cast<uint32_t>(kRamBase + 8)); // not 16-byte aligned
    driver.write(0x084, 0);
    driver.write(0x044, 1);
    EXPECT_TRUE(driver.needs_reset());
    EXPECT_EQ(driver.read(0x044), 0u);
    EXPECT_EQ(driver.interrupt_status(), 0u);
}

TEST_F(VirtioMmioTest, QueueLargerThanItsMaximumSetsNeedsReset)
{
    ASSERT_TRUE(driver.negotiate(kFeatureVersion1));
    TestRing big { ram, kRamBase, 16 };
    driver.write(0x030, 1); // limit 8
    driver.set_up_queue(1, big);
    EXPECT_TRUE(driver.needs_reset());
}

TEST_F(VirtioMmioTest, QueueEnabledBeforeFeaturesOkSetsNeedsReset)
{
    driver.write(0x070, kStatusAcknowledge | kStatusDriver);
    driver.set_up_queue(0, ring);
    EXPECT_TRUE(driver.needs_reset());
}

TEST_F(VirtioMmioTest, DriverOkWithoutFeaturesOkSetsNeedsReset)
{
    driver.write(0x070, kStatusAcknowledge | kStatusDriver | kStatusDriverOk);
    EXPECT_TRUE(driver.needs_reset());
    EXPECT_EQ(device.activations, 0u);
}

TEST_F(VirtioMmioTest, QueueRegistersAreFrozenOnceRunning)
{
    ASSERT_TRUE(driver.bring_up(ring, kFeatureVersion1));
    driver.write(0x030, 1);
    driver.write(0x038, 8);
    driver.write(0x044, 1);
    EXPECT_EQ(driver.read(0x044), 0u);
    EXPECT_FALSE(driver.needs_reset());
}

TEST_F(VirtioMmioTest, RegistersTakeOnly32BitAccesses)
{
    EXPECT_EQ(transport.read(0x000, 2), 0u);
    EXPECT_EQ(transport.read(0x002, 4), 0u);
    transport.write(0x070, 1, kStatusAcknowledge);
    EXPECT_EQ(driver.status(), 0u);
}

TEST_F(VirtioMmioTest, ConfigurationSpaceBelongsToTheDevice)
{
    EXPECT_EQ(transport.read(0x100, 4), 0x04030201u);
    EXPECT_EQ(transport.read(0x105, 1), 6u);
    EXPECT_EQ(transport.read(0x100, 8), 0x0807060504030201u);
    EXPECT_EQ(transport.read(0x1f0, 4), 0u);
    transport.write(0x104, 2, 0xbeef);
    ASSERT_EQ(device.config_writes.size(), 1u);
    EXPECT_EQ(device.config_writes[0], (std::pair<uint64_t, uint64_t> { 4, 0xbeef }));
}

TEST_F(VirtioMmioTest, HasNoSharedMemoryRegions)
{
    EXPECT_EQ(driver.read(0x0b0), 0xffffffffu);
    EXPECT_EQ(driver.read(0x0b4), 0xffffffffu);
}

TEST_F(VirtioMmioTest, VerboseTransportDescribesTheFirstViolationOnly)
{
    VirtioMmio verbose { ram, device, InterruptLine {}, true };
    TestDriver verbose_driver { verbose };
    ::testing::internal::CaptureStderr();
    verbose_driver.write(0x070, kStatusAcknowledge | kStatusDriver | kStatusDriverOk);
    verbose_driver.set_up_queue(0, ring);
    std::string output = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(
        output, "rvisor: virtio device 9 needs reset: DRIVER_OK was set without FEATURES_OK\n");
}
