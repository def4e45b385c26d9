#pragma once
#include <cstdint>
#include <span>
#include <string>

namespace rvisor::host {

// A raw disk image (a regular file or a block device) that a virtual disk reads and writes.
// Opening takes an advisory lock for as long as the object lives: exclusive for read-write,
// shared for read-only, so two VMs never write one image, and a VM never writes an image that
// another is reading.
//
// Problems the user can fix (missing file, locked image) are exceptions carrying a sentence;
// I/O errors later are results (false, with errno set), which the disk reports to the guest.
class BlockFile {
public:
    enum class Access { ReadWrite, ReadOnly };

    BlockFile(const std::string& path, Access access);
    ~BlockFile();
    BlockFile(const BlockFile&) = delete;
    BlockFile& operator=(const BlockFile&) = delete;

    bool read_only() const { return m_read_only; }
    // In bytes, as it was when opened.
    uint64_t size() const { return m_size; }

    // The bytes from `offset` on into, or from, the buffers in order, with as few system calls
    // as the host allows (preadv/pwritev: a request's buffers are often scattered 4 KiB pages).
    // Whole transfers or failure: interrupted and short transfers are continued, and reading
    // past the end of the image is an error.
    bool read(uint64_t offset, std::span<const std::span<uint8_t>> buffers);
    bool write(uint64_t offset, std::span<const std::span<uint8_t>> buffers);
    // Makes written data durable (fdatasync).
    bool sync();
    // Makes the range read as zeroes, giving its storage back to the host filesystem where it
    // can punch holes, and writing zeroes where it cannot.
    bool zero_range(uint64_t offset, uint64_t length);

private:
    bool write_zeroes(uint64_t offset, uint64_t length);
    bool transfer(bool writing, uint64_t offset, std::span<const std::span<uint8_t>> buffers);

    int m_fd { -1 };
    bool m_read_only { false };
    uint64_t m_size { 0 };
};

} // namespace rvisor::host
