#include "mem/guest_ram.h"

#include "host/populate.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rvisor::mem {

namespace {

// The host's page size on x86-64: the unit in which memory is mapped, dropped and written out.
constexpr uint64_t kPageSize = 4096;

std::runtime_error system_error(const std::string& what)
{
    return std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

bool page_is_zero(const uint8_t* page)
{
    const uint64_t* words = reinterpret_cast<const uint64_t*>(page);
    uint64_t any = 0;
    for (size_t i = 0; i < kPageSize / sizeof(uint64_t); ++i)
        any |= words[i];
    return any == 0;
}

// Closes the descriptor and removes the temporary file unless released.
struct TemporaryFile {
    std::filesystem::path path;
    int fd = -1;
    ~TemporaryFile()
    {
        if (fd >= 0) {
            close(fd);
            unlink(path.c_str());
        }
    }
};

// Maps `size` bytes of `fd` at `flags` between two inaccessible guard regions, so that a host
// pointer computed from guest input that strays past either end of RAM faults at once instead
// of reaching a neighbouring mapping. Returns the start of RAM, or nullptr (errno set).
uint8_t* map_fenced(uint64_t size, int flags, int fd)
{
    const uint64_t total = size + 2 * GuestRam::kGuardSize;
    void* reserved
        = mmap(nullptr, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED)
        return nullptr;
    uint8_t* ram = static_cast<uint8_t*>(reserved) + GuestRam::kGuardSize;
    if (mmap(ram, size, PROT_READ | PROT_WRITE, flags | MAP_FIXED | MAP_NORESERVE, fd, 0)
        == MAP_FAILED) {
        const int error = errno;
        munmap(reserved, total);
        errno = error;
        return nullptr;
    }
    return ram;
}

} // namespace

GuestRam::GuestRam(uint64_t base, uint64_t size)
    : m_base(base)
    , m_size(size)
{
    m_memfd = memfd_create("rvisor-guest-ram", MFD_CLOEXEC);
    if (m_memfd < 0)
        throw system_error("cannot create the guest RAM's memory file");
    if (ftruncate(m_memfd, static_cast<off_t>(size)) != 0) {
        auto error = system_error(fmt::format("cannot size {} MiB of guest RAM", size >> 20));
        close(m_memfd);
        throw error;
    }
    m_host = map_fenced(size, MAP_SHARED, m_memfd);
    if (!m_host) {
        auto error = system_error(fmt::format("cannot map {} MiB of guest RAM", size >> 20));
        close(m_memfd);
        throw error;
    }
    m_populated = std::make_unique<std::atomic<uint64_t>[]>((size / kPopulateChunk + 63) / 64);
}

GuestRam::GuestRam(uint64_t base, uint64_t size, const std::filesystem::path& memory_file)
    : m_base(base)
    , m_size(size)
{
    const int fd = open(memory_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw system_error(fmt::format("cannot open memory file '{}'", memory_file.string()));
    struct stat status { };
    if (fstat(fd, &status) != 0 || !S_ISREG(status.st_mode)) {
        close(fd);
        throw std::runtime_error(
            fmt::format("memory file '{}' is not a regular file", memory_file.string()));
    }
    if (static_cast<uint64_t>(status.st_size) != size) {
        close(fd);
        throw std::runtime_error(
            fmt::format("memory file '{}' is {} bytes, but the snapshot's guest RAM is {} bytes",
                memory_file.string(), status.st_size, size));
    }
    m_host = map_fenced(size, MAP_PRIVATE, fd);
    const int error = errno;
    close(fd); // the mapping keeps the file
    if (!m_host) {
        errno = error;
        throw system_error(fmt::format("cannot map memory file '{}'", memory_file.string()));
    }
}

GuestRam::~GuestRam()
{
    munmap(m_host - kGuardSize, m_size + 2 * kGuardSize);
    if (m_memfd >= 0)
        close(m_memfd);
}

std::span<uint8_t> GuestRam::span(uint64_t address, uint64_t length) const
{
    if (!contains(address, length))
        return {};
    return { pointer(address), length };
}

void GuestRam::populate_around(uint64_t page) const
{
    if (!m_populated)
        return;
    const uint64_t chunk = (page - m_base) / kPopulateChunk;
    const uint64_t bit = uint64_t { 1 } << (chunk % 64);
    auto& word = m_populated[chunk / 64];
    if (word.load(std::memory_order_relaxed) & bit)
        return;
    word.fetch_or(bit, std::memory_order_relaxed);
    const uint64_t start = chunk * kPopulateChunk;
    host::populate_for_writing(m_host + start, std::min(kPopulateChunk, m_size - start));
}

bool GuestRam::discard(uint64_t address, uint64_t length)
{
    if (!contains(address, length))
        return false;
    const uint64_t offset = address - m_base;
    const uint64_t begin = (offset + kPageSize - 1) & ~(kPageSize - 1);
    const uint64_t end = (offset + length) & ~(kPageSize - 1);
    if (begin >= end)
        return true;
    // Both calls only advise: when the host cannot drop the pages, the guest loses nothing and
    // the host merely keeps the memory, so a failure is not an error.
    if (m_memfd >= 0) {
        // The pages belong to the memfd: unmapping alone (MADV_DONTNEED) would keep them.
        fallocate(m_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(begin),
            static_cast<off_t>(end - begin));
    } else {
        madvise(m_host + begin, end - begin, MADV_DONTNEED);
    }
    return true;
}

uint64_t GuestRam::write_to_file(const std::filesystem::path& path) const
{
    TemporaryFile file { path.string() + ".tmp" };
    file.fd = open(file.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (file.fd < 0)
        throw system_error(fmt::format("cannot write memory file '{}'", path.string()));
    if (ftruncate(file.fd, static_cast<off_t>(m_size)) != 0)
        throw system_error(fmt::format("cannot write memory file '{}'", path.string()));

    uint64_t written = 0;
    auto write_range = [&](uint64_t begin, uint64_t end) {
        // Runs of non-zero pages, each written with one call.
        uint64_t run = begin;
        for (uint64_t page = begin; page <= end; page += kPageSize) {
            if (page < end && !page_is_zero(m_host + page))
                continue;
            for (uint64_t offset = run; offset < page;) {
                const ssize_t count
                    = pwrite(file.fd, m_host + offset, page - offset, static_cast<off_t>(offset));
                if (count <= 0)
                    throw system_error(fmt::format("cannot write memory file '{}'", path.string()));
                offset += static_cast<uint64_t>(count);
                written += static_cast<uint64_t>(count);
            }
            run = page + kPageSize;
        }
    };
    if (m_memfd >= 0) {
        // Only where the guest ever touched RAM: the rest of the memfd is a hole.
        off_t position = 0;
        while (static_cast<uint64_t>(position) < m_size) {
            const off_t data = lseek(m_memfd, position, SEEK_DATA);
            if (data < 0)
                break; // ENXIO: no data after position
            off_t hole = lseek(m_memfd, data, SEEK_HOLE);
            if (hole < 0)
                hole = static_cast<off_t>(m_size);
            const uint64_t begin = static_cast<uint64_t>(data) & ~(kPageSize - 1);
            const uint64_t end = std::min<uint64_t>(
                (static_cast<uint64_t>(hole) + kPageSize - 1) & ~(kPageSize - 1), m_size);
            write_range(begin, end);
            position = static_cast<off_t>(end);
        }
    } else {
        write_range(0, m_size);
    }
    if (fsync(file.fd) != 0)
        throw system_error(fmt::format("cannot write memory file '{}'", path.string()));
    if (rename(file.path.c_str(), path.c_str()) != 0)
        throw system_error(fmt::format("cannot write memory file '{}'", path.string()));
    close(file.fd);
    file.fd = -1;
    return written;
}

} // namespace rvisor::mem
