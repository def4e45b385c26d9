#pragma once
// What rvisor-oci hands to runc: containers whose program is not RISC-V (foreign_image.h). runc
// keeps their state under ROOT/runc, so every later command on such an id goes there too.
#include <filesystem>
#include <string>
#include <vector>

namespace rvisor::oci {

// runc's root for the containers rvisor-oci hands it.
std::filesystem::path runc_root(const std::filesystem::path& root);

// Whether runc holds the container `id` (its state is under runc_root(root)).
bool runc_holds(const std::filesystem::path& root, const std::string& id);

// Replaces this process with runc, given the same command line with --root pointing at
// runc_root(root). $RVISOR_OCI_RUNC names the binary (default: runc on PATH). Throws
// std::runtime_error when runc cannot be run.
[[noreturn]] void exec_runc(
    const std::filesystem::path& root, const std::vector<std::string>& args);

} // namespace rvisor::oci
