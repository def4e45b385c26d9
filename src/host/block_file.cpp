#include "host/block_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rvisor::host {

namespace {

std::runtime_error open_error(const std::string& what, const std::string& path)
{
    return std::runtime_error(what + " disk image '" + path + "': " + std::strerror(errno));
}

} // namespace

BlockFile::BlockFile(const std::string& path, Access access)
    : m_read_only(access == Access::ReadOnly)
{
    m_fd = ::open(path.c_str(), (m_read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (m_fd < 0)
        throw open_error("cannot open", path);
    try {
        struct stat status;
        if (fstat(m_fd, &status) != 0)
            throw open_error("cannot examine", path);
        if (!S_ISREG(status.st_mode) && !S_ISBLK(status.st_mode)) {
            throw std::runtime_error(
                "disk image '" + path + "' is not a regular file or a block device");
        }
        if (flock(m_fd, (m_read_only ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK)
                throw std::runtime_error("disk image '" + path + "' is in use by another process");
            throw open_error("cannot lock", path);
        }
        // Seeking to the end measures block devices too, whose st_size is 0.
        off_t end = lseek(m_fd, 0, SEEK_END);
        if (end < 0)
            throw open_error("cannot measure", path);
        m_size = static_cast<uint64_t>(end);
    } catch (...) {
        ::close(m_fd);
        throw;
    }
}

BlockFile::~BlockFile() { ::close(m_fd); }

bool BlockFile::read(uint64_t offset, std::span<uint8_t> destination)
{
    while (!destination.empty()) {
        ssize_t count
            = pread(m_fd, destination.data(), destination.size(), static_cast<off_t>(offset));
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            return false;
        if (count == 0) {
            // The image shrank under us (someone truncated it): there is nothing to read.
            errno = EIO;
            return false;
        }
        destination = destination.subspan(static_cast<size_t>(count));
        offset += static_cast<uint64_t>(count);
    }
    return true;
}

bool BlockFile::write(uint64_t offset, std::span<const uint8_t> source)
{
    while (!source.empty()) {
        ssize_t count = pwrite(m_fd, source.data(), source.size(), static_cast<off_t>(offset));
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            return false;
        source = source.subspan(static_cast<size_t>(count));
        offset += static_cast<uint64_t>(count);
    }
    return true;
}

bool BlockFile::sync()
{
    while (fdatasync(m_fd) != 0) {
        if (errno != EINTR)
            return false;
    }
    return true;
}

bool BlockFile::zero_range(uint64_t offset, uint64_t length)
{
    if (length == 0)
        return true;
    int result;
    do {
        result = fallocate(m_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
            static_cast<off_t>(offset), static_cast<off_t>(length));
    } while (result != 0 && errno == EINTR);
    if (result == 0)
        return true;
    if (errno != EOPNOTSUPP && errno != ENOSYS)
        return false;
    return write_zeroes(offset, length);
}

bool BlockFile::write_zeroes(uint64_t offset, uint64_t length)
{
    static constexpr uint8_t kZeroes[64 * 1024] = {};
    while (length > 0) {
        uint64_t count = std::min<uint64_t>(length, sizeof kZeroes);
        if (!write(offset, { kZeroes, count }))
            return false;
        offset += count;
        length -= count;
    }
    return true;
}

} // namespace rvisor::host
