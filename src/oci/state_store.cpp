#include "oci/state_store.h"

#include "control/vm_process.h"
#include "oci/stable_hash.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

std::runtime_error system_error(const std::string& what)
{
    return std::runtime_error(fmt::format("{}: {}", what, std::strerror(errno)));
}

int lock_directory(const std::filesystem::path& path)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    while (::flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            const int saved = errno;
            ::close(fd);
            errno = saved;
            return -1;
        }
    }
    return fd;
}

bool monitor_alive(pid_t pid, uint64_t start_time)
{
    const auto now = control::process_start_time(pid);
    return now && *now == start_time;
}

} // namespace

ContainerLock::~ContainerLock()
{
    if (m_fd >= 0)
        ::close(m_fd); // closing the descriptor releases its flock
}

StateStore::StateStore(std::filesystem::path root, ProcessAlive alive)
    : m_root(std::move(root))
    , m_alive(alive ? std::move(alive) : monitor_alive)
{
    std::error_code error;
    std::filesystem::create_directories(m_root, error);
    if (error)
        throw std::runtime_error(
            fmt::format("cannot make the state root {}: {}", m_root.string(), error.message()));
    ::chmod(m_root.c_str(), 0700);
}

std::filesystem::path StateStore::socket_directory(const ContainerId& id) const
{
    // The longest socket name: the vsock device's "vsock.sock_PORT" for a 32-bit port.
    constexpr size_t kLongestName = sizeof("vsock.sock_4294967295") - 1;
    constexpr size_t kSunPath = sizeof(sockaddr_un::sun_path) - 1;
    if (directory(id).string().size() + 1 + kLongestName <= kSunPath)
        return directory(id);
    return m_root / "@sockets" / fmt::format("{:016x}", stable_hash(id.str()));
}

ContainerLock StateStore::create(const ContainerId& id) const
{
    const auto path = directory(id);
    if (::mkdir(path.c_str(), 0700) != 0) {
        if (errno == EEXIST)
            throw std::runtime_error(fmt::format("container {} already exists", id.str()));
        throw system_error(fmt::format("cannot make {}", path.string()));
    }
    const int fd = lock_directory(path);
    if (fd < 0)
        throw system_error(fmt::format("cannot lock {}", path.string()));
    ContainerLock lock(fd);
    if (const auto sockets = socket_directory(id); sockets != path) {
        // One left by a container of this id that was never deleted is this one's now: the id
        // is locked.
        std::error_code error;
        std::filesystem::remove_all(sockets, error);
        std::filesystem::create_directories(sockets.parent_path(), error);
        if (::mkdir(sockets.c_str(), 0700) != 0) {
            const auto failure = system_error(fmt::format("cannot make {}", sockets.string()));
            std::filesystem::remove_all(path, error);
            throw failure;
        }
    }
    return lock;
}

ContainerLock StateStore::lock(const ContainerId& id) const
{
    const int fd = lock_directory(directory(id));
    if (fd < 0) {
        if (errno == ENOENT)
            throw std::runtime_error(fmt::format("container {} does not exist", id.str()));
        throw system_error(fmt::format("cannot lock {}", directory(id).string()));
    }
    return ContainerLock(fd);
}

ContainerState StateStore::load(const ContainerId& id) const
{
    const auto path = directory(id) / "state.json";
    std::ifstream file(path);
    if (!file) {
        if (!std::filesystem::exists(directory(id)))
            throw std::runtime_error(fmt::format("container {} does not exist", id.str()));
        // A create that died before its first save: only its directory is there.
        ContainerState state;
        state.id = id.str();
        return state;
    }
    ContainerState state;
    try {
        state = ContainerState::from_record(nlohmann::json::parse(file));
    } catch (const std::exception& error) {
        throw std::runtime_error(fmt::format(
            "container {}'s record {} is damaged: {}", id.str(), path.string(), error.what()));
    }
    const bool live = state.status == ContainerStatus::Created
        || state.status == ContainerStatus::Running || state.status == ContainerStatus::Paused;
    if (live && !m_alive(state.pid, state.pid_start_time))
        state.status = ContainerStatus::Stopped;
    return state;
}

void StateStore::save(const ContainerState& state) const
{
    const auto path = m_root / state.id / "state.json";
    const auto temporary = m_root / state.id / "state.json.tmp";
    const std::string text = state.to_record().dump(2) + "\n";
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw system_error(fmt::format("cannot write {}", temporary.string()));
    const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size())
        && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    errno = saved;
    if (!written || ::rename(temporary.c_str(), path.c_str()) != 0)
        throw system_error(fmt::format("cannot write {}", path.string()));
}

void StateStore::remove(const ContainerId& id) const
{
    std::error_code error;
    if (const auto sockets = socket_directory(id); sockets != directory(id))
        std::filesystem::remove_all(sockets, error);
    std::filesystem::remove_all(directory(id), error);
    if (error)
        throw std::runtime_error(
            fmt::format("cannot remove {}: {}", directory(id).string(), error.message()));
}

std::vector<std::string> StateStore::ids() const
{
    std::vector<std::string> ids;
    // Only containers' directories: the template cache's name is not a container id.
    for (const auto& entry : std::filesystem::directory_iterator(m_root)) {
        const std::string name = entry.path().filename().string();
        if (entry.is_directory() && ContainerId::is_valid(name))
            ids.push_back(name);
    }
    std::sort(ids.begin(), ids.end());
    return ids;
}

} // namespace rvisor::oci
