#include "devices/virtio/console.h"

#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <mutex>
#include <string>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kFeatures = kFeatureVersion1 | kFeatureEventIndex;

constexpr uint64_t kReceiveRing = kRamBase;
constexpr uint64_t kTransmitRing = kRamBase + 0x4000;
constexpr uint64_t kBuffers = kRamBase + 0x10000;

struct VirtioConsoleTest : ::testing::Test {
    GuestRam ram { kRamBase, kRamSize };
    TestRing receive_ring { ram, kReceiveRing, 16 };
    TestRing transmit_ring { ram, kTransmitRing, 16 };
    std::mutex output_mutex;
    std::string output;
    VirtioConsole console { [this](uint8_t byte) {
        std::lock_guard lock(output_mutex);
        output.push_back(static_cast<char>(byte));
    } };
    // After the device: it goes first, and resets the device on its way out.
    VirtioMmio transport { ram, console, InterruptLine {}, false };
    TestDriver driver { transport };

    void SetUp() override { fill(ram, kBuffers, kRamBase + kRamSize - kBuffers, kCanary); }

    void bring_up()
    {
        ASSERT_TRUE(driver.negotiate(kFeatures));
        driver.set_up_queue(0, receive_ring);
        driver.set_up_queue(1, transmit_ring);
        driver.start();
        ASSERT_FALSE(driver.needs_reset());
    }

    void type(const std::string& text)
    {
        for (char c : text)
            console.receive(static_cast<uint8_t>(c));
    }

    std::string printed()
    {
        std::lock_guard lock(output_mutex);
        return output;
    }

    std::string guest_string(uint64_t address, uint64_t length)
    {
        return std::string(reinterpret_cast<const char*>(ram.pointer(address)), length);
    }
};

} // namespace

TEST_F(VirtioConsoleTest, IsAConsoleWithTwoQueues)
{
    EXPECT_EQ(driver.read(0x008), 3u);
    EXPECT_EQ(driver.device_features(), kFeatures | kFeatureIndirectDescriptors);
    for (unsigned queue = 0; queue < 2; ++queue) {
        driver.write(0x030, queue);
        EXPECT_EQ(driver.read(0x034), VirtioConsole::kQueueSize);
    }
    driver.write(0x030, 2);
    EXPECT_EQ(driver.read(0x034), 0u);
}

TEST_F(VirtioConsoleTest, WhatTheGuestWritesGoesToTheOutputInOrder)
{
    bring_up();
    std::memcpy(ram.pointer(kBuffers), "hel", 3);
    std::memcpy(ram.pointer(kBuffers + 0x100), "lo\n", 3);
    transmit_ring.set(0, { kBuffers, 3, kNext, 1 });
    transmit_ring.set(1, { kBuffers + 0x100, 3, 0, 0 });
    transmit_ring.publish(0);
    std::memcpy(ram.pointer(kBuffers + 0x200), "bye", 3);
    transmit_ring.set(2, { kBuffers + 0x200, 3, 0, 0 });
    transmit_ring.publish(2);
    driver.notify(1);

    ASSERT_TRUE(wait_until([&] { return transmit_ring.used_index() == 2; }));
    EXPECT_EQ(printed(), "hello\nbye");
    EXPECT_EQ(transmit_ring.used_length(0), 0u);
    EXPECT_TRUE(driver.interrupt_status() & 1);
}

TEST_F(VirtioConsoleTest, InputFillsTheReceiveBuffersInOrder)
{
    bring_up();
    type("ls -l\n");
    receive_ring.set(0, { kBuffers, 4, kWrite, 0 });
    receive_ring.publish(0);
    receive_ring.set(1, { kBuffers + 0x100, 64, kWrite, 0 });
    receive_ring.publish(1);
    driver.notify(0);

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 2; }));
    EXPECT_EQ(receive_ring.used_length(0), 4u);
    EXPECT_EQ(guest_string(kBuffers, 4), "ls -");
    EXPECT_EQ(receive_ring.used_length(1), 2u);
    EXPECT_EQ(guest_string(kBuffers + 0x100, 2), "l\n");
    EXPECT_TRUE(all_bytes_are(ram, kBuffers + 0x100 + 2, 62, kCanary));
    EXPECT_TRUE(driver.interrupt_status() & 1);
}

TEST_F(VirtioConsoleTest, InputTypedBeforeTheDriverRunsWaitsForIt)
{
    type("early");
    bring_up();
    receive_ring.set(0, { kBuffers, 64, kWrite, 0 });
    receive_ring.publish(0);
    driver.notify(0);

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 1; }));
    EXPECT_EQ(receive_ring.used_length(0), 5u);
    EXPECT_EQ(guest_string(kBuffers, 5), "early");
}

TEST_F(VirtioConsoleTest, WaitingInputIsBounded)
{
    type(std::string(VirtioConsole::kMaxPendingInput, 'a') + "dropped");
    bring_up();
    receive_ring.set(0, { kBuffers, 0x2000, kWrite, 0 });
    receive_ring.publish(0);
    driver.notify(0);

    ASSERT_TRUE(wait_until([&] { return receive_ring.used_index() == 1; }));
    EXPECT_EQ(receive_ring.used_length(0), VirtioConsole::kMaxPendingInput);
    EXPECT_EQ(guest_string(kBuffers, VirtioConsole::kMaxPendingInput),
        std::string(VirtioConsole::kMaxPendingInput, 'a'));
}

TEST_F(VirtioConsoleTest, AReadableReceiveBufferNeedsReset)
{
    bring_up();
    receive_ring.set(0, { kBuffers, 8, 0, 0 });
    receive_ring.publish(0);
    driver.notify(0);
    type("x");

    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_EQ(receive_ring.used_index(), 0);
    EXPECT_TRUE(all_bytes_are(ram, kBuffers, 8, kCanary));
}

TEST_F(VirtioConsoleTest, AWritableTransmitBufferNeedsReset)
{
    bring_up();
    transmit_ring.set(0, { kBuffers, 8, kWrite, 0 });
    transmit_ring.publish(0);
    driver.notify(1);

    EXPECT_TRUE(wait_until([&] { return driver.needs_reset(); }));
    EXPECT_EQ(printed(), "");
}
