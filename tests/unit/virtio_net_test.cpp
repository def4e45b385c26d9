#include "devices/virtio/net.h"

#include "host/network_backend.h"
#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <vector>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::host::NetworkBackend;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kFeatureMac = uint64_t { 1 } << 5;
constexpr uint64_t kFeatureStatus = uint64_t { 1 } << 16;
constexpr uint64_t kFeatures = kFeatureVersion1 | kFeatureEventIndex | kFeatureMac | kFeatureStatus;
// CSUM, GUEST_CSUM, HOST_TSO4, HOST_TSO6: offered, and taken only where a test says so.
constexpr uint64_t kOffloadFeatures = 0x3 | uint64_t { 0x3 } << 11;

constexpr uint64_t kHeaderSize = 12;
// What the spec asks a driver to offer without mergeable buffers: a header and 1514 bytes.
constexpr uint32_t kReceiveBufferSize = 1526;

// Each ring takes three pages; buffers live from kBuffers on, all canary bytes to begin with.
constexpr uint64_t kReceiveRing = kRamBase;
constexpr uint64_t kTransmitRing = kRamBase + 0x4000;
constexpr uint64_t kSpareReceiveRing = kRamBase + 0x8000;
constexpr uint64_t kSpareTransmitRing = kRamBase + 0xc000;
constexpr uint64_t kBuffers = kRamBase + 0x10000;

using Frame = std::vector<uint8_t>;

// A frame whose bytes say which one it is.
Frame make_frame(size_t size, uint8_t tag)
{
    // push_back rather than stores into a sized vector: GCC 12 at -O3 sees an overflow that is
    // not there in the stores (-Wstringop-overflow).
    Frame frame;
    frame.reserve(size);
    for (size_t index = 0; index < size; ++index)
        frame.push_back(static_cast<uint8_t>(tag + index * 3));
    return frame;
}

void write_bytes(GuestRam& ram, uint64_t address, std::span<const uint8_t> bytes)
{
    std::memcpy(ram.pointer(address), bytes.data(), bytes.size());
}

Frame read_bytes(const GuestRam& ram, uint64_t address, uint64_t length)
{
    const uint8_t* start = ram.pointer(address);
    return Frame(start, start + length);
}

// Keeps what the device sends and lets the test play the network.
class FakeBackend final : public NetworkBackend {
public:
    struct Log {
        std::mutex mutex;
        std::vector<Frame> sent;
        bool started = false;
        bool stopped = false;
        bool receive_held = false;
        bool checksums_known_good = true;
    };

    explicit FakeBackend(std::shared_ptr<Log> log)
        : m_log(std::move(log))
    {
    }

    void set_receiver(Receiver receiver) override { m_receiver = std::move(receiver); }
    void start() override
    {
        std::lock_guard lock(m_log->mutex);
        m_log->started = true;
    }
    void stop() override
    {
        std::lock_guard lock(m_log->mutex);
        m_log->stopped = true;
    }
    void send(std::span<const uint8_t> frame) override
    {
        std::lock_guard lock(m_log->mutex);
        m_log->sent.emplace_back(frame.begin(), frame.end());
    }

    void set_receive_held(bool held) override
    {
        std::lock_guard lock(m_log->mutex);
        m_log->receive_held = held;
    }

    bool checksums_known_good() const override
    {
        std::lock_guard lock(m_log->mutex);
        return m_log->checksums_known_good;
    }

    // A frame from the network for the guest.
    void deliver(const Frame& frame) { m_receiver(frame); }

private:
    std::shared_ptr<Log> m_log;
    Receiver m_receiver;
};

