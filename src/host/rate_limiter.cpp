#include "host/rate_limiter.h"

#include <algorithm>

namespace rvisor::host {

RateLimiter::RateLimiter(RateLimit limit, Clock clock)
    : m_clock(std::move(clock))
    , m_bytes(bucket(limit.bytes_per_second, kBurst))
    , m_ops(bucket(limit.ops_per_second, kBurst))
{
}

std::optional<TokenBucket> RateLimiter::bucket(uint64_t rate, std::chrono::nanoseconds burst) const
{
    if (rate == 0)
        return std::nullopt;
    return TokenBucket(rate, kCapacity, burst, m_clock());
}

std::optional<RateLimiter::TimePoint> RateLimiter::throttled_until()
{
    std::lock_guard lock(m_mutex);
    TimePoint ready = TimePoint::min();
    for (const auto& bucket : { &m_bytes, &m_ops }) {
        if (*bucket)
            ready = std::max(ready, (*bucket)->ready_at());
    }
    if (ready <= m_clock())
        return std::nullopt;
    return ready;
}

void RateLimiter::consume(uint64_t bytes)
{
    std::lock_guard lock(m_mutex);
    const TimePoint now = m_clock();
    if (m_bytes)
        m_bytes->consume(bytes, now);
    if (m_ops)
        m_ops->consume(1, now);
}

void RateLimiter::set_limit(RateLimit limit)
{
    std::lock_guard lock(m_mutex);
    auto replace = [&](std::optional<TokenBucket>& current, uint64_t rate) {
        if (rate != (current ? current->rate() : 0))
            current = bucket(rate, std::chrono::nanoseconds::zero());
    };
    replace(m_bytes, limit.bytes_per_second);
    replace(m_ops, limit.ops_per_second);
}

RateLimit RateLimiter::limit()
{
    std::lock_guard lock(m_mutex);
    return { m_bytes ? m_bytes->rate() : 0, m_ops ? m_ops->rate() : 0 };
}

} // namespace rvisor::host
