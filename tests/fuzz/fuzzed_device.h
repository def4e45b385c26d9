#pragma once
#include "devices/virtio/device.h"
#include "mem/guest_ram.h"
#include "script.h"

#include <concepts>

namespace rvisor::fuzz {

// The part of a virtio fuzz target that knows its device: the device with whatever it has on
// the host side (an image file, a network, a terminal), and what a script may do there.
class FuzzedDevice {
public:
    virtual ~FuzzedDevice() = default;

    virtual devices::virtio::VirtioDevice& device() = 0;
    // Whether the device serves every chain on `queue` once notified; a receive queue keeps its
    // chains until the host has something for the guest.
    virtual bool serves_every_chain(unsigned queue) const = 0;
    // Whether the device may drop guest pages the driver names (a balloon), which then read as
    // zeros wherever they are, the rings included.
    virtual bool gives_pages_back() const { return false; }
    // One step on the host side, its parameters read from the script: a frame or keystrokes
    // for the guest. The device may be woken; the caller waits until it is idle again.
    virtual void act_on_host_side(ScriptReader&) { }
};

// Whether a device may drop guest pages (FuzzedDevice::gives_pages_back).
enum class GuestPages { Kept, GivenBack };

// A device with nothing behind it on the host side (entropy, a balloon), built from nothing or
// from guest RAM, which serves every chain it is offered.
template <typename Device, GuestPages kPages = GuestPages::Kept>
class SelfContainedDevice final : public FuzzedDevice {
public:
    SelfContainedDevice(mem::GuestRam& ram,
        ScriptReader&) requires std::constructible_from<Device, mem::GuestRam&> : m_device(ram)
    {
    }
    SelfContainedDevice(mem::GuestRam&, ScriptReader&) requires std::default_initializable<Device>
    {
    }

    devices::virtio::VirtioDevice& device() override { return m_device; }
    bool serves_every_chain(unsigned) const override { return true; }
    bool gives_pages_back() const override { return kPages == GuestPages::GivenBack; }

private:
    Device m_device;
};

} // namespace rvisor::fuzz
