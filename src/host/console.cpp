#include "host/console.h"

#include "host/write_all.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace rvisor::host {

namespace {

constexpr uint8_t kEscape = 0x01; // Ctrl-A
constexpr std::string_view kHelp = "\r\nC-a h    print this help\r\n"
                                   "C-a x    exit rvisor\r\n"
                                   "C-a C-a  send C-a to the guest\r\n";

} // namespace

Console::Console(int input_fd, int output_fd)
    : m_input_fd(input_fd)
    , m_output_fd(output_fd)
    , m_terminal(input_fd)
{
}

Console::Console(int input_fd, ConsoleLog& log, ConsoleSocket* attach)
    : Console(input_fd, -1)
{
    m_log = &log;
    m_attach = attach;
}

void Console::write(uint8_t byte)
{
    if (m_log) {
        m_log->write(&byte, 1);
        if (m_attach)
            m_attach->write(&byte, 1);
        return;
    }
    std::lock_guard lock(m_output_mutex);
    // A reader gone away loses the guest's output, which has nowhere else to go.
    write_all(m_output_fd, &byte, 1);
}

Console::Input Console::read(int timeout_ms, std::span<const int> wake_fds)
{
    Input input;
    if (m_attach) {
        input.bytes = m_attach->read(timeout_ms, wake_fds);
        return input;
    }
    std::vector<pollfd> descriptors;
    for (int fd : wake_fds)
        descriptors.push_back({ fd, POLLIN, 0 });
    if (m_input_open)
        descriptors.push_back({ m_input_fd, POLLIN, 0 });
    else
        input.closed = true;
    if (poll(descriptors.data(), descriptors.size(), timeout_ms) <= 0 || !m_input_open
        || descriptors.back().revents == 0)
        return input;
    uint8_t buffer[256];
    ssize_t count = ::read(m_input_fd, buffer, sizeof buffer);
    if (count <= 0) {
        if (count < 0 && (errno == EINTR || errno == EAGAIN))
            return input;
        m_input_open = false;
        input.closed = true;
        return input;
    }
    for (ssize_t i = 0; i < count; ++i) {
        const uint8_t byte = buffer[i];
        if (!m_terminal.active()) {
            input.bytes.push_back(byte);
            continue;
        }
        if (m_escape_pending) {
            m_escape_pending = false;
            if (byte == 'x' || byte == 'X') {
                input.quit = true;
            } else if (byte == 'h' || byte == 'H') {
                std::lock_guard lock(m_output_mutex);
                write_all(m_output_fd, kHelp.data(), kHelp.size());
            } else if (byte == kEscape) {
                input.bytes.push_back(kEscape);
            }
            continue;
        }
        if (byte == kEscape)
            m_escape_pending = true;
        else
            input.bytes.push_back(byte);
    }
    return input;
}

} // namespace rvisor::host
