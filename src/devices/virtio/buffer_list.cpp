#include "devices/virtio/buffer_list.h"

#include <algorithm>
#include <cstring>

namespace rvisor::devices::virtio {

void BufferList::append(std::span<uint8_t> segment)
{
    if (segment.empty())
        return;
    m_segments.push_back(segment);
    m_size += segment.size();
}

BufferList BufferList::slice(uint64_t offset, uint64_t length) const
{
    BufferList result;
    for (std::span<uint8_t> segment : m_segments) {
        if (length == 0)
            break;
        if (offset >= segment.size()) {
            offset -= segment.size();
            continue;
        }
        uint64_t count = std::min<uint64_t>(segment.size() - offset, length);
        result.append(segment.subspan(offset, count));
        offset = 0;
        length -= count;
    }
    return result;
}

uint64_t BufferList::read_at(uint64_t offset, std::span<uint8_t> destination) const
{
    uint64_t copied = 0;
    BufferList part = slice(offset, destination.size());
    for (std::span<uint8_t> segment : part.segments()) {
        std::memcpy(destination.data() + copied, segment.data(), segment.size());
        copied += segment.size();
    }
    return copied;
}

uint64_t BufferList::write_at(uint64_t offset, std::span<const uint8_t> source) const
{
    uint64_t copied = 0;
    BufferList part = slice(offset, source.size());
    for (std::span<uint8_t> segment : part.segments()) {
        std::memcpy(segment.data(), source.data() + copied, segment.size());
        copied += segment.size();
    }
    return copied;
}

} // namespace rvisor::devices::virtio
