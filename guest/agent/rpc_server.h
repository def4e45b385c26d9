// The agent's side of the protocol: accepts connections, reads frames, decodes requests, hands
// them to the handlers and sends their replies.
#pragma once

#include "request_handlers.h"
#include "unique_fd.h"

namespace rvisor::agent {

// A thread per connection. A connection's calls may block for as long as a process runs
// (WaitProcess) or carry a stdio stream until its end; a thread each keeps those straight-line
// code instead of state machines, and must only block its own connection. A container VM has
// tens of connections, not thousands, and the threads share one thing, the process table, under
// its one mutex.
class RpcServer {
public:
    RpcServer(UniqueFd listener, RequestHandlers& handlers)
        : m_listener(std::move(listener))
        , m_handlers(handlers)
    {
    }

    [[noreturn]] void serve();

private:
    void serve_connection(UniqueFd connection);

    UniqueFd m_listener;
    RequestHandlers& m_handlers;
};

} // namespace rvisor::agent
