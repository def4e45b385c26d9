#include "devices/virtio/fs/virtio_fs.h"

#include "devices/virtio/features.h"

#include <stdexcept>

namespace rvisor::devices::virtio {

namespace {

const std::string& checked_tag(const std::string& tag)
{
    // The guest reads the tag up to the first NUL, so one inside would cut it short.
    if (tag.empty() || tag.size() > VirtioFs::kTagSize || tag.find('\0') != std::string::npos)
        throw std::runtime_error("a virtio-fs tag must be 1 to 36 bytes long without a NUL, and '"
            + tag + "' is " + std::to_string(tag.size()) + " bytes long");
    return tag;
}

} // namespace

VirtioFs::VirtioFs(const std::filesystem::path& directory, std::string tag, bool read_only)
    : m_tag(checked_tag(tag))
    , m_file_system(directory, read_only)
    , m_server(m_file_system)
    , m_worker([this] { process_queues(); })
{
}

uint64_t VirtioFs::device_features() const
{
    // VIRTIO_FS_F_NOTIFICATION (bit 0) is for servers that notify the guest; we never do.
    return kFeatureEventIndex | kFeatureIndirectDescriptors;
}

uint64_t VirtioFs::read_config(uint64_t offset, unsigned size) const
{
    // struct virtio_fs_config: u8 tag[36] (NUL-padded, not NUL-terminated), le32
    // num_request_queues.
    std::array<uint8_t, kTagSize + 4> config {};
    std::copy(m_tag.begin(), m_tag.end(), config.begin());
    config[kTagSize] = 1;
    return read_config_bytes(config, offset, size);
}

void VirtioFs::activate(std::span<VirtQueue> queues, uint64_t)
{
    m_queues = queues.data();
    // Chains the driver offered before DRIVER_OK came without a notification that counted.
    m_worker.wake();
}

void VirtioFs::queue_notified(unsigned) { m_worker.wake(); }

void VirtioFs::reset()
{
    m_worker.cancel();
    m_queues = nullptr;
    // A reset driver starts over with INIT and knows none of the nodeids or handles it had.
    m_file_system.destroy();
    m_server.set_initialized(false);
}

void VirtioFs::process_queues()
{
    if (!m_queues)
        return;
    serve(m_queues[kHighPriorityQueue]);
    serve(m_queues[kRequestQueue]);
}

void VirtioFs::serve(VirtQueue& queue)
{
    while (!m_worker.cancelling()) {
        std::optional<DescriptorChain> chain = queue.pop();
        if (!chain)
            break;
        const uint32_t written = m_server.handle(chain->readable, chain->writable);
        queue.push(chain->head, written);
    }
    queue.notify_used();
}

void VirtioFs::save(state::StateWriter& out) const
{
    out.boolean(m_server.initialized());
    m_file_system.save(out);
}

void VirtioFs::load(state::StateReader& in)
{
    m_server.set_initialized(in.boolean());
    m_file_system.load(in);
}

} // namespace rvisor::devices::virtio
