#pragma once
// Unix sockets for rvisor's APIs and consoles. Listening ones are created mode 0600 with no
// moment in which anyone else may connect, replace only a stale socket, and are removed only if
// the file is still the one that was made.
#include <sys/types.h>

#include <filesystem>

namespace rvisor::host {

struct ListeningSocket {
    int fd = -1;
    dev_t device = 0;
    ino_t inode = 0;
};

// Binds and listens on `path`. Throws std::runtime_error with one sentence.
ListeningSocket create_listening_socket(const std::filesystem::path& path);
// Closes the socket and removes its file, unless the path now names another file.
void remove_listening_socket(const std::filesystem::path& path, const ListeningSocket& socket);

// A connected stream socket to `path` (close-on-exec), or -1 with errno set (ENAMETOOLONG for a
// path too long for a Unix socket). Without waiting, the socket is non-blocking and a listener
// whose backlog is full fails the call (EAGAIN) instead of holding it up.
enum class ConnectMode { Waiting, WithoutWaiting };
int connect_unix_socket(const std::filesystem::path& path, ConnectMode mode = ConnectMode::Waiting);

} // namespace rvisor::host
