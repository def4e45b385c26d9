#pragma once
#include "mem/guest_ram.h"
#include "mem/mmio_device.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace rvisor::mem {

// The guest-physical address map: RAM plus device regions. Harts reach devices only through it.
class Bus {
public:
    explicit Bus(GuestRam& ram)
        : m_ram(ram)
    {
    }

    // Regions must not overlap each other or RAM; the machine's layout guarantees it.
    void map(uint64_t base, uint64_t size, MmioDevice& device);

    GuestRam& ram() const { return m_ram; }

    // Physical accesses of 1, 2, 4 or 8 bytes. nullopt / false: nothing answers there (an
    // access fault for the hart).
    std::optional<uint64_t> read(uint64_t address, unsigned size) const;
    bool write(uint64_t address, unsigned size, uint64_t value) const;

private:
    struct Region {
        uint64_t base;
        uint64_t size;
        MmioDevice* device;
    };
    const Region* find(uint64_t address, unsigned size) const;

    GuestRam& m_ram;
    std::vector<Region> m_regions;
};

} // namespace rvisor::mem
