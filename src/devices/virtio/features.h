#pragma once
#include <cstdint>

namespace rvisor::devices::virtio {

// The feature bits every device type shares (virtio 1.2, "Reserved Feature Bits"). Device types
// number their own bits below 24.
constexpr uint64_t kFeatureIndirectDescriptors = uint64_t { 1 } << 28;
constexpr uint64_t kFeatureEventIndex = uint64_t { 1 } << 29;
constexpr uint64_t kFeatureVersion1 = uint64_t { 1 } << 32;

} // namespace rvisor::devices::virtio
