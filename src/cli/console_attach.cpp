#include "cli/console_attach.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <poll.h>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

namespace rvisor::cli {

namespace {

constexpr uint8_t kEscape = 0x01; // Ctrl-A, as `rvisor run`'s console

int connect_console(const std::filesystem::path& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    if (path.native().size() >= sizeof(address.sun_path))
        throw std::runtime_error("the console socket's path is too long: " + path.string());
    std::memcpy(address.sun_path, path.c_str(), path.native().size() + 1);
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0
        || ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        const int error = errno;
        if (fd >= 0)
            ::close(fd);
        throw std::runtime_error(fmt::format(
            "cannot attach to the console {}: {}", path.string(), std::strerror(error)));
    }
    return fd;
}

bool write_all(int fd, const uint8_t* bytes, size_t length)
{
    while (length > 0) {
        const ssize_t written = ::write(fd, bytes, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes += written;
        length -= static_cast<size_t>(written);
    }
    return true;
}

// The terminal in raw mode for as long as this lives, so that keys reach the guest as typed.
class RawTerminal {
public:
    RawTerminal()
    {
        termios mode;
        if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &mode) == 0) {
            m_saved = mode;
            cfmakeraw(&mode);
            mode.c_oflag |= OPOST | ONLCR;
            tcsetattr(STDIN_FILENO, TCSANOW, &mode);
        }
    }
    ~RawTerminal()
    {
        if (m_saved)
            tcsetattr(STDIN_FILENO, TCSANOW, &*m_saved);
    }
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

private:
    std::optional<termios> m_saved;
};

} // namespace

void attach_console(const std::filesystem::path& socket, const std::string& vm_id)
{
    const int console = connect_console(socket);
    fmt::print(stderr, "rvisor: attached to the console of VM {}; Ctrl-A d detaches\r\n", vm_id);
    RawTerminal terminal;
    bool escape = false;
    for (;;) {
        pollfd descriptors[2] = { { STDIN_FILENO, POLLIN, 0 }, { console, POLLIN, 0 } };
        if (poll(descriptors, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        uint8_t buffer[4096];
        if (descriptors[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t count = ::read(console, buffer, sizeof buffer);
            if (count <= 0) {
                fmt::print(stderr, "\r\nrvisor: the console of VM {} closed\r\n", vm_id);
                break;
            }
            write_all(STDOUT_FILENO, buffer, static_cast<size_t>(count));
        }
        if (descriptors[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            const ssize_t count = ::read(STDIN_FILENO, buffer, sizeof buffer);
            if (count <= 0)
                break;
            std::basic_string<uint8_t> typed;
            bool detach = false;
            for (ssize_t i = 0; i < count && !detach; ++i) {
                const uint8_t byte = buffer[i];
                if (escape) {
                    escape = false;
                    if (byte == 'd' || byte == 'D')
                        detach = true;
                    else if (byte == kEscape)
                        typed += kEscape;
                } else if (byte == kEscape) {
                    escape = true;
                } else {
                    typed += byte;
                }
            }
            if (!write_all(console, typed.data(), typed.size()) || detach) {
                if (detach)
                    fmt::print(stderr, "\r\nrvisor: detached; VM {} runs on\r\n", vm_id);
                break;
            }
        }
    }
    ::close(console);
}

} // namespace rvisor::cli
