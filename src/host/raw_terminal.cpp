#include "host/raw_terminal.h"

#include <unistd.h>

namespace rvisor::host {

RawTerminal::RawTerminal(int fd)
    : m_fd(fd)
{
    termios mode;
    if (isatty(fd) && tcgetattr(fd, &mode) == 0) {
        m_saved_mode = mode;
        cfmakeraw(&mode);
        mode.c_oflag |= OPOST | ONLCR;
        tcsetattr(fd, TCSANOW, &mode);
    }
}

RawTerminal::~RawTerminal()
{
    if (m_saved_mode)
        tcsetattr(m_fd, TCSANOW, &*m_saved_mode);
}

} // namespace rvisor::host
