// libFuzzer target: an OCI bundle's config.json, and the process file `rvisor-oci exec --process`
// takes (README.md). The first byte chooses which; the rest is the file. Each must parse or
// throw std::runtime_error with one line naming what is wrong; what parses must hold what the
// runtime relies on: an absolute root, and a process with a program and an absolute cwd.
#include "fuzz_check.h"
#include "oci/bundle.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using rvisor::fuzz::check;

void check_message(const std::runtime_error& error)
{
    const std::string_view message = error.what();
    check(!message.empty(), "an error has a message");
}

void check_process(const rvisor::oci::ProcessSpec& process)
{
    check(!process.args.empty(), "a parsed process names a program");
    check(process.cwd.starts_with('/'), "a parsed process's cwd is absolute");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        if (data[0] & 1) {
            check_process(rvisor::oci::parse_process_spec(text));
        } else {
            const auto spec = rvisor::oci::parse_container_spec(text, "/bundle");
            check(spec.root.is_absolute(), "the root is absolute");
            if (spec.process)
                check_process(*spec.process);
        }
    } catch (const std::runtime_error& error) {
        check_message(error);
    }
    return 0;
}
