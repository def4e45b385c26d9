#include "host/last_line.h"

#include <fstream>

namespace rvisor::host {

std::string last_line_of(const std::filesystem::path& path)
{
    std::ifstream file(path);
    std::string line, last;
    while (std::getline(file, line)) {
        // A console's lines end in CR LF.
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (!line.empty())
            last = line;
    }
    return last;
}

} // namespace rvisor::host
