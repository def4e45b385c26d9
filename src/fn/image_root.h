#pragma once
// A function's root from an image in the local container store: Podman's (`podman image mount`
// prints the image's root directory and keeps it mounted; `podman image unmount` lets it go).
// The store is Podman's default, or what $CONTAINERS_STORAGE_CONF names.
#include <filesystem>
#include <string>

namespace rvisor::fn {

// Throws api::ApiError 400 with podman's own sentence when the image is not in the store (or
// podman is missing).
std::filesystem::path mount_image(const std::string& image);
// Best effort: an image another revision still uses stays mounted (podman counts mounts).
void unmount_image(const std::string& image);

} // namespace rvisor::fn
