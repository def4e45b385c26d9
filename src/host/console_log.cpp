#include "host/console_log.h"

#include "host/write_all.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::host {

namespace {

std::filesystem::path older(const std::filesystem::path& path)
{
    return std::filesystem::path(path.string() + ".1");
}

int open_log(const std::filesystem::path& path)
{
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error(fmt::format(
            "cannot open the console log '{}': {}", path.string(), std::strerror(errno)));
    return fd;
}

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream file(path, std::ios::binary);
    return { std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>() };
}

} // namespace

ConsoleLog::ConsoleLog(const std::filesystem::path& path, uint64_t limit)
    : m_path(path)
    , m_limit(limit)
    , m_fd(open_log(path))
{
    struct stat status { };
    if (fstat(m_fd, &status) == 0)
        m_size = static_cast<uint64_t>(status.st_size);
}

ConsoleLog::~ConsoleLog() { ::close(m_fd); }

void ConsoleLog::write(const uint8_t* bytes, size_t length)
{
    std::lock_guard lock(m_mutex);
    if (m_size + length > m_limit)
        rotate();
    if (write_all(m_fd, bytes, length))
        m_size += length;
}

void ConsoleLog::rotate()
{
    // Renaming keeps the open descriptor on the old file, so it is reopened afterwards; if any
    // step fails, output keeps going to whichever file is open.
    if (std::rename(m_path.c_str(), older(m_path).c_str()) != 0)
        return;
    const int fd
        = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    ::close(m_fd);
    m_fd = fd;
    m_size = 0;
}

std::string ConsoleLog::read(const std::filesystem::path& path)
{
    return read_file(older(path)) + read_file(path);
}

} // namespace rvisor::host
