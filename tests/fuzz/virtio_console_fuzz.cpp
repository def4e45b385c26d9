// libFuzzer target: virtio-console behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md), with keystrokes for the guest from the
// script and no terminal behind it.
#include "devices/virtio/console.h"
#include "virtio_device_fuzzer.h"

#include <cstddef>
#include <cstdint>

namespace {

using rvisor::devices::virtio::VirtioConsole;

class FuzzedConsole final : public rvisor::fuzz::FuzzedDevice {
public:
    FuzzedConsole(rvisor::mem::GuestRam&, rvisor::fuzz::ScriptReader&) { }

    rvisor::devices::virtio::VirtioDevice& device() override { return m_console; }
    bool serves_every_chain(unsigned queue) const override
    {
        return queue == VirtioConsole::kTransmitQueue;
    }
    // HostSide: u8 count, then that many bytes typed for the guest. They arrive together, as
    // a paste does: the worker, held back meanwhile, sees them all at once, so that the run
    // is the same each time.
    void act_on_host_side(rvisor::fuzz::ScriptReader& script) override
    {
        m_console.pause();
        for (uint8_t byte : script.bytes(script.u8()))
            m_console.receive(byte);
        m_console.resume();
    }

private:
    // The guest's output goes nowhere: only what the device does with its rings is judged.
    VirtioConsole m_console { [](uint8_t) {} };
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    rvisor::fuzz::run_virtio_device_script<FuzzedConsole>({ data, size });
    return 0;
}
