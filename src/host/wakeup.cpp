#include "host/wakeup.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <sys/eventfd.h>
#include <unistd.h>

namespace rvisor::host {

Wakeup::Wakeup()
    : m_fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
    if (m_fd < 0)
        throw std::runtime_error(fmt::format("cannot make an eventfd: {}", std::strerror(errno)));
}

Wakeup::~Wakeup() { ::close(m_fd); }

void Wakeup::raise() const
{
    const uint64_t one = 1;
    // Only a full counter fails, and a full counter is readable anyway.
    [[maybe_unused]] const ssize_t written = ::write(m_fd, &one, sizeof one);
}

void Wakeup::clear() const
{
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t read = ::read(m_fd, &count, sizeof count);
}

} // namespace rvisor::host
