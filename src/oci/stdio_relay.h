#pragma once
// Copies bytes one way between two descriptors on a thread of its own until the source ends,
// then ends the destination's writing side: the container's stdio between the descriptors
// `create` was given and the agent's streams.
#include <thread>

namespace rvisor::oci {

class StdioRelay {
public:
    // Takes ownership of neither descriptor; `close_destination` closes it at the end (a
    // stream whose end the agent must see), otherwise it is shut down for writing if a socket.
    StdioRelay(int source, int destination, bool close_destination);
    ~StdioRelay();
    StdioRelay(const StdioRelay&) = delete;
    StdioRelay& operator=(const StdioRelay&) = delete;

    // Waits until the source has ended and every byte was written.
    void join();

private:
    std::thread m_thread;
};

} // namespace rvisor::oci
