#pragma once
// Templates: snapshots of a container VM taken at its agent's ready point, before anything of a
// container reaches the guest, from which later containers of the same shape start as clones
// instead of booting (docs/containers.md, "Fast start"). The cache lives in ROOT/@templates
// ('@' is not allowed in a container id, so no container's directory can collide with it),
// one directory per shape: identity.json, vm.state and vm.mem.
#include "machine/vm_spec.h"

#include <filesystem>
#include <optional>
#include <string>

namespace rvisor::oci {

// What makes two container VMs interchangeable at the agent's ready point: the machine's spec
// with each container's own paths (its shares' directories, its vsock socket) left out, and the
// identity (path, size, modification time, inode) of the kernel, the initramfs images and the
// rvisor binary, so that rebuilding any of them retires its templates. Canonical JSON text.
std::string template_identity(const machine::VmSpec& spec, const std::filesystem::path& rvisor);

struct VmTemplate {
    std::filesystem::path state_file;
    std::filesystem::path memory_file;
};

// A template being written; removed when destroyed unless published.
class PendingTemplate {
public:
    PendingTemplate(
        std::filesystem::path directory, std::filesystem::path destination, std::string identity);
    ~PendingTemplate();
    PendingTemplate(PendingTemplate&& other) noexcept;
    PendingTemplate(const PendingTemplate&) = delete;
    PendingTemplate& operator=(const PendingTemplate&) = delete;
    PendingTemplate& operator=(PendingTemplate&&) = delete;

    // Where the snapshot is to be written.
    VmTemplate files() const;
    // Moves the snapshot into the cache and returns true, unless another container published
    // the same shape first (then this one is dropped). Throws std::runtime_error when the files
    // cannot be written.
    bool publish();

private:
    std::filesystem::path m_directory;
    std::filesystem::path m_destination;
    std::string m_identity;
};

class TemplateCache {
public:
    // `root` is the runtime's --root.
    explicit TemplateCache(const std::filesystem::path& root);

    // The template of this identity, when one has been published.
    std::optional<VmTemplate> find(const std::string& identity) const;
    // A fresh directory to write the template of this identity in. Leftovers are removed first:
    // what monitors that died while writing left, and templates whose kernel, initramfs or
    // rvisor has changed since. Throws std::runtime_error.
    PendingTemplate prepare(const std::string& identity) const;

private:
    std::filesystem::path directory_of(const std::string& identity) const;

    std::filesystem::path m_directory;
};

} // namespace rvisor::oci
