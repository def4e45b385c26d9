#pragma once
// The --pid-file of create and exec: engines read it as soon as it appears, so it is written
// whole (into a temporary file beside it, renamed over it) or not at all.
#include <sys/types.h>

#include <filesystem>

namespace rvisor::oci {

// Throws std::runtime_error naming the file.
void write_pid_file(const std::filesystem::path& path, pid_t pid);

} // namespace rvisor::oci
