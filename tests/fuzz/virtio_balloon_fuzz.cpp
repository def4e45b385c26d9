// libFuzzer target: virtio-balloon behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md): inflated PFNs and reported ranges are given
// back to the host, which must happen inside the machine's small RAM and nowhere else.
#include "devices/virtio/balloon.h"
#include "virtio_device_fuzzer.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace rvisor::fuzz;
    using rvisor::devices::virtio::VirtioBalloon;
    run_virtio_device_script<SelfContainedDevice<VirtioBalloon, GuestPages::GivenBack>>(
        { data, size });
    return 0;
}
