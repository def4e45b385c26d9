#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

namespace rvisor::mem {

// The guest's RAM: one mapping. Every guest-physical address that becomes a host pointer goes
// through contains()/pointer(), so nothing outside the mapping is ever touched.
//
// Fresh RAM is a memfd mapped shared, so that it can be written out as a file. RAM restored
// from a snapshot maps the memory file privately: pages are read on first touch and copied on
// first write, so a restore costs nothing per byte of RAM, and every VM restored from one file
// shares the pages none of them wrote (the host's page cache holds one copy).
class GuestRam {
public:
    // Mapped inaccessible on both sides of RAM: a host access that strays past either end
    // faults at once instead of reading or writing a neighbouring mapping.
    static constexpr uint64_t kGuardSize = 2ull << 20;

    // `size` bytes of zeros. Throws std::runtime_error with one sentence.
    GuestRam(uint64_t base, uint64_t size);
    // The contents of `memory_file`, which must be exactly `size` bytes long and must not
    // change while the VM runs.
    GuestRam(uint64_t base, uint64_t size, const std::filesystem::path& memory_file);
    ~GuestRam();
    GuestRam(const GuestRam&) = delete;
    GuestRam& operator=(const GuestRam&) = delete;

    uint64_t base() const { return m_base; }
    uint64_t size() const { return m_size; }
    bool contains(uint64_t address, uint64_t length) const
    {
        return address >= m_base && length <= m_size && address - m_base <= m_size - length;
    }
    // Host address of guest-physical address; the caller has checked contains().
    uint8_t* pointer(uint64_t address) const { return m_host + (address - m_base); }
    // Fresh RAM: makes the host pages of the aligned kPopulateChunk around `page` (a page inside
    // RAM) present at once, the first time the guest's accesses reach that chunk. A guest's
    // first touches of RAM are page faults on the host, one per page, and on a host that is
    // itself a virtual machine each costs microseconds; the kernel a guest boots hands out
    // neighbouring pages, so one call saves most of a chunk's faults. Restored RAM keeps
    // faulting page by page, so that clones copy only what they write.
    void populate_around(uint64_t page) const;
    static constexpr uint64_t kPopulateChunk = 64 << 10;

    // The guest range as host bytes; empty when any byte falls outside RAM.
    std::span<uint8_t> span(uint64_t address, uint64_t length) const;

    // Gives the host pages of a guest range back to the host, for a guest that said it no
    // longer needs their contents (a virtio balloon): only the whole host pages inside the
    // range, so the bytes around them keep their contents. Fresh RAM then reads as zeros;
    // restored RAM drops its private copies and reads as the memory file again. Returns false,
    // touching nothing, when any byte of the range falls outside RAM.
    bool discard(uint64_t address, uint64_t length);

    // Writes RAM to `path` (through PATH.tmp, renamed when complete) as a sparse file: pages
    // that hold only zeros are holes. Returns the bytes of data written. Only while nothing
    // writes RAM (the VM is paused). Throws std::runtime_error with one sentence.
    uint64_t write_to_file(const std::filesystem::path& path) const;

private:
    uint64_t m_base;
    uint64_t m_size;
    uint8_t* m_host = nullptr;
    int m_memfd = -1; // fresh RAM only: where the guest never wrote, SEEK_DATA skips
    // Fresh RAM only: a bit per kPopulateChunk that populate_around has populated.
    std::unique_ptr<std::atomic<uint64_t>[]> m_populated;
};

} // namespace rvisor::mem
