#include "host/block_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>
#include <vector>

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

bool BlockFile::read(uint64_t offset, std::span<const std::span<uint8_t>> buffers)
{
    return transfer(false, offset, buffers);
}

bool BlockFile::write(uint64_t offset, std::span<const std::span<uint8_t>> buffers)
{
    return transfer(true, offset, buffers);
}

bool BlockFile::transfer(bool writing, uint64_t offset, std::span<const std::span<uint8_t>> buffers)
{
    std::vector<iovec> pending;
    pending.reserve(std::min<size_t>(buffers.size(), IOV_MAX));
    size_t next = 0; // the first buffer not in `pending` yet
    size_t done_in_first = 0; // bytes of the first pending buffer already transferred
    while (next < buffers.size() || !pending.empty()) {
        while (next < buffers.size() && pending.size() < IOV_MAX) {
            pending.push_back({ buffers[next].data(), buffers[next].size() });
            ++next;
        }
        pending.front().iov_base = static_cast<uint8_t*>(pending.front().iov_base) + done_in_first;
        pending.front().iov_len -= done_in_first;
        const auto count = static_cast<int>(pending.size());
        const ssize_t moved = writing
            ? pwritev(m_fd, pending.data(), count, static_cast<off_t>(offset))
            : preadv(m_fd, pending.data(), count, static_cast<off_t>(offset));
        if (moved < 0 && errno == EINTR) {
            done_in_first = 0;
            continue;
        }
        if (moved < 0)
            return false;
        if (moved == 0) {
            // The image shrank under us (someone truncated it): there is nothing to read.
            errno = EIO;
            return false;
        }
        offset += static_cast<uint64_t>(moved);
        // Drop the buffers done; a partly done one stays first, `done_in_first` into it.
        auto left = static_cast<size_t>(moved);
        size_t whole = 0;
        while (whole < pending.size() && left >= pending[whole].iov_len) {
            left -= pending[whole].iov_len;
            ++whole;
        }
        pending.erase(pending.begin(), pending.begin() + static_cast<ptrdiff_t>(whole));
        done_in_first = left;
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
    // Only ever read, but an iovec points to non-const bytes.
    static std::array<uint8_t, 64 * 1024> zeroes {};
    while (length > 0) {
        uint64_t count = std::min<uint64_t>(length, zeroes.size());
        const std::span<uint8_t> buffer { zeroes.data(), count };
        if (!write(offset, { &buffer, 1 }))
            return false;
        offset += count;
        length -= count;
    }
    return true;
}

} // namespace rvisor::host
