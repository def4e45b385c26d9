// libFuzzer target: virtio-blk behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md), on an in-memory image.
#include "fuzzed_block.h"
#include "virtio_device_fuzzer.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace rvisor::fuzz;
    // One image for the process: every input gets it back empty.
    static const ScratchImage image;
    run_virtio_device_script({ data, size }, [&](rvisor::mem::GuestRam&, ScriptReader& script) {
        return make_fuzzed_block(image, script);
    });
    return 0;
}
