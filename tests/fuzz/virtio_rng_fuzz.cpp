// libFuzzer target: virtio-rng behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md).
#include "devices/virtio/rng.h"
#include "virtio_device_fuzzer.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using rvisor::devices::virtio::VirtioRng;
    rvisor::fuzz::run_virtio_device_script<rvisor::fuzz::SelfContainedDevice<VirtioRng>>(
        { data, size });
    return 0;
}
