#pragma once
// A network namespace the bundle names (linux.namespaces' `network` entry with a path, as
// Podman, containerd and Kubernetes set it): opened once, checked to be a network namespace,
// and entered by the threads and processes that must live in it (the VM, whose user-mode
// network then opens its sockets there, and the port forwards' listeners).
#include <filesystem>

namespace rvisor::oci {

class NetworkNamespace {
public:
    // Throws std::runtime_error with one sentence when `path` does not exist, cannot be opened
    // or is not a network namespace.
    explicit NetworkNamespace(const std::filesystem::path& path);
    ~NetworkNamespace();
    NetworkNamespace(const NetworkNamespace&) = delete;
    NetworkNamespace& operator=(const NetworkNamespace&) = delete;

    // Moves the calling thread into the namespace (network namespaces are per thread); false
    // with errno set when the kernel refuses (no CAP_SYS_ADMIN). Safe after fork, before exec.
    bool enter() const;

    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
    int m_fd = -1;
};

} // namespace rvisor::oci
