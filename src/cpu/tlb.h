#pragma once
#include <array>
#include <cstdint>

namespace rvisor::cpu {

// Cached translations from a guest-virtual page straight to the host address of guest RAM, one
// direct-mapped table per access kind (fetch, load, store), tagged with the privilege the
// permissions were checked for. Only RAM pages are cached: MMIO always takes the slow path.
// A store entry exists only once the PTE is writable and dirty, so a hit needs no further check.
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
    static uint64_t tag(uint64_t address, unsigned privilege)
    {
        return (address & ~uint64_t { 0xfff }) | privilege;
    }
    const Entry* table(unsigned kind) const { return m_entries[kind].data(); }
    // Changes whenever a translation is dropped, so that caches keyed by virtual address
    // (the translator's jump cache) know to drop theirs.
    uint64_t generation() const { return m_generation; }

    uint8_t* lookup(unsigned kind, uint64_t address, unsigned privilege) const
    {
        const Entry& entry = m_entries[kind][index(address)];
        if (entry.tag != tag(address, privilege))
            return nullptr;
        return reinterpret_cast<uint8_t*>(address + entry.host_minus_virtual);
    }
    void insert(unsigned kind, uint64_t address, unsigned privilege, uint8_t* host_page,
        bool from_superpage)
    {
        Entry& entry = m_entries[kind][index(address)];
        entry.tag = tag(address, privilege);
        entry.host_minus_virtual
            = reinterpret_cast<uint64_t>(host_page) - (address & ~uint64_t { 0xfff });
        m_holds_superpage_slices |= from_superpage;
    }
    void flush()
    {
        for (auto& table : m_entries)
            table.fill(Entry {});
        m_holds_superpage_slices = false;
        ++m_generation;
    }
    // sfence.vma for one address. A superpage is cached as 4 KiB slices, so if any are held
    // the whole table goes: cheaper than tracking every slice.
    void flush_address(uint64_t address)
    {
        if (m_holds_superpage_slices) {
            flush();
            return;
        }
        for (auto& table : m_entries)
            table[index(address)] = Entry {};
        ++m_generation;
    }

private:
    std::array<std::array<Entry, kEntries>, kKinds> m_entries;
    bool m_holds_superpage_slices = false;
    uint64_t m_generation = 0;
};

} // namespace rvisor::cpu
