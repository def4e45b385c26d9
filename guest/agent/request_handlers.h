// What each method does, on typed requests: no JSON here (rpc_server.cpp decodes and encodes).
#pragma once

#include "process_table.h"
#include "protocol.h"

#include <functional>
#include <variant>

namespace rvisor::agent {

struct Outcome {
    std::variant<Result, CallError> reply;
    // The connection's last use, after the reply is sent (a stdio stream, powering off); the
    // connection closes when it returns.
    std::function<void(int socket)> after_reply;
};

class RequestHandlers {
public:
    explicit RequestHandlers(ProcessTable& processes)
        : m_processes(processes)
    {
    }

    // socket is the request's connection (an OpenStdio stream takes it over).
    Outcome handle(const Call& call, int socket);

private:
    Outcome open_stdio(const OpenStdio& request, int socket);
    static Outcome refresh(const Refresh& request);
    static Outcome power_off();

    ProcessTable& m_processes;
};

} // namespace rvisor::agent
