#include "stdio_streams.h"

#include <cerrno>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::agent {

namespace {

constexpr size_t chunk_size = 64 * 1024;

// Reads once, retrying interruptions; 0 at the end. A pty's master reads EIO once the process
// side is closed: that is its end too.
ssize_t read_some(int fd, char* buffer, size_t size)
{
    for (;;) {
        ssize_t got = read(fd, buffer, size);
        if (got >= 0)
            return got;
        if (errno == EINTR)
            continue;
        return errno == EIO ? 0 : -1;
    }
}

bool write_all(int fd, const char* data, size_t size, bool is_socket)
{
    while (size > 0) {
        ssize_t put = is_socket ? send(fd, data, size, MSG_NOSIGNAL) : write(fd, data, size);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        data += put;
        size -= static_cast<size_t>(put);
    }
    return true;
}

} // namespace

void copy_output_to_socket(int output, int socket)
{
    char buffer[chunk_size];
    bool host_reads = true;
    for (;;) {
        ssize_t got = read_some(output, buffer, sizeof buffer);
        if (got <= 0)
            break;
        if (host_reads)
            host_reads = write_all(socket, buffer, static_cast<size_t>(got), true);
    }
    shutdown(socket, SHUT_WR);
}

void copy_socket_to_input(int socket, int input)
{
    char buffer[chunk_size];
    for (;;) {
        ssize_t got = recv(socket, buffer, sizeof buffer, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0 || !write_all(input, buffer, static_cast<size_t>(got), false))
            return;
    }
}

} // namespace rvisor::agent
