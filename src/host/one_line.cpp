#include "host/one_line.h"

#include <fmt/format.h>

namespace rvisor::host {

std::string one_line(const std::string& message)
{
    std::string line;
    for (unsigned char c : message) {
        if (c < 0x20 || c == 0x7f)
            line += fmt::format("\\x{:02x}", c);
        else
            line += static_cast<char>(c);
    }
    return line;
}

} // namespace rvisor::host
