// libFuzzer target: virtio-net behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md), on a network that exists only in the
// script: frames for the guest come from it, and frames from the guest are checked and dropped.
#include "devices/virtio/net.h"
#include "host/network_backend.h"
#include "virtio_device_fuzzer.h"

#include <fmt/format.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace {

using rvisor::devices::virtio::VirtioNet;

class ScriptedNetwork final : public rvisor::host::NetworkBackend {
public:
    void set_receiver(Receiver receiver) override { m_receiver = std::move(receiver); }
    void start() override { }
    void stop() override { }
    void send(std::span<const uint8_t> frame) override
    {
        // Ethernet header and all, never more than the device promises to send.
        if (frame.size() < 14 || frame.size() > VirtioNet::kMaxTransmitFrame)
            rvisor::fuzz::report_violation(fmt::format("sent a frame of {} bytes", frame.size()));
    }

    // While the device holds the network back, the script's frames wait on the host side, as
    // a real backend leaves them unread.
    void set_receive_held(bool held) override { m_held = held; }
    bool checksums_known_good() const override { return true; }

    void deliver(std::span<const uint8_t> frame)
    {
        if (!m_held)
            m_receiver(frame);
    }

private:
    Receiver m_receiver;
    std::atomic<bool> m_held { false };
};

class FuzzedNet final : public rvisor::fuzz::FuzzedDevice {
public:
    FuzzedNet(rvisor::mem::GuestRam&, rvisor::fuzz::ScriptReader&)
        : FuzzedNet(std::make_unique<ScriptedNetwork>())
    {
    }

    rvisor::devices::virtio::VirtioDevice& device() override { return m_net; }
    bool serves_every_chain(unsigned queue) const override
    {
        return queue == VirtioNet::kTransmitQueue;
    }
    // HostSide: u16 length, then the frame for the guest.
    void act_on_host_side(rvisor::fuzz::ScriptReader& script) override
    {
        m_network->deliver(script.bytes(script.u16() % 2048));
    }

private:
    explicit FuzzedNet(std::unique_ptr<ScriptedNetwork> network)
        : m_network(network.get())
        , m_net(std::move(network))
    {
    }

    ScriptedNetwork* m_network; // owned by m_net
    VirtioNet m_net;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    rvisor::fuzz::run_virtio_device_script<FuzzedNet>({ data, size });
    return 0;
}
