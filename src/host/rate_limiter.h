#pragma once
#include "host/token_bucket.h"

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace rvisor::host {

// What a device may do each second; 0 is no limit.
struct RateLimit {
    // 1 TiB/s and a million requests a second: beyond any device, and a cost of at least a
    // nanosecond per request.
    static constexpr uint64_t kMaxBytesPerSecond = uint64_t { 1 } << 40;
    static constexpr uint64_t kMaxOpsPerSecond = 1'000'000;

    uint64_t bytes_per_second = 0;
    uint64_t ops_per_second = 0;

    bool limited() const { return bytes_per_second != 0 || ops_per_second != 0; }
    bool operator==(const RateLimit&) const = default;
};

// A device's limits on bytes and on operations a second, each a TokenBucket, as Firecracker's
// RateLimiter: a device asks before it serves a request and, when the answer is a time, leaves
// its queue alone until then (its worker sleeps), so a guest over its budget is slowed, never
// failed. Each bucket holds kCapacity's worth, so a device that was idle may burst that much,
// and starts with kBurst's worth of one-time credit.
//
// Threads: the device's worker asks and consumes; the API may change the limit at any time.
class RateLimiter {
public:
    using TimePoint = TokenBucket::TimePoint;
    using Clock = std::function<TimePoint()>;
    static constexpr std::chrono::milliseconds kCapacity { 100 };
    static constexpr std::chrono::milliseconds kBurst { 1000 };

    explicit RateLimiter(
        RateLimit limit = {}, Clock clock = [] { return std::chrono::steady_clock::now(); });

    // Nothing when a request may go now; otherwise the time from which one may.
    std::optional<TimePoint> throttled_until();
    // One operation of `bytes` was served.
    void consume(uint64_t bytes);

    // A bucket whose rate changes starts afresh: empty, with no debt and no one-time burst
    // (the new limit holds from now on). A bucket whose rate stays keeps its state.
    void set_limit(RateLimit limit);
    RateLimit limit();

private:
    std::optional<TokenBucket> bucket(uint64_t rate, std::chrono::nanoseconds burst) const;

    Clock m_clock;
    std::mutex m_mutex;
    std::optional<TokenBucket> m_bytes;
    std::optional<TokenBucket> m_ops;
};

} // namespace rvisor::host