struct VirtioNetTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    TestRing receive_ring { ram, kReceiveRing, 16 };
    TestRing transmit_ring { ram, kTransmitRing, 16 };
    std::shared_ptr<FakeBackend::Log> log = std::make_shared<FakeBackend::Log>();
    FakeBackend* backend = new FakeBackend(log);
    VirtioNet net { std::unique_ptr<NetworkBackend>(backend) };
    // After the device: it goes first, and resets the device on its way out.
    VirtioMmio transport { ram, net, InterruptLine {}, false };
    TestDriver driver { transport };

    void SetUp() override
    {
        fill(ram, kBuffers, kRamBase + kRamSize - kBuffers, kCanary);
        ASSERT_TRUE(bring_up(receive_ring, transmit_ring));
    }

    bool bring_up(const TestRing& receive, const TestRing& transmit, uint64_t features = kFeatures)
    {
        if (!driver.negotiate(features))
            return false;
        driver.set_up_queue(0, receive);
        driver.set_up_queue(1, transmit);
        driver.start();
        return !driver.needs_reset() && (driver.status() & kStatusDriverOk);
    }

    // Offers one writable buffer of `size` bytes in descriptor `index`.
    void offer_receive_buffer(TestRing& ring, uint16_t index, uint64_t address, uint32_t size)
    {
        ring.set(index, { address, size, kWrite, 0 });
        ring.publish(index);
        driver.notify(0);
    }

    std::vector<Frame> sent_frames()
    {
        std::lock_guard lock(log->mutex);
        return log->sent;
    }
};

} // namespace

TEST_F(VirtioNetTest, IsANetworkDeviceWithItsMacAndTheLinkUp)
{
    EXPECT_EQ(driver.read(0x008), 1u);
    EXPECT_EQ(driver.device_features(), kFeatures | kOffloadFeatures | kFeatureIndirectDescriptors);
    const uint8_t mac[] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    for (unsigned index = 0; index < 6; ++index)
        EXPECT_EQ(transport.read(0x100 + index, 1), mac[index]);
    EXPECT_EQ(transport.read(0x106, 2), 1u); // VIRTIO_NET_S_LINK_UP
    std::lock_guard lock(log->mutex);
    EXPECT_TRUE(log->started);
}

TEST_F(VirtioNetTest, TakesTheMacItIsGiven)
{
    auto other_log = std::make_shared<FakeBackend::Log>();
    VirtioNet other(std::make_unique<FakeBackend>(other_log), { 0x02, 0, 0, 0, 0, 0x2a });
    EXPECT_EQ(other.read_config(0, 4), 0x02u);
    EXPECT_EQ(other.read_config(4, 2), 0x2a00u);
}

TEST_F(VirtioNetTest, StopsItsBackendWhenDestroyed)
{
    auto other_log = std::make_shared<FakeBackend::Log>();
    std::make_unique<VirtioNet>(std::make_unique<FakeBackend>(other_log)).reset();
    std::lock_guard lock(other_log->mutex);
    EXPECT_TRUE(other_log->started);
    EXPECT_TRUE(other_log->stopped);
}

TEST_F(VirtioNetTest, TransmitStripsTheHeaderAndHandsOverTheFrame)
{
    // The header and the frame split across three buffers at odd places, as the framing rule
    // allows.
    Frame frame = make_frame(60, 1);
    Frame packet(kHeaderSize, 0);
    packet.insert(packet.end(), frame.begin(), frame.end());
    write_bytes(ram, kBuffers, std::span(packet).first(5));
    write_bytes(ram, kBuffers + 0x100, std::span(packet).subspan(5, 40));
    write_bytes(ram, kBuffers + 0x200, std::span(packet).subspan(45));
    transmit_ring.set(0, { kBuffers, 5, kNext, 1 });
    transmit_ring.set(1, { kBuffers + 0x100, 40, kNext, 2 });
    transmit_ring.set(2, { kBuffers + 0x200, static_cast<uint32_t>(packet.size() - 45), 0, 0 });
    transmit_ring.publish(0);
    driver.notify(1);

    ASSERT_TRUE(wait_until([&] { return transmit_ring.used_index() == 1; }));
    EXPECT_EQ(transmit_ring.used_id(0), 0u);
    EXPECT_EQ(transmit_ring.used_length(0), 0u);
    ASSERT_EQ(sent_frames().size(), 1u);
    EXPECT_EQ(sent_frames()[0], frame);
    EXPECT_TRUE(driver.interrupt_status() & 1);
}

