#pragma once
#include "virtio_fuzz_machine.h"

#include <cstdint>
#include <memory>
#include <span>

namespace rvisor::fuzz {

// Runs one per-device fuzz script (virtio_script.h) on a fresh VirtioFuzzMachine: a driver
// brings the device up through the transport, writes descriptor chains and available-ring
// entries as the script says, notifies, and after each step that lets the device work waits
// for it and checks what it did (README.md, "The virtio device targets"). A broken rule is
// reported with report_violation().
void run_virtio_device_script(
    std::span<const uint8_t> input, const VirtioFuzzMachine::DeviceFactory& make_device);

// The same for a FuzzedDevice built from the machine's RAM and the script's settings alone.
template <typename Device> void run_virtio_device_script(std::span<const uint8_t> input)
{
    run_virtio_device_script(input, [](mem::GuestRam& ram, ScriptReader& settings) {
        return std::make_unique<Device>(ram, settings);
    });
}

} // namespace rvisor::fuzz
