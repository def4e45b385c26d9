#pragma once
#include <cstdint>
#include <span>
#include <vector>

namespace rvisor::devices::virtio {

// Guest buffers seen as one byte string: the device-readable or the device-writable part of a
// descriptor chain. The virtio framing rule says a device must not care where the driver split
// its data between descriptors, so requests are parsed through this and never per descriptor.
// Every segment was checked to lie inside guest RAM before it got here.
class BufferList {
public:
    void append(std::span<uint8_t> segment);

    uint64_t size() const { return m_size; }
    const std::vector<std::span<uint8_t>>& segments() const { return m_segments; }

    // The bytes [offset, offset + length), clamped to the end, as a list of their own.
    BufferList slice(uint64_t offset, uint64_t length) const;
    // Copy between the list, starting at `offset`, and host memory; each returns how many bytes
    // it copied, which is less than asked only at the end of the list.
    uint64_t read_at(uint64_t offset, std::span<uint8_t> destination) const;
    uint64_t write_at(uint64_t offset, std::span<const uint8_t> source) const;

private:
    std::vector<std::span<uint8_t>> m_segments;
    uint64_t m_size { 0 };
};

} // namespace rvisor::devices::virtio
