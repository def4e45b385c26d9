#include "host/console_socket.h"

#include <cerrno>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::host {

ConsoleSocket::ConsoleSocket(const std::filesystem::path& path)
    : m_path(path)
    , m_socket(create_listening_socket(path))
{
}

ConsoleSocket::~ConsoleSocket()
{
    drop_client();
    remove_listening_socket(m_path, m_socket);
}

void ConsoleSocket::drop_client()
{
    std::lock_guard lock(m_mutex);
    if (m_client >= 0)
        ::close(m_client);
    m_client = -1;
}

void ConsoleSocket::write(const uint8_t* bytes, size_t length)
{
    std::lock_guard lock(m_mutex);
    if (m_client < 0)
        return;
    // Never blocks a hart on a slow client; MSG_NOSIGNAL: a client gone is noticed by read().
    while (length > 0) {
        const ssize_t sent = ::send(m_client, bytes, length, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent <= 0)
            return;
        bytes += sent;
        length -= static_cast<size_t>(sent);
    }
}

std::vector<uint8_t> ConsoleSocket::read(int timeout_ms, std::span<const int> wake_fds)
{
    int client = -1;
    {
        std::lock_guard lock(m_mutex);
        client = m_client;
    }
    std::vector<pollfd> descriptors { { m_socket.fd, POLLIN, 0 }, { client, POLLIN, 0 } };
    for (int fd : wake_fds)
        descriptors.push_back({ fd, POLLIN, 0 });
    // A negative descriptor is ignored by poll(), so no client is no entry.
    if (poll(descriptors.data(), descriptors.size(), timeout_ms) <= 0)
        return {};
    if (descriptors[0].revents & POLLIN) {
        const int accepted = ::accept4(m_socket.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (accepted >= 0) {
            // A new client takes over the console from the one before, as a re-attach would.
            drop_client();
            std::lock_guard lock(m_mutex);
            m_client = accepted;
        }
        return {};
    }
    if (client < 0 || descriptors[1].revents == 0)
        return {}; // woken
    std::vector<uint8_t> input(256);
    const ssize_t count = ::recv(client, input.data(), input.size(), MSG_DONTWAIT);
    if (count < 0 && (errno == EINTR || errno == EAGAIN))
        return {};
    if (count <= 0) {
        drop_client();
        return {};
    }
    input.resize(static_cast<size_t>(count));
    return input;
}

} // namespace rvisor::host
