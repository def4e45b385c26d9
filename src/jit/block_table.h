#pragma once
// The dispatcher's table of guest blocks: each key (the guest pc and where its bytes are in
// guest RAM) holds either the translated code or, while the block is still cold, how often the
// dispatcher reached it. Open addressing with linear probing, so that the lookup the
// dispatcher makes on every jump-cache miss is one hash and mostly one cache line (node-based
// maps spent a seventh of a boot here).
#include <cstddef>
#include <cstdint>

namespace rvisor::jit {

struct CodePage; // the translator's record of a guest page that has blocks

class BlockTable {
public:
    struct Key {
        uint64_t pc;
        const uint8_t* host; // never nullptr
        bool operator==(const Key&) const = default;
    };
    struct Entry {
        Key key { 0, nullptr }; // host nullptr: the slot is free
        const uint8_t* code = nullptr; // nullptr while cold
        CodePage* page = nullptr; // with code: the page the block's bytes are on
        unsigned visits = 0; // while cold: how often the dispatcher reached it
    };

    BlockTable();
    ~BlockTable();
    BlockTable(const BlockTable&) = delete;
    BlockTable& operator=(const BlockTable&) = delete;

    // The entry for `key`, or nullptr.
    Entry* find(const Key& key);
    // The entry for `key`, made cold with no visits if there is none. Other entries may move.
    Entry& find_or_add(const Key& key);
    void set_code(Entry& entry, const uint8_t* code, CodePage* page);
    void erase(const Key& key);
    // Forgets the cold entries: code that never warms up must not grow the table without end.
    void drop_cold();
    // Forgets everything, and gives back the memory of a grown table.
    void clear();

    size_t cold() const { return m_cold; }

private:
    size_t slot_of(const Key& key) const;
    // The slot holding `key`, or else the free slot that ends its probe sequence.
    size_t probe(const Key& key) const;
    // Into the free slot for an entry whose key the table does not hold.
    void insert_moved(const Entry& entry);
    // Fresh slots of `count` entries (a power of two), all free; the old ones are returned.
    // `populate` when entries are about to be moved in: hashing spreads them over every page,
    // and a fault per page cost a boot 1,200 faults. An emptied table stays unpopulated, so
    // that an idle guest's cleared table costs no memory.
    struct Slots {
        Entry* entries;
        size_t count;
    };
    Slots replace_slots(size_t count, bool populate);
    static void release(Slots slots);
    void grow();

    // Mapped straight from the host, not the heap: zero pages are free slots with nothing to
    // initialise, and a cleared table's memory goes back to the host at once (a heap would
    // keep a grown table's megabytes after a guest goes idle).
    Entry* m_slots = nullptr;
    size_t m_count = 0; // slots, a power of two
    unsigned m_shift = 0; // 64 - log2(m_count)
    size_t m_used = 0;
    size_t m_cold = 0;
};

} // namespace rvisor::jit
