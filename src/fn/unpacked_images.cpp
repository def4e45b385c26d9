#include "fn/unpacked_images.h"

#include "api/vm_control.h"
#include "fn/layer_unpack.h"
#include "fn/oci_image_layout.h"

#include <fmt/format.h>

#include <system_error>
#include <unistd.h>

namespace rvisor::fn {

namespace {

constexpr std::string_view kUnpackingPrefix = ".unpacking-";

// remove_all, after giving the owner back the directories an image made read-only.
void remove_tree(const std::filesystem::path& path)
{
    namespace fs = std::filesystem;
    std::error_code ignored;
    fs::permissions(
        path, fs::perms::owner_all, fs::perm_options::add | fs::perm_options::nofollow, ignored);
    for (fs::recursive_directory_iterator it(path, ignored), end; it != end; it.increment(ignored))
        if (it->is_directory(ignored) && !it->is_symlink(ignored))
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path, ignored);
}

} // namespace

UnpackedImages::UnpackedImages(std::filesystem::path directory)
    : m_directory(std::move(directory))
{
    std::filesystem::create_directories(m_directory);
    for (const auto& entry : std::filesystem::directory_iterator(m_directory))
        if (entry.path().filename().string().starts_with(kUnpackingPrefix))
            remove_tree(entry.path());
}

std::filesystem::path UnpackedImages::acquire(const std::string& image)
{
    ResolvedImage resolved;
    try {
        resolved = resolve_oci_image_layout(parse_oci_layout_reference(image));
    } catch (const ImageLayoutError& error) {
        throw api::ApiError(400, error.what());
    }
    const std::string key = "sha256-" + resolved.manifest_digest.substr(7);
    const std::filesystem::path image_dir = m_directory / key;
    const std::filesystem::path root = image_dir / "rootfs";
    {
        std::lock_guard lock(m_mutex);
        // Only complete roots are ever renamed into place.
        if (std::filesystem::is_directory(root)) {
            ++m_holders[root];
            return root;
        }
    }
    const std::filesystem::path temporary
        = m_directory / fmt::format("{}{}-{}-{}", kUnpackingPrefix, key, ::getpid(), m_unpacks++);
    try {
        std::filesystem::create_directories(temporary / "rootfs");
        LayerUnpacker unpacker(temporary / "rootfs");
        for (const ImageLayer& layer : resolved.layers) {
            verify_layer(layer);
            unpacker.apply(layer);
        }
        unpacker.finish();
    } catch (const ImageLayoutError& error) {
        remove_tree(temporary);
        throw api::ApiError(400, error.what());
    } catch (const std::exception& error) {
        remove_tree(temporary);
        throw api::ApiError(500, fmt::format("Unpacking {} failed: {}", image, error.what()));
    }
    std::lock_guard lock(m_mutex);
    std::error_code error;
    std::filesystem::rename(temporary, image_dir, error);
    // Another deploy of the same manifest was quicker: its root is the same.
    if (error)
        remove_tree(temporary);
    if (!std::filesystem::is_directory(root))
        throw api::ApiError(
            500, fmt::format("{} cannot be made: {}", image_dir.string(), error.message()));
    ++m_holders[root];
    return root;
}

void UnpackedImages::adopt(const std::filesystem::path& root)
{
    if (root.parent_path().parent_path() != m_directory || !std::filesystem::is_directory(root))
        throw std::runtime_error(fmt::format("its unpacked image {} is gone", root.string()));
    std::lock_guard lock(m_mutex);
    ++m_holders[root];
}

void UnpackedImages::release(const std::filesystem::path& root)
{
    std::lock_guard lock(m_mutex);
    const auto found = m_holders.find(root);
    if (found == m_holders.end() || --found->second > 0)
        return;
    m_holders.erase(found);
    remove_tree(root.parent_path());
}

void UnpackedImages::remove_unheld()
{
    std::lock_guard lock(m_mutex);
    for (const auto& entry : std::filesystem::directory_iterator(m_directory))
        if (!m_holders.contains(entry.path() / "rootfs"))
            remove_tree(entry.path());
}

} // namespace rvisor::fn
