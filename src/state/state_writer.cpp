#include "state/state_writer.h"

namespace rvisor::state {

void StateWriter::little_endian(uint64_t value, unsigned size)
{
    for (unsigned i = 0; i < size; ++i)
        m_bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
}

void StateWriter::bytes(std::span<const uint8_t> value)
{
    u32(static_cast<uint32_t>(value.size()));
    m_bytes.insert(m_bytes.end(), value.begin(), value.end());
}

void StateWriter::string(std::string_view value)
{
    bytes({ reinterpret_cast<const uint8_t*>(value.data()), value.size() });
}

} // namespace rvisor::state
