#include "oci/pid_file.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace rvisor::oci {

void write_pid_file(const std::filesystem::path& file, pid_t pid)
{
    const auto path = std::filesystem::absolute(file);
    const auto temporary = path.parent_path() / fmt::format(".{}.tmp", path.filename().string());
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const std::string text = std::to_string(pid);
    const bool written
        = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0)
        ::close(fd);
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0)
        throw std::runtime_error(
            fmt::format("cannot write the pid file {}: {}", path.string(), std::strerror(errno)));
}

} // namespace rvisor::oci
