#include "firmware/boot_data.h"

#include <fmt/format.h>

#include <stdexcept>

namespace rvisor::firmware {

namespace {

constexpr uint64_t kTwoMiB = 2ull << 20;
constexpr uint64_t kPage = 0x1000;

uint64_t align_down(uint64_t value, uint64_t alignment) { return value & ~(alignment - 1); }

} // namespace

BootDataPlacement place_boot_data(uint64_t ram_base, uint64_t ram_size, uint64_t kernel_end,
    uint64_t tree_size, uint64_t initrd_size)
{
    const auto too_little = [&] {
        return std::runtime_error(
            fmt::format("{} MiB of memory is too little for this kernel and initrd (more --mem?)",
                ram_size >> 20));
    };
    // Every subtraction below stays within RAM, so none wraps around.
    const uint64_t lowest = std::max(kernel_end, ram_base + kTwoMiB);
    if (ram_size > UINT64_MAX - ram_base || tree_size > ram_size)
        throw too_little();
    const uint64_t ram_end = ram_base + ram_size;
    BootDataPlacement placement;
    placement.tree_address = align_down(ram_end - tree_size, kTwoMiB);
    if (placement.tree_address < lowest)
        throw too_little();
    if (initrd_size == 0)
        return placement;
    if (initrd_size > placement.tree_address - lowest)
        throw too_little();
    const uint64_t start = align_down(placement.tree_address - initrd_size, kPage);
    if (start < lowest)
        throw too_little();
    placement.initrd = std::pair { start, start + initrd_size };
    return placement;
}

std::vector<uint64_t> initramfs_offsets(std::span<const uint64_t> archive_sizes)
{
    std::vector<uint64_t> offsets;
    uint64_t end = 0;
    for (const uint64_t size : archive_sizes) {
        offsets.push_back((end + 3) & ~uint64_t { 3 });
        end = offsets.back() + size;
    }
    offsets.push_back(end);
    return offsets;
}

} // namespace rvisor::firmware
