#pragma once
#include <array>
#include <cstdint>

namespace rvisor::cpu {

// Cached translations from a guest-virtual page straight to the host address of guest RAM, one
// direct-mapped table per access kind (fetch, load, store), tagged with the privilege the
// permissions were checked for and the mstatus bits they depend on (Hart::tlb_tag_bits). Only RAM
// pages are cached: MMIO always takes the slow path. A store entry exists only once the PTE is
// writable and dirty, so a hit needs no further check.
class Tlb {
public:
    static constexpr unsigned kKinds = 3;
    static constexpr uint64_t kEntries = 2048;

    // The layout translated code reads for its inline hit test: index() picks the entry, tag()
    // is what it must hold, and host_minus_virtual turns the address into a host pointer.
    struct Entry {
        uint64_t tag = UINT64_MAX;
        uint64_t host_minus_virtual = 0;
    };
    static uint64_t index(uint64_t address) { return (address >> 12) & (kEntries - 1); }
    static uint64_t tag(uint64_t address, unsigned tag_bits)
    {
        return (address & ~uint64_t { 0xfff }) | tag_bits;
    }
    const Entry* table(unsigned kind) const { return m_entries[kind].data(); }
    // Counts every flush, so that caches keyed by virtual address (the translator's jump
    // cache) know to drop what the TLB dropped: see pages_flushed_since().
    uint64_t generation() const { return m_generation; }
    // Calls drop_page(virtual page address) for each page flushed singly after generation
    // `seen`, moves `seen` to now and returns true; returns false when a whole flush came
    // after `seen`, or too many flushes to tell, so the caller must drop everything.
    template <class DropPage> bool pages_flushed_since(uint64_t& seen, DropPage&& drop_page) const
    {
        const uint64_t from = seen;
        seen = m_generation;
        if (m_generation - from > kFlushLogSize)
            return false;
        for (uint64_t generation = from + 1; generation <= m_generation; ++generation) {
            const uint64_t page = m_flush_log[generation % kFlushLogSize];
            if (page == kWholeFlush)
                return false;
            drop_page(page);
        }
        return true;
    }

    uint8_t* lookup(unsigned kind, uint64_t address, unsigned tag_bits) const
    {
        const Entry& entry = m_entries[kind][index(address)];
        if (entry.tag != tag(address, tag_bits))
            return nullptr;
        return reinterpret_cast<uint8_t*>(address + entry.host_minus_virtual);
    }
    // `mapping_size`: the bytes the leaf PTE maps, 4 KiB or a superpage's; a superpage is
    // cached as the 4 KiB slice `address` falls in.
    void insert(unsigned kind, uint64_t address, unsigned tag_bits, uint8_t* host_page,
        uint64_t mapping_size)
    {
        Entry& entry = m_entries[kind][index(address)];
        entry.tag = tag(address, tag_bits);
        entry.host_minus_virtual
            = reinterpret_cast<uint64_t>(host_page) - (address & ~uint64_t { 0xfff });
        if (mapping_size > 0x1000)
            note_superpage(address, mapping_size);
    }
    void flush()
    {
        for (auto& table : m_entries)
            table.fill(Entry {});
        m_superpage_regions = 0;
        log_flush(kWholeFlush);
    }
    // sfence.vma for one address: the entries of its page, unless a superpage slice cached
    // may map it too (then all go: cheaper than tracking every slice). Linux flushes single
    // user and vmalloc pages far more often than its linear map, which superpages map.
    void flush_address(uint64_t address)
    {
        if (may_be_superpage(address)) {
            flush();
            return;
        }
        for (auto& table : m_entries) {
            Entry& entry = table[index(address)];
            if ((entry.tag & ~uint64_t { 0xfff }) == (address & ~uint64_t { 0xfff }))
                entry = Entry {};
        }
        log_flush(address & ~uint64_t { 0xfff });
    }

private:
    static constexpr uint64_t kWholeFlush = UINT64_MAX;
    static constexpr uint64_t kFlushLogSize = 8;
    // Superpage slices are remembered by the 1 GiB regions they lie in, a few of them (Linux
    // maps its linear map and its image with superpages), or as "anywhere" beyond that.
    static constexpr unsigned kRegionShift = 30;
    static constexpr unsigned kMaxRegions = 4;
    static constexpr uint64_t kAnywhere = UINT64_MAX;

    void log_flush(uint64_t page)
    {
        ++m_generation;
        m_flush_log[m_generation % kFlushLogSize] = page;
    }
    void note_superpage(uint64_t address, uint64_t mapping_size)
    {
        if (m_superpage_regions == kAnywhere)
            return;
        const uint64_t region = address >> kRegionShift;
        if (mapping_size > (uint64_t { 1 } << kRegionShift)) {
            m_superpage_regions = kAnywhere;
            return;
        }
        for (unsigned i = 0; i < m_superpage_regions; ++i) {
            if (m_regions[i] == region)
                return;
        }
        if (m_superpage_regions == kMaxRegions) {
            m_superpage_regions = kAnywhere;
            return;
        }
        m_regions[m_superpage_regions++] = region;
    }
    bool may_be_superpage(uint64_t address) const
    {
        if (m_superpage_regions == kAnywhere)
            return true;
        for (unsigned i = 0; i < m_superpage_regions; ++i) {
            if (m_regions[i] == address >> kRegionShift)
                return true;
        }
        return false;
    }

    std::array<std::array<Entry, kEntries>, kKinds> m_entries;
    uint64_t m_superpage_regions = 0; // how many of m_regions are in use, or kAnywhere
    std::array<uint64_t, kMaxRegions> m_regions {};
    uint64_t m_generation = 0;
    std::array<uint64_t, kFlushLogSize> m_flush_log {};
};

} // namespace rvisor::cpu
