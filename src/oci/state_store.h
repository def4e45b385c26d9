#pragma once
// The runtime's records under its --root: ROOT/ID/state.json per container, each command
// holding an exclusive lock on ROOT/ID while it reads and changes it, so that concurrent
// commands on one container (an engine's kill racing a delete) take turns.
#include "oci/container_id.h"
#include "oci/container_state.h"

#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace rvisor::oci {

// A held lock on one container's directory; released when destroyed.
class ContainerLock {
public:
    explicit ContainerLock(int directory_fd)
        : m_fd(directory_fd)
    {
    }
    ~ContainerLock();
    ContainerLock(ContainerLock&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1))
    {
    }
    ContainerLock(const ContainerLock&) = delete;
    ContainerLock& operator=(const ContainerLock&) = delete;
    ContainerLock& operator=(ContainerLock&&) = delete;

private:
    int m_fd;
};

class StateStore {
public:
    // Whether a recorded process (pid, start time) still runs; replaceable for tests.
    using ProcessAlive = std::function<bool(pid_t, uint64_t)>;

    // Makes ROOT (mode 0700) if missing. Throws std::runtime_error.
    explicit StateStore(std::filesystem::path root, ProcessAlive alive = {});

    const std::filesystem::path& root() const { return m_root; }
    std::filesystem::path directory(const ContainerId& id) const { return m_root / id.str(); }
    // Where the container's Unix sockets go: its directory, unless a socket path there would
    // not fit sun_path (Docker's root and 64-character ids do not), then a short one of its
    // own, ROOT/@sockets/HASH ('@' is never in an id). create() makes it, remove() removes it.
    std::filesystem::path socket_directory(const ContainerId& id) const;

    // A new container's directory, locked. Throws "container ID already exists".
    ContainerLock create(const ContainerId& id) const;
    // An existing container's lock. Throws "container ID does not exist".
    ContainerLock lock(const ContainerId& id) const;

    // The recorded state, with a Created, Running or Paused container whose monitor is gone
    // seen as Stopped. Throws "container ID does not exist", or names a damaged record.
    ContainerState load(const ContainerId& id) const;
    // Whole or not at all: written to a temporary file, synced, renamed over state.json.
    void save(const ContainerState& state) const;
    // Removes the container's directory and everything in it.
    void remove(const ContainerId& id) const;
    // The ids of every recorded container, sorted.
    std::vector<std::string> ids() const;

private:
    std::filesystem::path m_root;
    ProcessAlive m_alive;
};

} // namespace rvisor::oci
