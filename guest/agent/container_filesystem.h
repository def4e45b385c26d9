// What a container's set-up does to the guest's file tree (Mount, WriteFile, Symlink): the steps
// runc takes for a config.json's mounts, each error naming its step and path.
#pragma once

#include "protocol.h"

#include <optional>

namespace rvisor::agent {

std::optional<CallError> mount_filesystem(const Mount& request);

// Creates the parent directories, then the link; a file already at the path is left as it is
// (runc's rule for the /dev links an image may already have).
std::optional<CallError> make_symlink(const Symlink& request);

// Creates the parent directories, then writes the file whole with exactly request.mode.
std::optional<CallError> write_file(const WriteFile& request);

} // namespace rvisor::agent
