#pragma once
// The byte format of the virtio fuzz targets' inputs: little-endian fields one after another,
// read by the targets and written by the seed generator. Fields are fixed-size, so a mutation
// changes one field without shifting the meaning of the rest; a field read past the end of the
// input is zero, and a script ends where its input does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace rvisor::fuzz {

class ScriptReader {
public:
    explicit ScriptReader(std::span<const uint8_t> input)
        : m_input(input)
    {
    }

    bool done() const { return m_offset >= m_input.size(); }

    uint8_t u8() { return field<uint8_t>(); }
    uint16_t u16() { return field<uint16_t>(); }
    uint32_t u32() { return field<uint32_t>(); }
    uint64_t u64() { return field<uint64_t>(); }
    // Up to `count` bytes: fewer at the end of the input.
    std::span<const uint8_t> bytes(size_t count)
    {
        const size_t start = std::min(m_offset, m_input.size());
        m_offset = start + count;
        return m_input.subspan(start, std::min(count, m_input.size() - start));
    }

private:
    template <typename T> T field()
    {
        T value {};
        std::span<const uint8_t> taken = bytes(sizeof value);
        std::memcpy(&value, taken.data(), taken.size());
        return value;
    }

    std::span<const uint8_t> m_input;
    size_t m_offset { 0 };
};

class ScriptWriter {
public:
    ScriptWriter& u8(uint8_t value) { return field(value); }
    ScriptWriter& u16(uint16_t value) { return field(value); }
    ScriptWriter& u32(uint32_t value) { return field(value); }
    ScriptWriter& u64(uint64_t value) { return field(value); }
    ScriptWriter& bytes(std::span<const uint8_t> data)
    {
        m_data.insert(m_data.end(), data.begin(), data.end());
        return *this;
    }

    const std::vector<uint8_t>& data() const { return m_data; }

private:
    template <typename T> ScriptWriter& field(T value)
    {
        const auto* first = reinterpret_cast<const uint8_t*>(&value);
        m_data.insert(m_data.end(), first, first + sizeof value);
        return *this;
    }

    std::vector<uint8_t> m_data;
};

} // namespace rvisor::fuzz
