#pragma once
#include "fuzzed_device.h"
#include "scratch_image.h"

#include <memory>

namespace rvisor::fuzz {

// A virtio block device on `image`, emptied first. The script's first byte chooses the access:
// odd is a read-only image, which must refuse every change.
std::unique_ptr<FuzzedDevice> make_fuzzed_block(const ScratchImage& image, ScriptReader&);

} // namespace rvisor::fuzz
