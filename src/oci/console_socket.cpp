#include "oci/console_socket.h"

#include "host/unix_socket.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

namespace rvisor::oci {

// A pseudo-terminal pair whose master goes to the engine through --console-socket, as runc
// sends it: one SCM_RIGHTS message whose data is the terminal's name.
int send_terminal(const std::filesystem::path& console_socket)
{
    const int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0)
        throw std::runtime_error(fmt::format("cannot make a terminal: {}", std::strerror(errno)));
    const char* name = ::ptsname(master);
    const int slave = ::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0)
        throw std::runtime_error(fmt::format("cannot open {}: {}", name, std::strerror(errno)));
    // The guest's terminal does the line discipline; this one passes bytes through.
    termios settings {};
    ::tcgetattr(slave, &settings);
    ::cfmakeraw(&settings);
    ::tcsetattr(slave, TCSANOW, &settings);
    const int connection = host::connect_unix_socket(console_socket);
    if (connection < 0)
        throw std::runtime_error(fmt::format("cannot connect to the console socket {}: {}",
            console_socket.string(), std::strerror(errno)));
    const std::string data(name);
    iovec payload { const_cast<char*>(data.data()), data.size() };
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] {};
    msghdr message {};
    message.msg_iov = &payload;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(header), &master, sizeof master);
    const bool sent = ::sendmsg(connection, &message, MSG_NOSIGNAL) >= 0;
    const int saved = errno;
    ::close(connection);
    ::close(master);
    if (!sent)
        throw std::runtime_error(fmt::format("cannot send the terminal: {}", std::strerror(saved)));
    return slave;
}

} // namespace rvisor::oci
