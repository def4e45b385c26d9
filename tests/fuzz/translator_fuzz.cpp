// Fuzz target: the input becomes a program (generate_program), which the translator and the
// interpreter must run to the same state.
#include "differential/differential.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace rvisor::differential;
    const DifferentialProgram program = generate_program({ data, size });
    if (const auto difference = run_differential(program)) {
        std::fprintf(stderr, "The translator and the interpreter differ:\n%s\nThe program:\n%s",
            difference->c_str(), describe_program(program).c_str());
        std::abort();
    }
    return 0;
}
