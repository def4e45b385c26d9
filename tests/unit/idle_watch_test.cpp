#include "machine/idle_watch.h"

#include <gtest/gtest.h>

using rvisor::machine::IdleWatch;
using namespace std::chrono_literals;

// The windows' ends are given, so only the thread's CPU time is real.
TEST(IdleWatch, AWindowWithoutWorkEndsIdleAndTheFirstOnlyStartsOne)
{
    IdleWatch watch;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(watch.idle_window_ended(start));
    EXPECT_FALSE(watch.idle_window_ended(start + IdleWatch::kWindow / 2));
    EXPECT_TRUE(watch.idle_window_ended(start + IdleWatch::kWindow));
    EXPECT_FALSE(watch.idle_window_ended(start + IdleWatch::kWindow + 1s));
    EXPECT_TRUE(watch.idle_window_ended(start + 2 * IdleWatch::kWindow + 1s));
}

TEST(IdleWatch, AWindowWithWorkIsNotIdle)
{
    IdleWatch watch;
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(watch.idle_window_ended(start));
    // A twentieth of the window's length in CPU time is over the 2% bound.
    const auto busy_until
        = IdleWatch::thread_cpu_time() + std::chrono::nanoseconds(IdleWatch::kWindow) / 20;
    volatile uint64_t spins = 0;
    while (IdleWatch::thread_cpu_time() < busy_until)
        spins = spins + 1;
    EXPECT_FALSE(watch.idle_window_ended(start + IdleWatch::kWindow));
}