TEST_F(VirtioNetTest, ReceiveWritesTheHeaderThenTheFrame)
{
    // Split after 10 bytes, inside the header.
    receive_ring.set(0, { kBuffers, 10, kWrite | kNext, 1 });
    receive_ring.set(1, { kBuffers + 0x100, kReceiveBufferSize - 10, kWrite, 0 });
    receive_ring.publish(0);
    driver.notify(0);
    Frame frame = make_frame(100, 7);
    backend->deliver(frame);

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 1; }));
    EXPECT_EQ(receive_ring.used_id(0), 0u);
    EXPECT_EQ(receive_ring.used_length(0), kHeaderSize + frame.size());
    Frame written = read_bytes(ram, kBuffers, 10);
    Frame rest = read_bytes(ram, kBuffers + 0x100, 2 + frame.size());
    written.insert(written.end(), rest.begin(), rest.end());
    // No flags, no segmentation, num_buffers 1.
    Frame header(kHeaderSize, 0);
    header[10] = 1;
    EXPECT_EQ(Frame(written.begin(), written.begin() + kHeaderSize), header);
    EXPECT_EQ(Frame(written.begin() + kHeaderSize, written.end()), frame);
    EXPECT_TRUE(all_bytes_are(ram, kBuffers + 0x100 + 2 + frame.size(), 64, kCanary));
    EXPECT_TRUE(driver.interrupt_status() & 1);
}

TEST_F(VirtioNetTest, FramesWaitForReceiveBuffers)
{
    for (uint8_t tag = 0; tag < 3; ++tag)
        backend->deliver(make_frame(64 + tag, tag));
    for (uint16_t index = 0; index < 3; ++index)
        offer_receive_buffer(receive_ring, index, kBuffers + 0x800 * index, kReceiveBufferSize);

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 3; }));
    for (uint16_t index = 0; index < 3; ++index) {
        EXPECT_EQ(receive_ring.used_id(index), index);
        EXPECT_EQ(receive_ring.used_length(index), kHeaderSize + 64 + index);
        EXPECT_EQ(read_bytes(ram, kBuffers + 0x800 * index + kHeaderSize, 64 + index),
            make_frame(64 + index, static_cast<uint8_t>(index)));
    }
}

TEST_F(VirtioNetTest, ABufferTooSmallForTheFrameCostsThatFrameOnly)
{
    offer_receive_buffer(receive_ring, 0, kBuffers, 40);
    offer_receive_buffer(receive_ring, 1, kBuffers + 0x800, kReceiveBufferSize);
    backend->deliver(make_frame(100, 1));
    backend->deliver(make_frame(20, 2));

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 2; }));
    EXPECT_EQ(receive_ring.used_id(0), 0u);
    EXPECT_EQ(receive_ring.used_length(0), 0u);
    EXPECT_TRUE(all_bytes_are(ram, kBuffers, 40, kCanary));
    EXPECT_EQ(receive_ring.used_id(1), 1u);
    EXPECT_EQ(receive_ring.used_length(1), kHeaderSize + 20);
    EXPECT_EQ(read_bytes(ram, kBuffers + 0x800 + kHeaderSize, 20), make_frame(20, 2));
    EXPECT_FALSE(driver.needs_reset());
}

