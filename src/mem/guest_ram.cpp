#include "mem/guest_ram.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace rvisor::mem {

GuestRam::GuestRam(uint64_t base, uint64_t size)
    : m_base(base)
    , m_size(size)
{
    void* host = mmap(
        nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        throw std::runtime_error("cannot reserve " + std::to_string(size >> 20)
            + " MiB of guest RAM: " + std::strerror(errno));
    }
    m_host = static_cast<uint8_t*>(host);
}

GuestRam::~GuestRam() { munmap(m_host, m_size); }

std::span<uint8_t> GuestRam::span(uint64_t address, uint64_t length) const
{
    if (!contains(address, length))
        return {};
    return { pointer(address), length };
}

} // namespace rvisor::mem
