#include "vmm/rate_option.h"

#include "host/rate_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <utility>

namespace rvisor::vmm {

namespace {

constexpr uint64_t kMaxBandwidth = host::RateLimit::kMaxBytesPerSecond;
constexpr uint64_t kMaxIops = host::RateLimit::kMaxOpsPerSecond;

constexpr std::array<std::pair<char, unsigned>, 3> kSuffixes { { { 'G', 30 }, { 'M', 20 },
    { 'K', 10 } } };

// The digits of `text` as a number up to `max`, or nothing when there are none, others, or
// too many.
std::optional<uint64_t> whole_number(const std::string& digits, uint64_t max)
{
    if (digits.empty() || digits.size() > 13
        || !std::all_of(digits.begin(), digits.end(),
            [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return std::nullopt;
    const uint64_t value = std::stoull(digits);
    if (value == 0 || value > max)
        return std::nullopt;
    return value;
}

} // namespace

uint64_t parse_bandwidth(const std::string& text, const std::string& option)
{
    std::string digits = text;
    unsigned shift = 0;
    if (!text.empty()) {
        const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
        for (const auto& [suffix, suffix_shift] : kSuffixes) {
            if (last == suffix) {
                digits.pop_back();
                shift = suffix_shift;
            }
        }
    }
    const auto value = whole_number(digits, kMaxBandwidth >> shift);
    if (!value)
        throw std::runtime_error(fmt::format("{} bw='{}' is not a rate from 1 byte to 1024G a "
                                             "second, such as 10M (K, M, G: powers of 1024)",
            option, text));
    return *value << shift;
}

uint64_t parse_iops(const std::string& text, const std::string& option)
{
    const auto value = whole_number(text, kMaxIops);
    if (!value)
        throw std::runtime_error(
            fmt::format("{} iops='{}' is not a number of requests a second from 1 to {}", option,
                text, kMaxIops));
    return *value;
}

std::string format_bandwidth(uint64_t bytes_per_second)
{
    for (const auto& [suffix, shift] : kSuffixes) {
        if (bytes_per_second % (uint64_t { 1 } << shift) == 0)
            return fmt::format("{}{}", bytes_per_second >> shift, suffix);
    }
    return std::to_string(bytes_per_second);
}

} // namespace rvisor::vmm
