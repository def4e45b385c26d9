#include "oci/network_namespace.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <unistd.h>

namespace rvisor::oci {

NetworkNamespace::NetworkNamespace(const std::filesystem::path& path)
    : m_path(path)
{
    m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (m_fd < 0) {
        if (errno == ENOENT)
            throw std::runtime_error(
                fmt::format("config.json: the network namespace {} does not exist", path.string()));
        throw std::runtime_error(
            fmt::format("config.json: cannot open the network namespace {}: {}", path.string(),
                std::strerror(errno)));
    }
    // Any other file fails the ioctl (ENOTTY) or names another kind of namespace.
    if (::ioctl(m_fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
        ::close(m_fd);
        throw std::runtime_error(
            fmt::format("config.json: {} is not a network namespace", path.string()));
    }
}

NetworkNamespace::~NetworkNamespace() { ::close(m_fd); }

bool NetworkNamespace::enter() const { return ::setns(m_fd, CLONE_NEWNET) == 0; }

} // namespace rvisor::oci
