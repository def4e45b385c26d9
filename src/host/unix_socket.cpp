#include "host/unix_socket.h"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace rvisor::host {

namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& reason)
{
    throw std::runtime_error("Cannot create the socket " + path.string() + ": " + reason + ".");
}

std::string error_text(int error) { return std::strerror(error); }

sockaddr_un socket_address(const std::filesystem::path& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const auto& name = path.native();
    if (name.empty())
        fail(path, "the path is empty");
    if (name.size() >= sizeof(address.sun_path))
        fail(path,
            "the path is longer than " + std::to_string(sizeof(address.sun_path) - 1)
                + " bytes, the limit for Unix sockets");
    std::memcpy(address.sun_path, name.c_str(), name.size() + 1);
    return address;
}

// A socket file outlives a process that crashed; replacing it is fine when nobody answers on it,
// but anything else at the path belongs to someone and stays.
void remove_stale_socket(const std::filesystem::path& path, const sockaddr_un& address)
{
    struct stat status { };
    if (lstat(path.c_str(), &status) != 0) {
        if (errno == ENOENT)
            return;
        fail(path, error_text(errno));
    }
    if (!S_ISSOCK(status.st_mode))
        fail(path, "a file that is not a socket is already there");

    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        fail(path, error_text(errno));
    int result = connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    int connect_error = errno;
    close(probe);
    if (result == 0)
        fail(path, "another process is listening on it");
    if (connect_error != ECONNREFUSED)
        fail(path,
            "cannot tell whether the socket already there is in use: " + error_text(connect_error));
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
        fail(path, "cannot remove the stale socket already there: " + error_text(errno));
}

} // namespace

ListeningSocket create_listening_socket(const std::filesystem::path& path)
{
    auto address = socket_address(path);
    remove_stale_socket(path, address);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        fail(path, error_text(errno));
    // bind() creates the file with the umask applied, and fchmod() on an unbound socket does not
    // reach the file, so the umask is the only way to have no moment in which others may
    // connect. umask is per process: a file another thread creates meanwhile gets at most 0600,
    // which is safe.
    mode_t old_mask = umask(0177);
    int bound = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    int bind_error = errno;
    umask(old_mask);
    if (bound != 0) {
        close(fd);
        fail(path, error_text(bind_error));
    }
    struct stat status { };
    if (lstat(path.c_str(), &status) != 0 || listen(fd, SOMAXCONN) != 0) {
        int error = errno;
        close(fd);
        unlink(path.c_str());
        fail(path, error_text(error));
    }
    return { fd, status.st_dev, status.st_ino };
}

void remove_listening_socket(const std::filesystem::path& path, const ListeningSocket& socket)
{
    ::close(socket.fd);
    // The file may have been removed meanwhile and the path reused by someone else.
    struct stat status { };
    if (lstat(path.c_str(), &status) == 0 && status.st_dev == socket.device
        && status.st_ino == socket.inode)
        unlink(path.c_str());
}

int connect_unix_socket(const std::filesystem::path& path, ConnectMode mode)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    const auto& name = path.native();
    if (name.size() >= sizeof(address.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    std::memcpy(address.sun_path, name.c_str(), name.size() + 1);
    const int fd = ::socket(AF_UNIX,
        SOCK_STREAM | SOCK_CLOEXEC | (mode == ConnectMode::WithoutWaiting ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        return -1;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

} // namespace rvisor::host
