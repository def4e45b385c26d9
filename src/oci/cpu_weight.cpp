#include "oci/cpu_weight.h"

#include "oci/process_tree.h"

#include <fmt/format.h>

#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <sys/resource.h>
#include <vector>

namespace rvisor::oci {

namespace {

// The kernel's CFS weight for each nice level from -20 to 19 (kernel/sched/core.c): each step
// is about 1.25 times the next.
constexpr std::array<uint64_t, 40> kNiceWeights { 88761, 71755, 56483, 46273, 36291, 29154, 23254,
    18705, 14949, 11916, 9548, 7620, 6100, 4904, 3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655,
    526, 423, 335, 272, 215, 172, 137, 110, 87, 70, 56, 45, 36, 29, 23, 18, 15 };

constexpr int kHighestNice = -20;

} // namespace

int nice_for_cpu_shares(uint64_t shares)
{
    // Nearest on the scale the weights are spaced on, a ratio's logarithm.
    const double wanted = std::log(static_cast<double>(std::max<uint64_t>(shares, 1)));
    size_t best = 0;
    for (size_t i = 1; i < kNiceWeights.size(); ++i)
        if (std::abs(std::log(static_cast<double>(kNiceWeights[i])) - wanted)
            < std::abs(std::log(static_cast<double>(kNiceWeights[best])) - wanted))
            best = i;
    return kHighestNice + static_cast<int>(best);
}

void set_process_tree_nice(pid_t root, int nice)
{
    const std::vector<pid_t> threads = threads_of(process_tree(root));
    if (threads.empty())
        throw std::runtime_error(fmt::format("process {} is not running", root));
    for (const pid_t thread : threads) {
        // On Linux, PRIO_PROCESS with a thread id sets that thread alone.
        if (::setpriority(PRIO_PROCESS, static_cast<id_t>(thread), nice) != 0 && errno != ESRCH)
            throw std::runtime_error(fmt::format("cannot set the nice level of thread {} to {}: {}",
                thread, nice, std::strerror(errno)));
    }
}

} // namespace rvisor::oci
