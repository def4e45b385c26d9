#pragma once
// The rate limit keys of --disk (iops=N, bw=B) and --net (bw=B). A bandwidth is bytes a second,
// a plain number or one with a suffix in powers of 1024 as --mem has them: K, M or G (10M is
// 10 MiB/s). Both must be above 0: leaving the key out is no limit.
#include <cstdint>
#include <string>

namespace rvisor::vmm {

// Throw std::runtime_error with one sentence that begins with `option` ("--disk").
uint64_t parse_bandwidth(const std::string& text, const std::string& option);
uint64_t parse_iops(const std::string& text, const std::string& option);

// The shortest text parse_bandwidth() reads back as `bytes_per_second`.
std::string format_bandwidth(uint64_t bytes_per_second);

} // namespace rvisor::vmm
