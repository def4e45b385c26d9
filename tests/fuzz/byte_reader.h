#pragma once
// Fields of a fuzz input, read in order: little-endian integers and runs of bytes, so that a
// seed is easy to write by hand. A field cut short by the end of the input reads as nullopt.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace rvisor::fuzz {

class ByteReader {
public:
    ByteReader(const uint8_t* data, size_t size)
        : m_rest(data, size)
    {
    }

    std::optional<uint64_t> little_endian(unsigned bytes)
    {
        if (m_rest.size() < bytes)
            return std::nullopt;
        uint64_t value = 0;
        for (unsigned i = 0; i < bytes; ++i)
            value |= uint64_t { m_rest[i] } << (8 * i);
        m_rest = m_rest.subspan(bytes);
        return value;
    }

    // Up to `bytes` bytes, fewer at the end of the input.
    std::span<const uint8_t> bytes(size_t count)
    {
        const auto taken = m_rest.first(std::min(count, m_rest.size()));
        m_rest = m_rest.subspan(taken.size());
        return taken;
    }

    std::span<const uint8_t> rest() const { return m_rest; }

private:
    std::span<const uint8_t> m_rest;
};

} // namespace rvisor::fuzz
