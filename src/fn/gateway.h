#pragma once
// The function gateway (`rvisor serve --http ADDR:PORT`): HTTP/1.1 on TCP, every request to
// /fn/NAME/PATH handed to the function platform, which answers it from an instance of NAME.
#include "fn/function_platform.h"

#include <cstdint>
#include <memory>
#include <string>

namespace rvisor::fn {

struct ListenAddress {
    std::string host;
    uint16_t port = 0;
};

// "ADDR:PORT" ("127.0.0.1:8080", "[::1]:8080", ":8080" for every address). Throws
// std::runtime_error with one sentence.
ListenAddress parse_listen_address(const std::string& text);

class Gateway {
public:
    // Listens at once (port 0 picks a free one); throws std::runtime_error when it cannot.
    Gateway(const ListenAddress& address, FunctionPlatform& platform);
    // Stops listening and waits for the requests being served.
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // "http://HOST:PORT", the port the gateway listens on.
    std::string base_url() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

// A gateway request target split: the function named by its second path segment (percent-decoded,
// as a client may encode any character), and the rest of the target, bytes as they came, that
// the function is asked for (at least "/").
struct FunctionTarget {
    std::string name;
    std::string path_and_query;
};

// Splits a request target that begins with "/fn/".
FunctionTarget function_target(const std::string& request_target);

} // namespace rvisor::fn
