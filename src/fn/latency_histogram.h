#pragma once
// Request latencies as a Prometheus histogram: cumulative counts per upper bound, sum and count.
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace rvisor::fn {

class LatencyHistogram {
public:
    void record(std::chrono::nanoseconds latency);
    // The series `name`_bucket, _sum and _count, each with `labels` (`key="value",…`).
    std::string exposition(const std::string& name, const std::string& labels) const;

private:
    static constexpr std::array<double, 12> kBounds
        = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 };
    mutable std::mutex m_mutex;
    std::array<uint64_t, kBounds.size()> m_counts {};
    uint64_t m_count = 0;
    double m_sum = 0;
};

} // namespace rvisor::fn
