#pragma once
// FNV-1a, 64 bits: a hash that stays the same across builds and library versions, for names
// derived from text that an older or newer rvisor-oci must derive alike (unlike std::hash).
#include <cstdint>
#include <string_view>

namespace rvisor::oci {

inline uint64_t stable_hash(std::string_view text)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const char c : text) {
        hash ^= static_cast<uint8_t>(c);
        hash *= 0x100000001b3ull;
    }
    return hash;
}

} // namespace rvisor::oci
