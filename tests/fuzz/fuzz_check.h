#pragma once
// How a harness reports a broken invariant: one line on stderr, then abort(), which libFuzzer
// turns into a crash-* file with the input.
#include <cstdio>
#include <cstdlib>

namespace rvisor::fuzz {

inline void check(bool holds, const char* invariant)
{
    if (holds)
        return;
    std::fprintf(stderr, "invariant broken: %s\n", invariant);
    std::abort();
}

} // namespace rvisor::fuzz
