// libFuzzer target: virtio-vsock behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md), with host programs on real Unix sockets:
// ones that connect and write what the script says, and a listener for the guest's
// connections to host port 1024.
#include "devices/virtio/vsock.h"
#include "host/unix_socket.h"
#include "virtio_device_fuzzer.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace {

using rvisor::devices::virtio::VirtioVsock;
using rvisor::devices::virtio::VsockMuxer;

constexpr uint64_t kGuestCid = 3;
constexpr uint32_t kListeningHostPort = 1024;
constexpr size_t kMaxHostPrograms = 8;

// A directory of this process's own for the sockets, made once.
const std::filesystem::path& socket_directory()
{
    static const std::filesystem::path directory = [] {
        auto path = std::filesystem::temp_directory_path()
            / ("rvisor-vsock-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(path);
        return path;
    }();
    return directory;
}

class FuzzedVsock final : public rvisor::fuzz::FuzzedDevice {
public:
    FuzzedVsock(rvisor::mem::GuestRam&, rvisor::fuzz::ScriptReader&)
        : m_listener(rvisor::host::create_listening_socket(
            socket_directory() / ("v.sock_" + std::to_string(kListeningHostPort))))
        , m_vsock(kGuestCid, socket_directory() / "v.sock", VsockMuxer::Threading::Caller)
    {
    }
    ~FuzzedVsock() override
    {
        for (int fd : m_programs)
            ::close(fd);
        rvisor::host::remove_listening_socket(
            socket_directory() / ("v.sock_" + std::to_string(kListeningHostPort)), m_listener);
    }

    rvisor::devices::virtio::VirtioDevice& device() override { return m_vsock; }
    bool serves_every_chain(unsigned queue) const override
    {
        return queue == VirtioVsock::kTransmitQueue;
    }
    // HostSide: u8 action, then its fields. 0: a program connects and writes u8 count bytes
    // (a CONNECT line, or not); 1: program u8 writes u8 count bytes; 2: program u8 closes.
    // Then the muxer serves the host's sockets, here, so that the device is woken only
    // while the harness waits for it (a thread of its own would wake it at any time, and the
    // harness could not tell what it had seen).
    void act_on_host_side(rvisor::fuzz::ScriptReader& script) override
    {
        act_as_host_programs(script);
        // Accepting a program, reading its line and reading its bytes take a round each.
        for (int round = 0; round < 3; ++round)
            m_vsock.serve_host_sockets();
    }

private:
    void act_as_host_programs(rvisor::fuzz::ScriptReader& script)
    {
        const uint8_t action = script.u8() % 3;
        if (action == 0) {
            if (m_programs.size() >= kMaxHostPrograms)
                return;
            const int fd = rvisor::host::connect_unix_socket(socket_directory() / "v.sock");
            if (fd < 0)
                return;
            m_programs.push_back(fd);
            write_to(fd, script);
            return;
        }
        if (m_programs.empty())
            return;
        const size_t index = script.u8() % m_programs.size();
        if (action == 1) {
            write_to(m_programs[index], script);
        } else {
            ::close(m_programs[index]);
            m_programs.erase(m_programs.begin() + static_cast<std::ptrdiff_t>(index));
        }
    }

    static void write_to(int fd, rvisor::fuzz::ScriptReader& script)
    {
        const auto bytes = script.bytes(script.u8());
        // A full socket buffer or a program the muxer already closed loses the bytes, as a
        // real program's would be.
        [[maybe_unused]] const ssize_t written
            = ::send(fd, bytes.data(), bytes.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    }

    rvisor::host::ListeningSocket m_listener;
    VirtioVsock m_vsock;
    std::vector<int> m_programs;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    rvisor::fuzz::run_virtio_device_script<FuzzedVsock>({ data, size });
    return 0;
}
