#pragma once
// Reads back what a StateWriter wrote. Saved state comes from a file the user hands us, so
// every read is bounds-checked and every value a load uses is checked by the load: a short
// section, a boolean that is neither 0 nor 1 or a length past the end throws StateError with
// a sentence naming the section.
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rvisor::state {

class StateError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class StateReader {
public:
    // `name` names the section in error messages; `version` is the version it was written at,
    // for loads that read older layouts.
    StateReader(std::span<const uint8_t> data, std::string name, uint32_t version = 1);

    uint32_t version() const { return m_version; }
    const std::string& name() const { return m_name; }

    uint8_t u8() { return static_cast<uint8_t>(little_endian(1)); }
    uint16_t u16() { return static_cast<uint16_t>(little_endian(2)); }
    uint32_t u32() { return static_cast<uint32_t>(little_endian(4)); }
    uint64_t u64() { return little_endian(8); }
    bool boolean();
    // At most `max_size` bytes: a corrupt length must not become a huge allocation.
    std::vector<uint8_t> bytes(size_t max_size);
    std::string string(size_t max_size);

    // Throws unless every byte was read: a section longer than its reader expects was written
    // by something else.
    void finish() const;
    // Throws StateError("section 'NAME': WHAT").
    [[noreturn]] void fail(const std::string& what) const;

private:
    uint64_t little_endian(unsigned size);

    std::span<const uint8_t> m_data;
    size_t m_position = 0;
    std::string m_name;
    uint32_t m_version;
};

} // namespace rvisor::state
