#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <span>

namespace rvisor::host {

using MacAddress = std::array<uint8_t, 6>;
// QEMU's first address, which guest documentation and scripts tend to expect.
constexpr MacAddress kDefaultMacAddress { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

// Where a virtual network card's Ethernet frames go on the host, and where the frames for the
// guest come from: user-mode networking (SlirpNetwork) or a tap interface (TapNetwork).
// Frames are whole Ethernet frames without preamble or FCS and without any offload header.
//
// Threads: a backend runs its own thread between start() and stop(), and calls the receiver
// on it. send() may be called from any thread, before start() too.
class NetworkBackend {
public:
    using Receiver = std::function<void(std::span<const uint8_t> frame)>;

    virtual ~NetworkBackend() = default;

    // Set once, before start(): called for every frame meant for the guest, on the backend's
    // thread. The span is valid only during the call.
    virtual void set_receiver(Receiver) = 0;
    virtual void start() = 0;
    // Waits until the backend's thread has stopped; the receiver is not called afterwards.
    // Stopping a stopped backend does nothing.
    virtual void stop() = 0;

    // A frame from the guest. Like a real network, a backend may drop frames when it is busy.
    virtual void send(std::span<const uint8_t> frame) = 0;

    // While held, the backend reads nothing more from the host for the guest, so the host's
    // senders are slowed by their own flow control (the guest is behind, or over its rate
    // limit). Frames it produces anyway (its own timers, replies to the guest's frames) still
    // reach the receiver. Any thread, the receiver's included.
    virtual void set_receive_held(bool held) = 0;

    // Whether every frame for the guest carries TCP and UDP checksums already known good (made
    // by the backend itself, as user-mode networking's are), so the guest may skip checking
    // them. Not so for frames from a wire.
    virtual bool checksums_known_good() const = 0;
};

} // namespace rvisor::host
