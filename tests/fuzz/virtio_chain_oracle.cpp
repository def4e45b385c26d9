#include "virtio_chain_oracle.h"

#include "unit/virtio_test_driver.h"

#include <algorithm>
#include <cstring>

namespace rvisor::fuzz {

namespace {

using namespace devices::virtio::testing;

constexpr uint64_t kDescriptorSize = sizeof(Descriptor);
// Past this many table entries in one look, a footprint gives up and assumes the worst: a
// script can name thousands of large indirect tables, and a check must stay cheap.
constexpr uint64_t kMaxFootprintEntries = 1 << 14;

Descriptor descriptor_at(const mem::GuestRam& ram, uint64_t table, uint32_t index)
{
    Descriptor descriptor;
    std::memcpy(&descriptor, ram.pointer(table + kDescriptorSize * index), sizeof descriptor);
    return descriptor;
}

bool is_indirect_table(const mem::GuestRam& ram, const Descriptor& descriptor)
{
    return descriptor.length != 0 && descriptor.length % kDescriptorSize == 0
        && inside_ram(ram, descriptor.address, descriptor.length);
}

} // namespace

bool inside_ram(const mem::GuestRam& ram, uint64_t address, uint64_t length)
{
    using u128 = unsigned __int128;
    return address >= ram.base() && u128 { address } + length <= u128 { ram.base() } + ram.size();
}

ChainFacts chain_facts(const mem::GuestRam& ram, uint64_t table, uint32_t entries, uint16_t head)
{
    ChainFacts facts;
    bool in_indirect_table = false;
    uint32_t visited = 0;
    uint32_t index = head;
    for (;;) {
        if (index >= entries || ++visited > entries)
            return {};
        const Descriptor descriptor = descriptor_at(ram, table, index);
        if (descriptor.flags & kIndirect) {
            if (in_indirect_table || (descriptor.flags & kNext)
                || !is_indirect_table(ram, descriptor))
                return {};
            table = descriptor.address;
            entries = descriptor.length / kDescriptorSize;
            in_indirect_table = true;
            visited = 0;
            index = 0;
            continue;
        }
        if (descriptor.length != 0) {
            if (!inside_ram(ram, descriptor.address, descriptor.length))
                return {};
            if (descriptor.flags & kWrite)
                facts.writable_bytes += descriptor.length;
        }
        if (!(descriptor.flags & kNext)) {
            facts.usable = true;
            return facts;
        }
        index = descriptor.next;
    }
}

void QueueFootprint::add_table(const mem::GuestRam& ram, uint64_t table, uint32_t entries)
{
    add_structure(table, kDescriptorSize * entries);
    add_entries(ram, table, entries, false);
}

void QueueFootprint::add_entries(
    const mem::GuestRam& ram, uint64_t table, uint32_t entries, bool indirect)
{
    m_entries_seen += entries;
    if (m_entries_seen > kMaxFootprintEntries)
        return;
    for (uint32_t index = 0; index < entries; ++index) {
        const Descriptor descriptor = descriptor_at(ram, table, index);
        if (descriptor.flags & kIndirect) {
            if (!indirect && is_indirect_table(ram, descriptor)) {
                add_structure(descriptor.address, descriptor.length);
                add_entries(ram, descriptor.address,
                    static_cast<uint32_t>(descriptor.length / kDescriptorSize), true);
            }
        } else if ((descriptor.flags & kWrite) && descriptor.length != 0
            && inside_ram(ram, descriptor.address, descriptor.length)) {
            m_writable.push_back({ descriptor.address, descriptor.address + descriptor.length });
        }
    }
}

bool QueueFootprint::may_overwrite_structures()
{
    if (m_entries_seen > kMaxFootprintEntries)
        return true;
    // Structures sorted by start and merged, so that one binary search answers each buffer.
    std::sort(m_structures.begin(), m_structures.end(),
        [](const GuestRange& a, const GuestRange& b) { return a.begin < b.begin; });
    std::vector<GuestRange> merged;
    for (const GuestRange& range : m_structures) {
        if (!merged.empty() && range.begin <= merged.back().end)
            merged.back().end = std::max(merged.back().end, range.end);
        else
            merged.push_back(range);
    }
    return std::any_of(m_writable.begin(), m_writable.end(), [&](const GuestRange& buffer) {
        // The last structure starting before the buffer ends is the only one that can reach it.
        auto after = std::lower_bound(merged.begin(), merged.end(), buffer.end,
            [](const GuestRange& range, uint64_t end) { return range.begin < end; });
        return after != merged.begin() && std::prev(after)->end > buffer.begin;
    });
}

} // namespace rvisor::fuzz
