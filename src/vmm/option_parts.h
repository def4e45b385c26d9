#pragma once
// The flags that take several settings in one text (--disk, --net, --vsock) separate them with
// commas, and some settings their own parts with colons.
#include <string>
#include <vector>

namespace rvisor::vmm {

// Every part, the empty ones too: "a,,b" is "a", "", "b"; "" is one empty part.
inline std::vector<std::string> split_option(const std::string& text, char separator)
{
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        const size_t end = text.find(separator, start);
        if (end == std::string::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, end - start));
        start = end + 1;
    }
}

} // namespace rvisor::vmm
