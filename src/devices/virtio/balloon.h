#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"
#include "mem/guest_ram.h"

#include <atomic>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace rvisor::devices::virtio {

// A virtio memory balloon (virtio 1.2 section 5.5, device id 5) whose point is free page
// reporting (VIRTIO_BALLOON_F_PAGE_REPORTING): the guest hands over ranges of its free memory
// and the host drops their pages, so the host's memory use follows what the guest uses rather
// than the most it ever used. Pages the guest inflates into the balloon are dropped the same
// way; deflating needs nothing, since a dropped page comes back (as zeros, or as the snapshot's
// contents) when the guest touches it. The host's target, num_pages, starts at 0; the host
// raises it (set_target_pages, then the transport's configuration change notification) to
// take memory from the guest, and VIRTIO_BALLOON_F_DEFLATE_ON_OOM lets the guest take pages
// back under memory pressure. VIRTIO_BALLOON_F_PAGE_POISON is not offered: a dropped page does not
// keep the poison pattern the guest may expect in free pages.
//
// The queues are numbered as Linux's virtio-mmio driver numbers them: consecutively, over the
// queues that exist. Without STATS_VQ and FREE_PAGE_HINT, which are not offered, the reporting
// queue is therefore the third (index 2), although the spec's table lists it fifth.
//
// Discards run on the device's own thread: punching holes in many megabytes takes the host
// a while, and a hart that notifies should go straight back to the guest. A PFN or range outside
// guest RAM is a driver bug and sets DEVICE_NEEDS_RESET; every chain served is returned with
// no bytes written.
class VirtioBalloon final : public VirtioDevice {
public:
    // Linux's page reporting needs room for 32 ranges in flight.
    static constexpr uint16_t kQueueSize = 128;
    static constexpr unsigned kInflateQueue = 0;
    static constexpr unsigned kDeflateQueue = 1;
    static constexpr unsigned kReportingQueue = 2;

    static constexpr uint64_t kFeatureDeflateOnOom = uint64_t { 1 } << 2;
    static constexpr uint64_t kFeaturePageReporting = uint64_t { 1 } << 5;

    // `ram` must outlive the device.
    explicit VirtioBalloon(mem::GuestRam& ram);

    uint32_t device_id() const override { return 5; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 3; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) const override;
    void write_config(uint64_t offset, unsigned size, uint64_t value) override;
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }
    void save(state::StateWriter&) const override;
    void load(state::StateReader&) override;

    // The host's target and what the driver last said it holds, in 4 KiB pages; any thread.
    // A new target reaches the driver with the transport's notify_config_change().
    void set_target_pages(uint32_t pages) { m_num_pages = pages; }
    uint32_t target_pages() const { return m_num_pages; }
    uint32_t actual_pages() const { return m_actual; }

private:
    void serve_queues();
    // Drops the pages a chain from `queue` gives back; for a driver mistake, says what it was.
    std::optional<std::string> give_back(unsigned queue, const DescriptorChain&);
    std::optional<std::string> discard_inflated(const BufferList& pfns);
    uint64_t guest_address(std::span<uint8_t> range) const;

    mem::GuestRam& m_ram;
    // The configuration space: the host's target in 4 KiB pages, and how many the driver says
    // the balloon holds. Atomic because the host reads both and sets the target while harts
    // read them.
    std::atomic<uint32_t> m_num_pages { 0 };
    std::atomic<uint32_t> m_actual { 0 };

    // Set by activate() and cleared by reset() while the worker is idle.
    std::span<VirtQueue> m_queues;
    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