TEST_F(VirtioNetTest, WaitingFramesAreBounded)
{
    // More frames than the device keeps arrive while the driver offers no buffer.
    constexpr unsigned kArrivals = VirtioNet::kMaxPendingFrames + 44;
    for (unsigned number = 0; number < kArrivals; ++number) {
        Frame frame = make_frame(60, 0);
        frame[0] = static_cast<uint8_t>(number);
        frame[1] = static_cast<uint8_t>(number >> 8);
        backend->deliver(frame);
    }
    // Buffers sixteen at a time, as many as the ring holds: the kept frames arrive in order.
    uint16_t used = 0;
    for (unsigned number = 0; number < VirtioNet::kMaxPendingFrames; number += 16) {
        for (uint16_t index = 0; index < 16; ++index)
            offer_receive_buffer(receive_ring, index, kBuffers + 0x80 * index, 128);
        used += 16;
        ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == used; }));
        for (uint16_t index = 0; index < 16; ++index) {
            Frame received = read_bytes(ram, kBuffers + 0x80 * index + kHeaderSize, 2);
            EXPECT_EQ(received[0] | received[1] << 8, static_cast<int>(number + index));
        }
    }
    // The rest were dropped: the next frame to arrive is the next one delivered.
    backend->deliver(make_frame(60, 99));
    offer_receive_buffer(receive_ring, 0, kBuffers, 128);
    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == used + 1; }));
    EXPECT_EQ(read_bytes(ram, kBuffers + kHeaderSize, 60), make_frame(60, 99));
}

TEST_F(VirtioNetTest, ABacklogHoldsTheBackendInsteadOfDroppingFrames)
{
    auto held = [&] {
        std::lock_guard lock(log->mutex);
        return log->receive_held;
    };
    for (unsigned number = 0; number < VirtioNet::kHoldReceiveFrames; ++number) {
        EXPECT_FALSE(held()) << number;
        backend->deliver(make_frame(60, static_cast<uint8_t>(number)));
    }
    EXPECT_TRUE(held());
    // The guest takes frames until few enough wait: the backend may read again.
    uint16_t used = 0;
    while (used < VirtioNet::kHoldReceiveFrames - VirtioNet::kResumeReceiveFrames) {
        for (uint16_t index = 0; index < 16; ++index)
            offer_receive_buffer(receive_ring, index, kBuffers + 0x80 * index, 128);
        used += 16;
        ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == used; }));
    }
    EXPECT_FALSE(held());
}

TEST_F(VirtioNetTest, FramesAreDroppedWhileTheDriverIsNotRunning)
{
    backend->deliver(make_frame(60, 1)); // waits for a buffer, until the reset drops it
    driver.write(0x070, 0);
    backend->deliver(make_frame(60, 2)); // no driver: dropped

    TestRing receive { ram, kSpareReceiveRing, 16 };
    TestRing transmit { ram, kSpareTransmitRing, 16 };
    ASSERT_TRUE(bring_up(receive, transmit));
    offer_receive_buffer(receive, 0, kBuffers, kReceiveBufferSize);
    backend->deliver(make_frame(60, 3));
    ASSERT_TRUE(wait_until([&] { return receive.used_index() == 1; }));
    EXPECT_EQ(read_bytes(ram, kBuffers + kHeaderSize, 60), make_frame(60, 3));
}

TEST_F(VirtioNetTest, AReadableReceiveBufferNeedsReset)
{
    receive_ring.set(0, { kBuffers, 16, kNext, 1 });
    receive_ring.set(1, { kBuffers + 0x100, kReceiveBufferSize, kWrite, 0 });
    receive_ring.publish(0);
    driver.notify(0);
    backend->deliver(make_frame(60, 1));

    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_EQ(receive_ring.used_index(), 0);
    EXPECT_TRUE(all_bytes_are(ram, kBuffers + 0x100, kReceiveBufferSize, kCanary));
}

TEST_F(VirtioNetTest, ATransmitChainShorterThanTheHeaderNeedsReset)
{
    transmit_ring.set(0, { kBuffers, 8, 0, 0 });
    transmit_ring.publish(0);
    driver.notify(1);

    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_EQ(transmit_ring.used_index(), 0);
    EXPECT_TRUE(sent_frames().empty());
}

