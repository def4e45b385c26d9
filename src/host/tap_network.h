#pragma once
#include "host/network_backend.h"
#include "host/wakeup.h"

#include <atomic>

#include <string>
#include <thread>

namespace rvisor::host {

// A Linux tap interface (/dev/net/tun, IFF_TAP | IFF_NO_PI): the guest's frames appear on the
// host interface `name`, to be bridged or routed by the host's own configuration. Creating or
// attaching to a tap interface needs CAP_NET_ADMIN, unless the interface was created beforehand
// for this user (ip tuntap add NAME mode tap user USER).
//
// Threads: a reader thread between start() and stop() polls the device and a stop eventfd,
// and calls the receiver with each frame. send() writes straight to the device from the
// caller's thread, dropping the frame when the interface cannot take it (it is down, or its
// queue is full).
class TapNetwork final : public NetworkBackend {
public:
    // Throws std::runtime_error with one sentence when the interface cannot be opened.
    explicit TapNetwork(const std::string& name);
    ~TapNetwork() override;
    TapNetwork(const TapNetwork&) = delete;
    TapNetwork& operator=(const TapNetwork&) = delete;

    // The interface's name, as the kernel has it.
    const std::string& name() const { return m_name; }

    void set_receiver(Receiver) override;
    void start() override;
    void stop() override;
    void send(std::span<const uint8_t> frame) override;
    // Stops polling the device; frames wait in the kernel's queue for the interface, which
    // drops what does not fit, as a busy network would.
    void set_receive_held(bool held) override;
    // Frames from a bridge or a wire: the guest checks them.
    bool checksums_known_good() const override { return false; }

private:
    void run();

    std::string m_name;
    Receiver m_receiver;
    int m_fd { -1 };
    int m_stop_fd { -1 }; // an eventfd
    std::atomic<bool> m_receive_held { false };
    Wakeup m_receive_released;
    std::thread m_thread;
};

} // namespace rvisor::host
