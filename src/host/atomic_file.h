#pragma once
// A file replaced whole or not at all: written beside its place, then renamed over it, so that a
// reader (or a process restarted after a crash) finds the old content or the new, never a part.
#include <filesystem>
#include <string_view>

namespace rvisor::host {

// Throws std::runtime_error naming the file when it cannot be written.
void write_file_atomically(const std::filesystem::path& path, std::string_view text);

} // namespace rvisor::host
