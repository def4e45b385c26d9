#include "accept_connection.h"

#include "power.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <thread>

namespace rvisor::agent {

int accept_connection(int listener, std::string_view what)
{
    for (;;) {
        const int connection = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
        if (connection >= 0)
            return connection;
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOMEM || errno == ENOBUFS) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            continue;
        }
        fail(std::string(what) + " failed: " + std::strerror(errno));
    }
}

} // namespace rvisor::agent
