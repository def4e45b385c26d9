#pragma once
// The gateway's side of one invocation: the client's request written to the function's server
// over a stream the agent joined to it, and the server's reply streamed back to the client as
// it arrives (docs/serverless.md, "Requests").
#include "host/unique_fd.h"

#include <httplib.h>

#include <chrono>
#include <functional>
#include <string>

namespace rvisor::fn {

struct ForwardTarget {
    // The request target the function sees: the path below /fn/NAME (at least "/") and the
    // query, bytes as they came.
    std::string path_and_query;
};

// Writes `request` to `stream` as HTTP/1.1: its method, `target`, its headers but the hop-by-hop
// ones, the body httplib has read (with its length), `Connection: close` and X-Forwarded-For,
// -Proto and -Host. Reads the reply's head within `timeout`, and makes `response` the reply:
// its status and headers, and its body streamed from the server as httplib sends it on.
// `done` is called once, when the exchange is over: true when the reply was relayed whole.
// Throws api::ApiError 502 when the server closed the stream or answered with something that
// is not HTTP, 504 when it did not answer within `timeout` (`done` has been called with false).
void forward_request(host::UniqueFd stream, const httplib::Request& request,
    const ForwardTarget& target, httplib::Response& response, std::chrono::milliseconds timeout,
    std::function<void(bool complete)> done);

} // namespace rvisor::fn
