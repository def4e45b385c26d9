#pragma once
#include <cstdint>
#include <string>

namespace rvisor::fuzz {

// A disk image for the block targets: a sparse in-memory file (a memfd), made once per process
// and opened by path through /proc/self/fd as a real image is, so no file outlives the process,
// a crashed one included, and a flush costs nothing.
class ScratchImage {
public:
    static constexpr uint64_t kSize = 4 << 20;

    ScratchImage();
    ~ScratchImage();
    ScratchImage(const ScratchImage&) = delete;
    ScratchImage& operator=(const ScratchImage&) = delete;

    // All zeros again, so that no input sees what an earlier one wrote.
    void clear() const;
    std::string path() const;

private:
    int m_fd;
};

} // namespace rvisor::fuzz
