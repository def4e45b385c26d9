#pragma once
// The --fs flag: PATH,tag=TAG[,ro]. PATH is the host directory shared; TAG (1 to 36 bytes, the
// size of virtio-fs's tag field) is what the guest mounts: `mount -t virtiofs TAG DIR`; ro
// makes every write fail with EROFS (docs/virtio-fs.md).
#include "machine/vm_spec.h"

#include <string>
#include <vector>

namespace rvisor::vmm {

// Throws std::runtime_error with one sentence naming the part of `text` that is wrong.
machine::FsShareConfig parse_fs_option(const std::string& text);

// The option text parse_fs_option() reads back as `config`.
std::string format_fs_option(const machine::FsShareConfig& config);

// Throws std::runtime_error naming the tag when two shares have the same one, which the guest
// could not tell apart.
void check_fs_tags(const std::vector<machine::FsShareConfig>& shares);

} // namespace rvisor::vmm
