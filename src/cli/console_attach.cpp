#include "cli/console_attach.h"

#include "host/raw_terminal.h"
#include "host/unix_socket.h"
#include "host/write_all.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <stdexcept>
#include <string_view>
#include <unistd.h>

namespace rvisor::cli {

namespace {

constexpr uint8_t kEscape = 0x01; // Ctrl-A, as `rvisor run`'s console

int connect_console(const std::filesystem::path& path)
{
    const int fd = host::connect_unix_socket(path);
    if (fd < 0)
        throw std::runtime_error(fmt::format(
            "cannot attach to the console {}: {}", path.string(), std::strerror(errno)));
    return fd;
}

} // namespace

void attach_console(const std::filesystem::path& socket, const std::string& vm_id)
{
    const int console = connect_console(socket);
    fmt::print(stderr, "rvisor: attached to the console of VM {}; Ctrl-A d detaches\r\n", vm_id);
    host::RawTerminal terminal(STDIN_FILENO);
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
            host::write_all(STDOUT_FILENO, buffer, static_cast<size_t>(count));
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
            if (!host::write_all(console, typed.data(), typed.size()) || detach) {
                if (detach)
                    fmt::print(stderr, "\r\nrvisor: detached; VM {} runs on\r\n", vm_id);
                break;
            }
        }
    }
    ::close(console);
}

} // namespace rvisor::cli