TEST_F(VirtioNetTest, AWritableTransmitBufferNeedsReset)
{
    transmit_ring.set(0, { kBuffers, 74, kNext, 1 });
    transmit_ring.set(1, { kBuffers + 0x100, 16, kWrite, 0 });
    transmit_ring.publish(0);
    driver.notify(1);

    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_TRUE(sent_frames().empty());
}

// With the offloads taken: a 3000-byte TCP segment leaves as MTU-sized ones, and received frames
// are marked checksummed when the backend's checksums are known good.
TEST_F(VirtioNetTest, OffloadsCutLargeSegmentsAndMarkReceivedFramesChecksummed)
{
    driver.write(0x070, 0);
    TestRing receive { ram, kSpareReceiveRing, 16 };
    TestRing transmit { ram, kSpareTransmitRing, 16 };
    ASSERT_TRUE(bring_up(receive, transmit, kFeatures | kOffloadFeatures));

    // IPv4 (IHL 5), TCP (data offset 5), 3000 bytes of payload, cut at 1448.
    Frame frame(14 + 20 + 20 + 3000, 0);
    frame[12] = 0x08;
    frame[14] = 0x45;
    frame[14 + 9] = 6;
    frame[14 + 20 + 12] = 5 << 4;
    Frame packet(kHeaderSize, 0);
    packet[0] = 1; // NEEDS_CSUM
    packet[1] = 1; // GSO TCPV4
    packet[4] = 1448 & 0xff;
    packet[5] = 1448 >> 8;
    packet.insert(packet.end(), frame.begin(), frame.end());
    write_bytes(ram, kBuffers, packet);
    transmit.set(0, { kBuffers, static_cast<uint32_t>(packet.size()), 0, 0 });
    transmit.publish(0);
    driver.notify(1);
    ASSERT_TRUE(wait_until([&] { return transmit.used_index() == 1; }));
    const std::vector<Frame> sent = sent_frames();
    ASSERT_EQ(sent.size(), 3u);
    EXPECT_EQ(sent[0].size(), 14 + 40 + 1448u);
    EXPECT_EQ(sent[2].size(), 14 + 40 + 3000 - 2 * 1448u);

    offer_receive_buffer(receive, 0, kBuffers, kReceiveBufferSize);
    backend->deliver(make_frame(60, 3));
    ASSERT_TRUE(wait_until([&] { return receive.used_index() == 1; }));
    EXPECT_EQ(read_bytes(ram, kBuffers, 1), Frame { 2 }); // VIRTIO_NET_HDR_F_DATA_VALID

    // Frames from a wire are left for the guest to check.
    {
        std::lock_guard lock(log->mutex);
        log->checksums_known_good = false;
    }
    driver.write(0x070, 0);
    ASSERT_TRUE(bring_up(receive_ring, transmit_ring, kFeatures | kOffloadFeatures));
    offer_receive_buffer(receive_ring, 0, kBuffers + 0x1000, kReceiveBufferSize);
    backend->deliver(make_frame(60, 4));
    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 1; }));
    EXPECT_EQ(read_bytes(ram, kBuffers + 0x1000, 1), Frame { 0 });
}

// A driver that did not take TSO but asks for it anyway loses the frame.
TEST_F(VirtioNetTest, SegmentationTheDriverDidNotTakeCostsTheFrame)
{
    Frame packet(kHeaderSize + 100, 0);
    packet[1] = 1; // GSO TCPV4
    packet[kHeaderSize + 12] = 0x08;
    write_bytes(ram, kBuffers, packet);
    transmit_ring.set(0, { kBuffers, static_cast<uint32_t>(packet.size()), 0, 0 });
    transmit_ring.publish(0);
    driver.notify(1);
    ASSERT_TRUE(wait_until([&] { return transmit_ring.used_index() == 1; }));
    EXPECT_TRUE(sent_frames().empty());
    EXPECT_FALSE(driver.needs_reset());
}
