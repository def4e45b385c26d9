#pragma once
// Where a Linux boot's data goes in guest RAM, above the kernel: the device tree at the top of
// RAM (its start 2 MiB-aligned, so that the kernel's early mapping of it needs one superpage),
// and the initramfs just below it, page-aligned.
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace rvisor::firmware {

struct BootDataPlacement {
    uint64_t tree_address = 0;
    std::optional<std::pair<uint64_t, uint64_t>> initrd; // [start, end), when there is one
};

// Places a device tree of `tree_size` bytes and an initramfs of `initrd_size` bytes (none when
// 0) in RAM [ram_base, ram_base + ram_size), whose base is 2 MiB-aligned, above `kernel_end`
// and above the 2 MiB the kernel's image starts after. Throws std::runtime_error, naming the
// RAM's size, when they do not fit.
BootDataPlacement place_boot_data(uint64_t ram_base, uint64_t ram_size, uint64_t kernel_end,
    uint64_t tree_size, uint64_t initrd_size);

// Where each cpio archive of an initramfs made of several starts, from the initramfs's start,
// and after them its size: Linux finds an uncompressed archive only at a 4-byte boundary (it
// skips zero padding between archives), so each starts at the first one after the previous.
std::vector<uint64_t> initramfs_offsets(std::span<const uint64_t> archive_sizes);

} // namespace rvisor::firmware
