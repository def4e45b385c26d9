#include "host/clock.h"

#include <gtest/gtest.h>

using rvisor::host::Clock;

TEST(Clock, ACompareAheadIsItsTimePoint)
{
    Clock clock;
    const uint64_t now = clock.ticks();
    const auto second_later = clock.time_point_of(now + Clock::kFrequency);
    const auto expected = clock.time_point_of(now) + std::chrono::seconds(1);
    EXPECT_EQ(second_later, expected);
}

// Guests turn their timer off with a compare far ahead (Linux writes all ones): that must be
// "never", not a product that wrapped round into the past and makes an idle hart spin.
TEST(Clock, ACompareTooFarAheadIsNever)
{
    Clock clock;
    for (uint64_t ticks : { UINT64_MAX, UINT64_MAX - 1, uint64_t { 1 } << 63, UINT64_MAX / 100,
             uint64_t { INT64_MAX } / 100 + 1 })
        EXPECT_EQ(clock.time_point_of(ticks), std::chrono::steady_clock::time_point::max())
            << ticks;
}
