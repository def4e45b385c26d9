#pragma once
// The encoding of one section of saved state (a hart, a device): fields written one after the
// other as little-endian integers, never a struct's bytes, so the layout is the same on every
// host and compiler and a later rvisor can read what an earlier one wrote (DESIGN.md,
// "Lifecycle and saved state"). A section's reader reads the fields back in the same order.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace rvisor::state {

class StateWriter {
public:
    void u8(uint8_t value) { m_bytes.push_back(value); }
    void u16(uint16_t value) { little_endian(value, 2); }
    void u32(uint32_t value) { little_endian(value, 4); }
    void u64(uint64_t value) { little_endian(value, 8); }
    void boolean(bool value) { u8(value ? 1 : 0); }
    // A length (u32) and the bytes.
    void bytes(std::span<const uint8_t> value);
    void string(std::string_view value);

    const std::vector<uint8_t>& data() const { return m_bytes; }

private:
    void little_endian(uint64_t value, unsigned size);

    std::vector<uint8_t> m_bytes;
};

} // namespace rvisor::state
