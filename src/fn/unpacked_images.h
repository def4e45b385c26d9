#pragma once
// The roots of functions deployed from OCI image layouts (`image` "oci:/path[:tag]"): each
// image is unpacked once, keyed by its manifest's digest, into
//
//   STATE_DIR/images/sha256-HEX/rootfs
//
// and shared by every revision deployed from that manifest. It is unpacked into a temporary
// sibling (.unpacking-…) that is renamed when complete, so a crash never leaves a half-made root
// that is later used; the temporary ones are removed at start. It stays across restarts of the
// control program, and is removed when the last revision holding it lets it go.
#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>

namespace rvisor::fn {

class UnpackedImages {
public:
    explicit UnpackedImages(std::filesystem::path directory);

    // The root of `image`'s linux/riscv64 manifest, unpacked unless it is already, held for one
    // revision. Throws api::ApiError: 400 naming the file and what is wrong with the layout,
    // 500 when the host fails.
    std::filesystem::path acquire(const std::string& image);
    // Holds a root found in the state directory at restart for one revision. Throws
    // std::runtime_error when it is gone.
    void adopt(const std::filesystem::path& root);
    // A revision lets its root go; the last one removes it.
    void release(const std::filesystem::path& root);
    // Removes the unpacked images no revision holds (the last control program stopped between
    // an unpack and its revision's record).
    void remove_unheld();

private:
    const std::filesystem::path m_directory;
    std::mutex m_mutex;
    std::map<std::filesystem::path, unsigned> m_holders; // by root
    // Names each unpacking's temporary directory apart from another of the same image.
    std::atomic<unsigned> m_unpacks { 0 };
};

} // namespace rvisor::fn
