#include "host/atomic_file.h"

#include <fmt/format.h>

#include <fstream>
#include <stdexcept>

namespace rvisor::host {

void write_file_atomically(const std::filesystem::path& path, std::string_view text)
{
    const std::filesystem::path temporary = fmt::format("{}.tmp", path.string());
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        if (!out.flush())
            throw std::runtime_error(fmt::format("cannot write {}", path.string()));
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error)
        throw std::runtime_error(
            fmt::format("cannot write {}: {}", path.string(), error.message()));
}

} // namespace rvisor::host
