#include "state/state_reader.h"

#include <fmt/format.h>

namespace rvisor::state {

StateReader::StateReader(std::span<const uint8_t> data, std::string name, uint32_t version)
    : m_data(data)
    , m_name(std::move(name))
    , m_version(version)
{
}

void StateReader::fail(const std::string& what) const
{
    throw StateError(fmt::format("section '{}': {}", m_name, what));
}

uint64_t StateReader::little_endian(unsigned size)
{
    if (m_data.size() - m_position < size)
        fail("ends too early (truncated or from another version)");
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i)
        value |= uint64_t { m_data[m_position + i] } << (8 * i);
    m_position += size;
    return value;
}

bool StateReader::boolean()
{
    const uint8_t value = u8();
    if (value > 1)
        fail(fmt::format("a flag holds {}, not 0 or 1", value));
    return value == 1;
}

std::vector<uint8_t> StateReader::bytes(size_t max_size)
{
    const uint32_t size = u32();
    if (size > max_size)
        fail(fmt::format("a field of {} bytes is longer than its limit of {}", size, max_size));
    if (m_data.size() - m_position < size)
        fail("ends too early (truncated or from another version)");
    std::vector<uint8_t> value(m_data.begin() + static_cast<std::ptrdiff_t>(m_position),
        m_data.begin() + static_cast<std::ptrdiff_t>(m_position + size));
    m_position += size;
    return value;
}

std::string StateReader::string(size_t max_size)
{
    auto value = bytes(max_size);
    return { value.begin(), value.end() };
}

void StateReader::finish() const
{
    if (m_position != m_data.size())
        fail(
            fmt::format("{} bytes are left over after its last field", m_data.size() - m_position));
}

} // namespace rvisor::state
