#pragma once
#include "devices/virtio/device.h"
#include "devices/virtio/io_worker.h"
#include "host/block_file.h"
#include "host/rate_limiter.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>

namespace rvisor::devices::virtio {

// A virtio block device (virtio 1.2 section 5.2, device id 2) over a raw image: one request
// queue, 512-byte sectors, flush, discard and write-zeroes (both punch holes in the image),
// and the disk's serial number for GET_ID. A read-only image offers VIRTIO_BLK_F_RO and fails
// every request that would change it with VIRTIO_BLK_S_IOERR.
//
// Requests run on the device's own I/O thread, in ring order, and complete in that order. A
// request whose layout makes no sense (no 16-byte header in front, no status byte at the end)
// is a driver bug and sets DEVICE_NEEDS_RESET; anything else wrong with a request (a sector
// past the end, a length that is not whole sectors, an unknown type) is answered with the
// spec's error status.
//
// A rate limit (bytes and requests a second) is checked before each request is taken from the
// ring: over its budget, the device leaves the ring alone and its worker sleeps until the
// budget allows the next request, so the guest waits and is never failed. Every request counts
// as an operation; reads and writes count their data bytes.
class VirtioBlock final : public VirtioDevice {
public:
    static constexpr uint16_t kQueueSize = 256;
    static constexpr uint64_t kSectorSize = 512;

    // `serial` is what GET_ID reports; only its first 20 bytes fit.
    VirtioBlock(
        std::unique_ptr<host::BlockFile> file, std::string serial, host::RateLimit limit = {});

    uint32_t device_id() const override { return 2; }
    uint64_t device_features() const override;
    unsigned queue_count() const override { return 1; }
    uint16_t queue_max_size(unsigned) const override { return kQueueSize; }
    uint64_t read_config(uint64_t offset, unsigned size) const override;
    void write_config(uint64_t, unsigned, uint64_t) override { }
    void activate(std::span<VirtQueue> queues, uint64_t features) override;
    void queue_notified(unsigned index) override;
    void reset() override;
    void pause() override { m_worker.pause(); }
    void resume() override { m_worker.resume(); }
    void wait_until_idle() override { m_worker.wait_until_idle(); }

    // From any thread: takes effect from the next request.
    void set_rate_limit(host::RateLimit limit);

private:
    struct RequestHeader {
        uint32_t type;
        uint32_t reserved;
        uint64_t sector;
    };
    struct Completion {
        uint8_t status;
        uint64_t bytes_written; // into the data part, the status byte not counted
    };

    void process_requests();
    Completion execute(const RequestHeader&, const BufferList& data_out, const BufferList& data_in);
    Completion read_sectors(uint64_t sector, const BufferList& destination);
    Completion write_sectors(uint64_t sector, const BufferList& source);
    Completion zero_ranges(const BufferList& segments, bool discard);
    bool in_range(uint64_t sector, uint64_t bytes) const;

    std::unique_ptr<host::BlockFile> m_file;
    std::array<uint8_t, 20> m_serial {};
    std::array<uint8_t, 60> m_config {};
    uint64_t m_capacity; // in sectors
    host::RateLimiter m_limiter;

    // Set by activate() and cleared by reset() while the worker is idle; the worker reads them.
    VirtQueue* m_queue { nullptr };
    uint64_t m_features { 0 };

    // Last: its thread must stop before the members it uses go away.
    IoWorker m_worker;
};

} // namespace rvisor::devices::virtio
