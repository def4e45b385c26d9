#pragma once
// A detached VM's console on a Unix socket (mode 0600): the client attached to it (one at a
// time; `rvisor vm console`) sees the guest's output live and types its input, as on a serial
// line. Nothing waits for the client: output that does not fit in the socket is dropped (the
// console log keeps it).
#include "host/unix_socket.h"

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <vector>

namespace rvisor::host {

class ConsoleSocket {
public:
    // Throws std::runtime_error with one sentence.
    explicit ConsoleSocket(const std::filesystem::path& path);
    // Closes the client and removes the socket file.
    ~ConsoleSocket();
    ConsoleSocket(const ConsoleSocket&) = delete;
    ConsoleSocket& operator=(const ConsoleSocket&) = delete;

    // Thread-safe: to the attached client, if any.
    void write(const uint8_t* bytes, size_t length);
    // Waits up to timeout_ms (-1: for as long as it takes) for a client to attach, detach or
    // type, or for one of `wake_fds` to become readable; returns what the client typed.
    std::vector<uint8_t> read(int timeout_ms, std::span<const int> wake_fds = {});

private:
    void drop_client();

    std::filesystem::path m_path;
    ListeningSocket m_socket;
    std::mutex m_mutex;
    int m_client = -1;
};

} // namespace rvisor::host
