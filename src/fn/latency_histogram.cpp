#include "fn/latency_histogram.h"

#include <fmt/format.h>

namespace rvisor::fn {

void LatencyHistogram::record(std::chrono::nanoseconds latency)
{
    const double seconds = std::chrono::duration<double>(latency).count();
    std::lock_guard lock(m_mutex);
    for (size_t i = 0; i < kBounds.size(); ++i)
        if (seconds <= kBounds[i])
            ++m_counts[i];
    ++m_count;
    m_sum += seconds;
}

std::string LatencyHistogram::exposition(const std::string& name, const std::string& labels) const
{
    std::lock_guard lock(m_mutex);
    std::string text;
    for (size_t i = 0; i < kBounds.size(); ++i)
        text
            += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, kBounds[i], m_counts[i]);
    text += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, m_count);
    text += fmt::format("{}_sum{{{}}} {}\n", name, labels, m_sum);
    text += fmt::format("{}_count{{{}}} {}\n", name, labels, m_count);
    return text;
}

} // namespace rvisor::fn
