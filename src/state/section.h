#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace rvisor::state {

// One part of a machine's saved state: a hart's, a device's. The tag is unique in a snapshot
// ("machine", "hart0", "plic", "virtio2", ...); the version is the layout of the payload, so
// a later rvisor can read a section an earlier one wrote or refuse it by name.
struct Section {
    std::string tag;
    uint32_t version = 1;
    std::vector<uint8_t> payload; // a StateWriter's bytes

    bool operator==(const Section&) const = default;
};

} // namespace rvisor::state
