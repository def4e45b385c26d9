#pragma once
#include <chrono>
#include <cstdint>

namespace rvisor::host {

// A token bucket that lets `rate` units (bytes, or operations) a second through on average,
// kept as time rather than as a count of tokens: what has been used is paid for up to a point
// in time, `paid_until`, and the bucket is full when that point lies `capacity` or more in the
// past. A request may go while the bucket is not in debt (paid_until is not in the future);
// its cost is then taken whole, which may put the bucket in debt, and the next request waits
// until the debt is repaid. So a request is never split or refused, however large, and the
// average rate holds exactly.
//
// Besides the bucket there is a one-time burst: credit, given once when the bucket is made,
// that is spent before the bucket is (Firecracker's one_time_burst), so that a guest's first
// second of I/O, such as its boot, is not slowed.
//
// Time is passed in, so the bucket is plain data that tests drive with a clock of their own.
class TokenBucket {
public:
    using TimePoint = std::chrono::steady_clock::time_point;
    using Duration = std::chrono::nanoseconds;

    // `rate` units a second, above 0; the bucket holds `capacity`'s worth and starts empty,
    // with `burst`'s worth of one-time credit.
    TokenBucket(uint64_t rate, Duration capacity, Duration burst, TimePoint now);

    // When a request may go: `now` or earlier when it may go now.
    TimePoint ready_at() const;
    bool ready(TimePoint now) const { return ready_at() <= now; }
    // Takes the cost of `units` from the one-time burst, then from the bucket, possibly into
    // debt.
    void consume(uint64_t units, TimePoint now);

    uint64_t rate() const { return m_rate; }

private:
    Duration cost(uint64_t units) const;

    uint64_t m_rate;
    Duration m_capacity;
    Duration m_burst_left;
    TimePoint m_paid_until;
};

} // namespace rvisor::host
