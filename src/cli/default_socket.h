#pragma once
// Where `rvisor serve` listens and its clients (`rvisor vm`, `rvisor fn`) call, unless told:
// $XDG_RUNTIME_DIR/rvisor.sock, else /tmp/rvisor-UID.sock.
#include <cstdlib>
#include <string>
#include <unistd.h>

#include <fmt/format.h>

namespace rvisor::cli {

inline std::string default_socket()
{
    if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
        return std::string(runtime) + "/rvisor.sock";
    return fmt::format("/tmp/rvisor-{}.sock", getuid());
}

} // namespace rvisor::cli
