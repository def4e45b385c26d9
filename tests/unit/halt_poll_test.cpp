#include "cpu/halt_poll.h"

#include <gtest/gtest.h>

using rvisor::cpu::HaltPoll;
using rvisor::cpu::InterruptLines;
using namespace std::chrono_literals;

TEST(HaltPoll, AFreshHartSleepsAtOnce)
{
    HaltPoll poll;
    InterruptLines lines;
    lines.wake();
    EXPECT_EQ(poll.window(), HaltPoll::Clock::duration::zero());
    EXPECT_FALSE(poll.poll(lines, HaltPoll::Clock::time_point::max()));
}

TEST(HaltPoll, TheWindowGrowsWhileWakeUpsComeSoonAndStopsAtItsLimit)
{
    HaltPoll poll;
    poll.slept(30us, true);
    EXPECT_EQ(poll.window(), HaltPoll::kFirstWindow);
    poll.slept(30us, true);
    EXPECT_EQ(poll.window(), 2 * HaltPoll::kFirstWindow);
    for (int round = 0; round < 10; ++round)
        poll.slept(30us, true);
    EXPECT_EQ(poll.window(), HaltPoll::kMaxWindow);
}

TEST(HaltPoll, LongSleepsAndDeadlinesShrinkItToNothing)
{
    HaltPoll poll;
    for (int round = 0; round < 10; ++round)
        poll.slept(30us, true);
    poll.slept(5ms, true); // woken, but late: an idle guest's keystroke
    EXPECT_EQ(poll.window(), HaltPoll::kMaxWindow / 2);
    poll.slept(30us, false); // its timer's deadline
    EXPECT_EQ(poll.window(), HaltPoll::kMaxWindow / 4);
    for (int round = 0; round < 10; ++round)
        poll.slept(10ms, false);
    EXPECT_EQ(poll.window(), HaltPoll::Clock::duration::zero());
}

TEST(HaltPoll, PollingEndsWhenTheLinesNeedAttentionOrTheDeadlinePasses)
{
    HaltPoll poll;
    poll.slept(30us, true);
    InterruptLines lines;
    lines.wake();
    EXPECT_TRUE(poll.poll(lines, HaltPoll::Clock::time_point::max()));
    lines.clear_attention();
    EXPECT_FALSE(poll.poll(lines, HaltPoll::Clock::now())); // a deadline already passed
    EXPECT_FALSE(poll.poll(lines, HaltPoll::Clock::time_point::max())); // the window passes
}
