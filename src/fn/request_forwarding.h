#pragma once
// The function gateway's relay of one call: the client's request, as httplib has read it, goes to
// the function's server over a connected stream, and the reply streams back through httplib as
// the function sends it.
#include "host/unique_fd.h"

#include <httplib.h>

#include <chrono>
#include <functional>
#include <string>

namespace rvisor::fn {

// What the gateway knows of the request beyond httplib's view of it.
struct ForwardTarget {
    // The request target the function sees: the path below /fn/NAME (at least "/"), and
    // "?query" when the request had one, bytes as they came (httplib's `path` is decoded and its
    // `params` merge the query with a form body).
    std::string path_and_query;
};

// Writes `request` to `stream` (a connected stream socket, closed once the exchange is over) as
// HTTP/1.1: the method, `target.path_and_query`, the headers as they came but for the hop-by-hop
// ones (RFC 9110 7.6.1, and those the Connection header names) and Expect (httplib has answered
// it), the Content-Length of the body httplib has read, `Connection: close`, X-Forwarded-For (the
// client's address added to the list the request had), X-Forwarded-Proto and X-Forwarded-Host.
// Then reads the reply's head with http-parser, skipping interim (1xx) replies, and sets
// `response`: the status, the headers as they came but for the hop-by-hop ones and the framing
// (httplib frames the reply itself), and a content provider that relays the body as it arrives:
// with the reply's Content-Length when it had one, chunked otherwise. HEAD requests and 204 and
// 304 replies have no body. The request's ranges are dropped (the function has applied them), and
// an error reply is marked with api::kRelayedReplyField so that it goes as the function made it.
//
// `done` (which must not throw) is called exactly once, when the exchange with the function is
// over: true once its whole reply has been read (the gateway may still be sending it on to the
// client), false when the exchange failed before that. Before the
// reply's head that is also an api::ApiError thrown: 502 when the function closed the connection
// or its reply is not HTTP/1.x (or has a status outside 100 to 599), 504 when it did not take the
// request or reply within `timeout`, 415 for a multipart/form-data request (httplib keeps no copy
// of such a body), 400 for a `path_and_query` that is not a path or has a space or a control
// character. After the head the content provider fails and httplib drops the client's connection.
// Every wait for the function lasts at most `timeout`, so a stuck function cannot hold a gateway
// thread.
void forward_request(host::UniqueFd stream, const httplib::Request& request,
    const ForwardTarget& target, httplib::Response& response, std::chrono::milliseconds timeout,
    std::function<void(bool complete)> done);

} // namespace rvisor::fn
