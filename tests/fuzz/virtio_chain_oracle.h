#pragma once
// What a driver knows of the chains it offers, worked out apart from VirtQueue so that the fuzz
// targets can hold the device's used elements against it.
#include "mem/guest_ram.h"

#include <cstdint>
#include <vector>

namespace rvisor::fuzz {

// Whether every byte of [address, address + length) is guest RAM, in 128-bit arithmetic so
// that no sum wraps.
bool inside_ram(const mem::GuestRam&, uint64_t address, uint64_t length);

// A chain as the spec lets a device see it. Unusable: an index outside its table, a loop, a
// buffer or indirect table not wholly in RAM, an indirect table inside another or with NEXT;
// a device must never use such a chain. The oracle is lenient where the spec leaves the device
// a choice (a chain of 4 GiB, readable after writable, indirect without the feature): it calls
// those usable, and only a device that uses an unusable chain or writes more than a chain's
// writable bytes is caught.
struct ChainFacts {
    bool usable { false };
    uint64_t writable_bytes { 0 };
};
ChainFacts chain_facts(const mem::GuestRam&, uint64_t table, uint32_t entries, uint16_t head);

struct GuestRange {
    uint64_t begin;
    uint64_t end;
};

// What the device may read as queue structures (tables, rings) and what it may write (the
// writable buffers of every entry, whether or not a chain reaches it). When they overlap, a
// device may rightly overwrite the rings it is judged by, and its used elements prove nothing.
class QueueFootprint {
public:
    void add_structure(uint64_t begin, uint64_t length)
    {
        m_structures.push_back({ begin, begin + length });
    }
    // A descriptor table in RAM: itself, its entries' writable buffers, and the indirect tables
    // it names with their entries' buffers.
    void add_table(const mem::GuestRam&, uint64_t table, uint32_t entries);
    // Whether a writable buffer may cover a structure; also true when the tables were too
    // large to look at whole.
    bool may_overwrite_structures();

private:
    void add_entries(const mem::GuestRam&, uint64_t table, uint32_t entries, bool indirect);

    std::vector<GuestRange> m_structures;
    std::vector<GuestRange> m_writable;
    uint64_t m_entries_seen { 0 };
};

} // namespace rvisor::fuzz
