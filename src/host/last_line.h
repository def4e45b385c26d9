#pragma once
// The last line that is not empty of a file: what a child process (a VM's rvisor) wrote on its
// stderr last, which says why it stopped.
#include <filesystem>
#include <string>

namespace rvisor::host {

// Without its line ending (LF, or a console's CR LF); empty when the file is missing or holds
// no such line.
std::string last_line_of(const std::filesystem::path& path);

} // namespace rvisor::host
