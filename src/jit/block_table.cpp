#include "jit/block_table.h"

#include <sys/mman.h>

#include <bit>
#include <new>
#include <type_traits>

namespace rvisor::jit {

namespace {

constexpr size_t kInitialSlots = 4096;
static_assert(std::is_trivially_copyable_v<BlockTable::Entry>);

} // namespace

BlockTable::BlockTable() { clear(); }

BlockTable::~BlockTable() { release({ m_slots, m_count }); }

BlockTable::Slots BlockTable::replace_slots(size_t count, bool populate)
{
    void* memory = mmap(nullptr, count * sizeof(Entry), PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (populate ? MAP_POPULATE : 0), -1, 0);
    if (memory == MAP_FAILED)
        throw std::bad_alloc();
    const Slots old { m_slots, m_count };
    // Zero bytes are a free entry: a null host pointer.
    m_slots = static_cast<Entry*>(memory);
    m_count = count;
    m_shift = 64 - static_cast<unsigned>(std::countr_zero(count));
    return old;
}

void BlockTable::release(Slots slots)
{
    if (slots.entries)
        munmap(slots.entries, slots.count * sizeof(Entry));
}

size_t BlockTable::slot_of(const Key& key) const
{
    // Multiplicative hashing: the product's top bits depend on every bit of the key.
    const uint64_t mixed = (key.pc ^ reinterpret_cast<uintptr_t>(key.host) * 0x9e3779b97f4a7c15ull)
        * 0xbf58476d1ce4e5b9ull;
    return static_cast<size_t>(mixed >> m_shift);
}

size_t BlockTable::probe(const Key& key) const
{
    const size_t mask = m_count - 1;
    size_t slot = slot_of(key);
    while (m_slots[slot].key.host && !(m_slots[slot].key == key))
        slot = (slot + 1) & mask;
    return slot;
}

BlockTable::Entry* BlockTable::find(const Key& key)
{
    Entry& entry = m_slots[probe(key)];
    return entry.key.host ? &entry : nullptr;
}

BlockTable::Entry& BlockTable::find_or_add(const Key& key)
{
    size_t slot = probe(key);
    if (m_slots[slot].key.host)
        return m_slots[slot];
    // At most half full, so probes stay short and one free slot always ends them.
    if (2 * (m_used + 1) > m_count) {
        grow();
        slot = probe(key);
    }
    m_slots[slot] = Entry { key };
    ++m_used;
    ++m_cold;
    return m_slots[slot];
}

void BlockTable::set_code(Entry& entry, const uint8_t* code, CodePage* page)
{
    if (!entry.code)
        --m_cold;
    entry.code = code;
    entry.page = page;
}

void BlockTable::erase(const Key& key)
{
    Entry* found = find(key);
    if (!found)
        return;
    if (!found->code)
        --m_cold;
    --m_used;
    // Backward-shift deletion: the entries after the hole that could have sat in it move back,
    // so that no probe sequence is cut short and no tombstones accumulate.
    const size_t mask = m_count - 1;
    size_t hole = static_cast<size_t>(found - m_slots);
    for (size_t next = (hole + 1) & mask; m_slots[next].key.host; next = (next + 1) & mask) {
        const size_t home = slot_of(m_slots[next].key);
        // The entry may move into the hole unless its home lies cyclically in (hole, next].
        const bool stays
            = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
        if (!stays) {
            m_slots[hole] = m_slots[next];
            hole = next;
        }
    }
    m_slots[hole] = Entry {};
}

void BlockTable::insert_moved(const Entry& entry) { m_slots[probe(entry.key)] = entry; }

void BlockTable::grow()
{
    const Slots old = replace_slots(m_count * 2, true);
    for (size_t i = 0; i < old.count; ++i) {
        if (old.entries[i].key.host)
            insert_moved(old.entries[i]);
    }
    release(old);
}

void BlockTable::drop_cold()
{
    const Slots old = replace_slots(m_count, true);
    m_used = 0;
    m_cold = 0;
    for (size_t i = 0; i < old.count; ++i) {
        if (old.entries[i].key.host && old.entries[i].code) {
            insert_moved(old.entries[i]);
            ++m_used;
        }
    }
    release(old);
}

void BlockTable::clear()
{
    release(replace_slots(kInitialSlots, false));
    m_used = 0;
    m_cold = 0;
}

} // namespace rvisor::jit
