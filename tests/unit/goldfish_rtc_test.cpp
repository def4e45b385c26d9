#include "devices/goldfish_rtc.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

using rvisor::cpu::InterruptLines;
using rvisor::devices::GoldfishRtc;
using rvisor::devices::InterruptLine;
using rvisor::devices::Plic;

namespace {

enum : uint64_t {
    TimeLow = 0x00,
    TimeHigh = 0x04,
    AlarmLow = 0x08,
    AlarmHigh = 0x0c,
    IrqEnabled = 0x10,
    ClearAlarm = 0x14,
    AlarmStatus = 0x18,
    ClearInterrupt = 0x1c,
};
constexpr unsigned kSource = 11;
constexpr uint64_t kSecond = 1'000'000'000;

uint64_t host_now()
{
    auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count());
}

struct GoldfishRtcTest : ::testing::Test {
    InterruptLines hart;
    Plic plic { { &hart } };
    GoldfishRtc rtc { InterruptLine { &plic, kSource } };

    uint64_t time()
    {
        uint64_t low = rtc.read(TimeLow, 4);
        return rtc.read(TimeHigh, 4) << 32 | low;
    }
    void set_alarm(uint64_t at)
    {
        rtc.write(AlarmHigh, 4, at >> 32);
        rtc.write(AlarmLow, 4, at & 0xffffffff);
    }
    // The PLIC's pending bit for the RTC's source: the level the RTC drives.
    bool irq() { return plic.read(0x1000, 4) >> kSource & 1; }
};

} // namespace

TEST_F(GoldfishRtcTest, TimeIsTheHostsRealtimeClock)
{
    uint64_t before = host_now();
    uint64_t time = this->time();
    uint64_t after = host_now();
    EXPECT_LE(before, time);
    EXPECT_LE(time, after);
    EXPECT_GT(time, 1'600'000'000 * kSecond); // After September 2020: it is nanoseconds.
}

TEST_F(GoldfishRtcTest, SixtyFourBitReadGivesTheWholeTime)
{
    uint64_t before = host_now();
    uint64_t time = rtc.read(TimeLow, 8);
    uint64_t after = host_now();
    EXPECT_LE(before, time);
    EXPECT_LE(time, after);
}

TEST_F(GoldfishRtcTest, GuestCanSetTheTime)
{
    constexpr uint64_t kSetTo = 946'684'800 * kSecond; // 2000-01-01
    uint64_t before = host_now();
    rtc.write(TimeHigh, 4, kSetTo >> 32);
    rtc.write(TimeLow, 4, kSetTo & 0xffffffff);
    uint64_t time = this->time();
    uint64_t after = host_now();
    EXPECT_GE(time, kSetTo);
    EXPECT_LE(time - kSetTo, after - before); // It keeps running from there, no faster.
}

TEST_F(GoldfishRtcTest, PastAlarmFiresAtOnce)
{
    rtc.write(IrqEnabled, 4, 1);
    set_alarm(host_now() - kSecond);
    EXPECT_EQ(rtc.read(AlarmStatus, 4), 0u);
    EXPECT_TRUE(irq());

    rtc.write(ClearInterrupt, 4, 1);
    EXPECT_FALSE(irq());
}

TEST_F(GoldfishRtcTest, FutureAlarmWaits)
{
    rtc.write(IrqEnabled, 4, 1);
    uint64_t at = host_now() + 3600 * kSecond;
    set_alarm(at);
    rtc.poll();
    EXPECT_EQ(rtc.read(AlarmStatus, 4), 1u);
    EXPECT_FALSE(irq());
    EXPECT_EQ(rtc.read(AlarmLow, 4), at & 0xffffffff);
    EXPECT_EQ(rtc.read(AlarmHigh, 4), at >> 32);

    auto remaining = rtc.time_until_alarm();
    ASSERT_TRUE(remaining.has_value());
    EXPECT_GT(remaining->count(), 0);
    EXPECT_LE(static_cast<uint64_t>(remaining->count()), 3600 * kSecond);

    rtc.write(ClearAlarm, 4, 1);
    EXPECT_EQ(rtc.read(AlarmStatus, 4), 0u);
    EXPECT_FALSE(rtc.time_until_alarm().has_value());
}

TEST_F(GoldfishRtcTest, PollFiresADueAlarm)
{
    rtc.write(IrqEnabled, 4, 1);
    set_alarm(host_now() + 2'000'000); // 2 ms
    // Sleep until the device itself says the alarm is due; no register is touched meanwhile.
    while (auto remaining = rtc.time_until_alarm()) {
        if (remaining->count() == 0)
            break;
        std::this_thread::sleep_for(*remaining);
    }
    EXPECT_FALSE(irq());
    rtc.poll();
    EXPECT_TRUE(irq());
    EXPECT_EQ(rtc.read(AlarmStatus, 4), 0u);
}

TEST_F(GoldfishRtcTest, AlarmFiredWhileDisabledIsReportedWhenEnabled)
{
    set_alarm(host_now() - kSecond);
    EXPECT_FALSE(irq());
    rtc.write(IrqEnabled, 4, 1);
    EXPECT_EQ(rtc.read(IrqEnabled, 4), 1u);
    EXPECT_TRUE(irq());
    rtc.write(IrqEnabled, 4, 0);
    EXPECT_FALSE(irq());
}

TEST_F(GoldfishRtcTest, ArmingAnAlarmTellsWhoeverWaitsForIt)
{
    int armed = 0;
    GoldfishRtc told { InterruptLine { &plic, kSource }, [&] { ++armed; } };
    told.write(AlarmHigh, 4, 0); // half an alarm: not armed yet
    EXPECT_EQ(armed, 0);
    told.write(AlarmLow, 4, 1);
    EXPECT_EQ(armed, 1);
    told.write(IrqEnabled, 4, 1);
    EXPECT_EQ(armed, 1);
}
