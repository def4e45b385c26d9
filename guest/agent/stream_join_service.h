// The stream join service on vsock port 1025 (docs/agent-protocol.md): each host connection
// names a TCP port of the guest (stream_join_header.h), the agent connects to the server
// listening there and joins the two connections into one stream. This is how the host's port
// forwards, and any host program, reach the guest's servers without the guest's network.
#pragma once

#include "unique_fd.h"

#include <atomic>
#include <cstddef>

namespace rvisor::agent {

class StreamJoinService {
public:
    // Streams joined at once; one more is refused with EAGAIN, so a host that opens
    // connections without end cannot take every thread and descriptor of the agent.
    static constexpr unsigned kMaxStreams = 128;

    explicit StreamJoinService(UniqueFd listener)
        : m_listener(std::move(listener))
    {
    }

    // Serves on a thread of its own, for the agent's lifetime.
    void start();

private:
    [[noreturn]] void serve();
    void join(UniqueFd connection);

    UniqueFd m_listener;
    std::atomic<unsigned> m_streams { 0 };
};

} // namespace rvisor::agent
