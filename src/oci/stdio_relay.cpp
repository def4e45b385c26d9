#include "oci/stdio_relay.h"

#include "host/write_all.h"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

void copy(int source, int destination, bool close_destination)
{
    char buffer[65536];
    for (;;) {
        const ssize_t count = ::read(source, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        // The end, or a reader gone away: the rest has nowhere to go.
        if (count <= 0 || !host::write_all(destination, buffer, static_cast<size_t>(count)))
            break;
    }
    if (close_destination)
        ::close(destination);
    else
        ::shutdown(destination, SHUT_WR);
}

} // namespace

StdioRelay::StdioRelay(int source, int destination, bool close_destination)
    : m_thread(copy, source, destination, close_destination)
{
}

StdioRelay::~StdioRelay()
{
    if (m_thread.joinable())
        m_thread.detach();
}

void StdioRelay::join()
{
    if (m_thread.joinable())
        m_thread.join();
}

} // namespace rvisor::oci
