#include "socket_relay.h"

#include <cerrno>
#include <sys/socket.h>
#include <system_error>
#include <thread>

namespace rvisor::agent {

namespace {

constexpr size_t kBufferSize = 64 * 1024;

// Copies until `from` ends, then ends `to`'s sending side; false on an error either side.
bool copy_until_end(int from, int to)
{
    char buffer[kBufferSize];
    for (;;) {
        ssize_t got = recv(from, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return false;
        if (got == 0) {
            shutdown(to, SHUT_WR);
            return true;
        }
        for (ssize_t sent = 0; sent < got;) {
            ssize_t put = send(to, buffer + sent, static_cast<size_t>(got - sent), MSG_NOSIGNAL);
            if (put < 0 && errno == EINTR)
                continue;
            if (put <= 0)
                return false;
            sent += put;
        }
    }
}

// After an error one way, the other way must not wait for bytes that will never come: shutting
// both sockets down wakes its recv.
void end_both(int first, int second)
{
    shutdown(first, SHUT_RDWR);
    shutdown(second, SHUT_RDWR);
}

} // namespace

void relay_both_ways(int first, int second)
{
    std::thread backward;
    try {
        backward = std::thread([first, second] {
            if (!copy_until_end(second, first))
                end_both(first, second);
        });
    } catch (const std::system_error&) {
        return; // no thread for the second direction: the caller closes both, ending the stream
    }
    if (!copy_until_end(first, second))
        end_both(first, second);
    backward.join();
}

} // namespace rvisor::agent
