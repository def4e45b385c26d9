#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace rvisor::mem {

// The guest's RAM: one anonymous mapping. Every guest-physical address that becomes a host
// pointer goes through contains()/pointer(), so nothing outside the mapping is ever touched.
class GuestRam {
public:
    GuestRam(uint64_t base, uint64_t size);
    ~GuestRam();
    GuestRam(const GuestRam&) = delete;
    GuestRam& operator=(const GuestRam&) = delete;

    uint64_t base() const { return m_base; }
    uint64_t size() const { return m_size; }
    bool contains(uint64_t address, uint64_t length) const
    {
        return address >= m_base && length <= m_size && address - m_base <= m_size - length;
    }
    // Host address of guest-physical address; the caller has checked contains().
    uint8_t* pointer(uint64_t address) const { return m_host + (address - m_base); }
    // The guest range as host bytes; empty when any byte falls outside RAM.
    std::span<uint8_t> span(uint64_t address, uint64_t length) const;

private:
    uint64_t m_base;
    uint64_t m_size;
    uint8_t* m_host;
};

} // namespace rvisor::mem
