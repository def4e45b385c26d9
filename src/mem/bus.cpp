#include "mem/bus.h"

#include <cstring>

namespace rvisor::mem {

void Bus::map(uint64_t base, uint64_t size, MmioDevice& device)
{
    m_regions.push_back({ base, size, &device });
}

const Bus::Region* Bus::find(uint64_t address, unsigned size) const
{
    for (const auto& region : m_regions) {
        if (address >= region.base && address - region.base <= region.size - size)
            return &region;
    }
    return nullptr;
}

std::optional<uint64_t> Bus::read(uint64_t address, unsigned size) const
{
    if (m_ram.contains(address, size)) {
        uint64_t value = 0;
        std::memcpy(&value, m_ram.pointer(address), size);
        return value;
    }
    if (const Region* region = find(address, size))
        return region->device->read(address - region->base, size);
    return std::nullopt;
}

bool Bus::write(uint64_t address, unsigned size, uint64_t value) const
{
    if (m_ram.contains(address, size)) {
        std::memcpy(m_ram.pointer(address), &value, size);
        return true;
    }
    if (const Region* region = find(address, size)) {
        region->device->write(address - region->base, size, value);
        return true;
    }
    return false;
}

} // namespace rvisor::mem
