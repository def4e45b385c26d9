#pragma once
// Listening Unix sockets for rvisor's APIs and consoles: created mode 0600 with no moment in
// which anyone else may connect, replacing only a stale socket, and removed only if the file
// is still the one that was made.
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

} // namespace rvisor::host
