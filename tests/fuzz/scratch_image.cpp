#include "scratch_image.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rvisor::fuzz {

ScratchImage::ScratchImage()
    : m_fd(memfd_create("rvisor-fuzz-disk", MFD_CLOEXEC))
{
    if (m_fd < 0)
        throw std::runtime_error(
            std::string("cannot create the scratch image: ") + std::strerror(errno));
    clear();
}

ScratchImage::~ScratchImage() { close(m_fd); }

void ScratchImage::clear() const
{
    if (ftruncate(m_fd, 0) != 0 || ftruncate(m_fd, static_cast<off_t>(kSize)) != 0)
        throw std::runtime_error(
            std::string("cannot size the scratch image: ") + std::strerror(errno));
}

std::string ScratchImage::path() const { return "/proc/self/fd/" + std::to_string(m_fd); }

} // namespace rvisor::fuzz
