#include "host/token_bucket.h"

#include <gtest/gtest.h>

#include <chrono>

using namespace std::chrono_literals;
using rvisor::host::TokenBucket;

namespace {

// An arbitrary origin: the bucket only ever compares and subtracts times.
const TokenBucket::TimePoint kStart = TokenBucket::TimePoint(1000s);

// Spends `free_units`, which must cost nothing yet, then `owed_units`, which must be paid for
// until `now + owed`.
void expect_free_then_owed(TokenBucket& bucket, TokenBucket::TimePoint now, uint64_t free_units,
    uint64_t owed_units, TokenBucket::Duration owed)
{
    bucket.consume(free_units, now);
    EXPECT_TRUE(bucket.ready(now));
    bucket.consume(owed_units, now);
    EXPECT_FALSE(bucket.ready(now));
    EXPECT_EQ(bucket.ready_at(), now + owed);
}

} // namespace

TEST(TokenBucketTest, TheOneTimeBurstPassesAtOnce)
{
    // 1000 units a second, a one-second burst: 1000 units go without waiting.
    TokenBucket bucket(1000, 100ms, 1s, kStart);
    for (int i = 0; i < 9; ++i) {
        ASSERT_TRUE(bucket.ready(kStart));
        bucket.consume(100, kStart);
    }
    // The burst is spent exactly; the bucket itself started empty, so what follows is owed.
    expect_free_then_owed(bucket, kStart, 100, 100, 100ms);
}

TEST(TokenBucketTest, DebtIsRepaidAtTheRate)
{
    TokenBucket bucket(1000, 100ms, 0s, kStart);
    EXPECT_TRUE(bucket.ready(kStart));
    bucket.consume(500, kStart); // half a second's worth, taken whole
    EXPECT_FALSE(bucket.ready(kStart + 499ms));
    EXPECT_TRUE(bucket.ready(kStart + 500ms));
    bucket.consume(1, kStart + 500ms);
    EXPECT_EQ(bucket.ready_at(), kStart + 501ms);
}

TEST(TokenBucketTest, AverageRateHoldsOverManyRequests)
{
    // A greedy client that sends whenever it may: 10 MiB a second for 10 s is 100 MiB.
    constexpr uint64_t kRate = 10 << 20;
    TokenBucket bucket(kRate, 100ms, 0s, kStart);
    TokenBucket::TimePoint now = kStart;
    uint64_t sent = 0;
    while (now < kStart + 10s) {
        now = std::max(now, bucket.ready_at());
        bucket.consume(128 << 10, now);
        sent += 128 << 10;
    }
    EXPECT_NEAR(static_cast<double>(sent), 100.0 * (1 << 20), 128 << 10);
}

TEST(TokenBucketTest, IdleTimeRefillsOnlyUpToTheCapacity)
{
    TokenBucket bucket(1000, 100ms, 0s, kStart);
    // An hour idle is worth 100 units, no more: the 101st unit is owed.
    expect_free_then_owed(bucket, kStart + 3600s, 100, 1, 1ms);
}

TEST(TokenBucketTest, ARequestLargerThanTheBucketStillGoes)
{
    TokenBucket bucket(10, 100ms, 0s, kStart);
    ASSERT_TRUE(bucket.ready(kStart));
    bucket.consume(1000, kStart); // 100 s's worth
    EXPECT_EQ(bucket.ready_at(), kStart + 100s);
}

TEST(TokenBucketTest, TheBurstIsSpentBeforeTheBucket)
{
    TokenBucket bucket(1000, 100ms, 50ms, kStart);
    bucket.consume(80, kStart); // 50 from the burst, 30 owed
    EXPECT_EQ(bucket.ready_at(), kStart + 30ms);
}
