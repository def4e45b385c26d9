#include "host/token_bucket.h"

#include <algorithm>

namespace rvisor::host {

TokenBucket::TokenBucket(uint64_t rate, Duration capacity, Duration burst, TimePoint now)
    : m_rate(rate)
    , m_capacity(capacity)
    , m_burst_left(burst)
    , m_paid_until(now)
{
}

TokenBucket::Duration TokenBucket::cost(uint64_t units) const
{
    // A chain is under 4 GiB, so units * 10^9 stays far below 2^64 for any request.
    return Duration(static_cast<int64_t>(units * 1'000'000'000ull / m_rate));
}

TokenBucket::TimePoint TokenBucket::ready_at() const
{
    return m_burst_left > Duration::zero() ? TimePoint::min() : m_paid_until;
}

void TokenBucket::consume(uint64_t units, TimePoint now)
{
    Duration owed = cost(units);
    const Duration from_burst = std::min(owed, m_burst_left);
    m_burst_left -= from_burst;
    owed -= from_burst;
    if (owed == Duration::zero())
        return;
    // Idle time refills the bucket, but never beyond its capacity.
    m_paid_until = std::max(m_paid_until, now - m_capacity) + owed;
}

} // namespace rvisor::host
