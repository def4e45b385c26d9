#include "host/tap_network.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace rvisor::host {

namespace {

// A frame as large as the tap interface's MTU can be set.
constexpr size_t kMaxFrameSize = 65536;

std::runtime_error open_error(const std::string& name, int error)
{
    std::string hint;
    if (error == EPERM)
        hint = " (needs CAP_NET_ADMIN)";
    else if (error == EACCES)
        hint = " (needs access to /dev/net/tun)";
    else if (error == ENOENT)
        hint = " (the host has no /dev/net/tun)";
    return std::runtime_error(
        "cannot open tap device '" + name + "': " + std::strerror(error) + hint);
}

} // namespace

TapNetwork::TapNetwork(const std::string& name)
    : m_name(name)
{
    ifreq request {};
    if (name.empty() || name.size() >= sizeof request.ifr_name) {
        throw std::runtime_error("tap interface name '" + name + "' is not 1 to "
            + std::to_string(sizeof request.ifr_name - 1) + " characters long");
    }
    std::memcpy(request.ifr_name, name.data(), name.size());
    request.ifr_flags = IFF_TAP | IFF_NO_PI;

    m_fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (m_fd < 0)
        throw open_error(name, errno);
    if (ioctl(m_fd, TUNSETIFF, &request) != 0) {
        int error = errno;
        ::close(m_fd);
        throw open_error(name, error);
    }
    m_name = request.ifr_name;
    m_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_stop_fd < 0) {
        int error = errno;
        ::close(m_fd);
        throw std::runtime_error(
            "cannot set up tap device '" + name + "': " + std::strerror(error));
    }
}

TapNetwork::~TapNetwork()
{
    stop();
    ::close(m_stop_fd);
    ::close(m_fd);
}

void TapNetwork::set_receiver(Receiver receiver) { m_receiver = std::move(receiver); }

void TapNetwork::start()
{
    if (m_thread.joinable())
        return;
    uint64_t count;
    // A stop() before this start() left the eventfd signalled.
    while (::read(m_stop_fd, &count, sizeof count) < 0 && errno == EINTR) { }
    m_thread = std::thread([this] { run(); });
}

void TapNetwork::stop()
{
    if (!m_thread.joinable())
        return;
    uint64_t one = 1;
    while (::write(m_stop_fd, &one, sizeof one) < 0 && errno == EINTR) { }
    m_thread.join();
}

void TapNetwork::send(std::span<const uint8_t> frame)
{
    // One write is one frame; a full queue (EAGAIN) or a down interface (EIO) drops it, as a
    // busy network would.
    while (::write(m_fd, frame.data(), frame.size()) < 0 && errno == EINTR) { }
}

void TapNetwork::set_receive_held(bool held)
{
    m_receive_held = held;
    if (!held)
        m_receive_released.raise();
}

void TapNetwork::run()
{
    std::vector<uint8_t> frame(kMaxFrameSize);
    pollfd fds[3]
        = { { m_stop_fd, POLLIN, 0 }, { m_receive_released.fd(), POLLIN, 0 }, { m_fd, POLLIN, 0 } };
    for (;;) {
        m_receive_released.clear();
        // While held, the device is not polled at all (not even for errors).
        const nfds_t polled = m_receive_held.load() ? 2 : 3;
        for (pollfd& fd : fds)
            fd.revents = 0;
        if (::poll(fds, polled, -1) < 0) {
            if (errno == EINTR)
                continue;
            std::fprintf(stderr, "rvisor: tap device '%s': poll failed: %s\n", m_name.c_str(),
                std::strerror(errno));
            return;
        }
        if (fds[0].revents & POLLIN)
            return;
        if (!(fds[2].revents & (POLLIN | POLLERR | POLLHUP)))
            continue;
        // Everything queued, so that one wake-up serves a burst, unless the guest is behind.
        while (!m_receive_held.load()) {
            ssize_t count = ::read(m_fd, frame.data(), frame.size());
            if (count > 0) {
                if (m_receiver)
                    m_receiver({ frame.data(), static_cast<size_t>(count) });
                continue;
            }
            if (count < 0 && errno == EINTR)
                continue;
            if (count < 0 && errno == EAGAIN)
                break;
            std::fprintf(stderr, "rvisor: tap device '%s' stopped: %s\n", m_name.c_str(),
                count == 0 ? "end of file" : std::strerror(errno));
            return;
        }
    }
}

} // namespace rvisor::host
