#pragma once
#include <cstdint>

namespace rvisor::mem {

// What every memory-mapped device implements: aligned reads and writes of 1, 2, 4 or 8 bytes
// at an offset inside its region. A device decides itself what odd sizes mean (most registers
// are 32-bit); it never sees an address outside its region.
class MmioDevice {
public:
    virtual ~MmioDevice() = default;
    virtual uint64_t read(uint64_t offset, unsigned size) = 0;
    virtual void write(uint64_t offset, unsigned size, uint64_t value) = 0;
};

} // namespace rvisor::mem
