#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/fs/fuse_server.h"
#include "devices/virtio/fs/passthrough_fs.h"
#include "devices/virtio/io_worker.h"

#include <array>
#include <filesystem>
#include <string>

namespace rvisor::devices::virtio {

// A virtio file system device (virtio 1.2 section 5.11, device id 26): a host directory the
// guest mounts with `mount -t virtiofs TAG /mnt`, served by an in-process FUSE server
// (fs::FuseServer over fs::PassthroughFs, which keeps the guest inside the directory).
//
// Queues: hiprio (0), which carries FORGETs, and one request queue (1). Both are served on the
// device's worker, one request at a time, so the file system needs no locks; the guest kernel
// keeps file locks itself (the server does not offer them).
//
// A request the server cannot make sense of is answered with an errno; a chain is never a
// reason to fail the queue beyond what VirtQueue itself refuses (a descriptor outside RAM).
//
// Saved state: whether INIT was served, and the file system's nodeids and open files by their
// paths beneath the directory, which a restore opens again (the directory may be another
// copy of the same tree).
class VirtioFs final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 128;
    static constexpr unsigned kHighPriorityQueue = 0;
    static constexpr unsigned kRequestQueue = 1;
    static constexpr size_t kTagSize = 36;

    // Throws std::runtime_error with one sentence when the directory cannot be opened or is
    // not a directory, or the tag is empty, longer than 36 bytes or holds a NUL.
    VirtioFs(const std::filesystem::path& directory, std::string tag, bool read_only);
    VirtioFs(const VirtioFs&) = delete;
    VirtioFs& operator=(const VirtioFs&) = delete;

    uint32_t device_id() const override { return 26; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 2; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) const override;
    // The tag and the queue count are read-only.
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }
    void save(state::StateWriter&) const override;
    void load(state::StateReader&) override;

    const std::string& tag() const { return m_tag; }

private:
    void process_queues();
    void serve(VirtQueue&);

    std::string m_tag;
    fs::PassthroughFs m_file_system;
    fs::FuseServer m_server;
    // Set by activate() and cleared by reset() while the worker is idle.
    VirtQueue* m_queues { nullptr };
    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
