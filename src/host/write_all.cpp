#include "host/write_all.h"

#include <cerrno>
#include <cstdint>
#include <unistd.h>

namespace rvisor::host {

bool write_all(int fd, const void* data, size_t length)
{
    const auto* bytes = static_cast<const uint8_t*>(data);
    while (length > 0) {
        const ssize_t written = ::write(fd, bytes, length);
        if (written < 0 && errno == EINTR)
            continue;
        if (written <= 0)
            return false;
        bytes += written;
        length -= static_cast<size_t>(written);
    }
    return true;
}

} // namespace rvisor::host
