#include "host/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace std::chrono_literals;
using rvisor::host::RateLimit;
using rvisor::host::RateLimiter;

namespace {

struct RateLimiterTest : ::testing::Test {
    RateLimiter::TimePoint now = RateLimiter::TimePoint(5000s);
    RateLimiter::Clock clock = [this] { return now; };
};

} // namespace

TEST_F(RateLimiterTest, NoLimitNeverThrottles)
{
    RateLimiter limiter({}, clock);
    for (int i = 0; i < 1000; ++i)
        limiter.consume(1 << 30);
    EXPECT_FALSE(limiter.throttled_until());
    EXPECT_FALSE(limiter.limit().limited());
}

TEST_F(RateLimiterTest, BytesThrottleAfterTheBurst)
{
    RateLimiter limiter({ 1 << 20, 0 }, clock);
    limiter.consume(1 << 20); // the one-time burst: a second's worth
    EXPECT_FALSE(limiter.throttled_until());
    limiter.consume(1 << 19); // half a second owed
    ASSERT_TRUE(limiter.throttled_until());
    EXPECT_EQ(*limiter.throttled_until(), now + 500ms);
    now += 500ms;
    EXPECT_FALSE(limiter.throttled_until());
}

TEST_F(RateLimiterTest, OperationsAndBytesBothCount)
{
    // 10 requests a second and plenty of bytes: the requests are what binds.
    RateLimiter limiter({ 1 << 30, 10 }, clock);
    for (int i = 0; i < 11; ++i) {
        ASSERT_FALSE(limiter.throttled_until()) << i;
        limiter.consume(512);
    }
    ASSERT_TRUE(limiter.throttled_until());
    EXPECT_EQ(*limiter.throttled_until(), now + 100ms);
}

TEST_F(RateLimiterTest, ANewLimitStartsAfreshWithoutBurst)
{
    RateLimiter limiter({ 1000, 0 }, clock);
    limiter.consume(1000 + 10'000); // the burst, then 10 s owed
    ASSERT_EQ(*limiter.throttled_until(), now + 10s);
    limiter.set_limit({ 100'000, 0 });
    EXPECT_EQ(limiter.limit(), (RateLimit { 100'000, 0 }));
    EXPECT_FALSE(limiter.throttled_until()); // the old debt is forgiven
    limiter.consume(1000); // no burst: 10 ms owed at the new rate
    EXPECT_EQ(*limiter.throttled_until(), now + 10ms);
}

TEST_F(RateLimiterTest, AnUnchangedRateKeepsItsDebt)
{
    RateLimiter limiter({ 1000, 0 }, clock);
    limiter.consume(2000);
    limiter.set_limit({ 1000, 50 });
    EXPECT_EQ(*limiter.throttled_until(), now + 1s);
}

TEST_F(RateLimiterTest, LiftingTheLimitEndsTheWait)
{
    RateLimiter limiter({ 1000, 0 }, clock);
    limiter.consume(5000);
    ASSERT_TRUE(limiter.throttled_until());
    limiter.set_limit({});
    EXPECT_FALSE(limiter.throttled_until());
}
