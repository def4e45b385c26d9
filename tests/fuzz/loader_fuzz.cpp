// libFuzzer target: what rvisor loads into a guest before it boots (README.md). The first byte
// chooses what the rest is:
//
//   0  an ELF file, loaded at its segments' physical addresses
//   1  a Linux RISC-V Image, loaded at RAM + its header's text_offset
//   2  an address (8 bytes), then raw bytes loaded there
//   3  a device tree's inputs: hart count (1 byte, modulo 34: a machine has 1 to 32), RAM
//      size (8), initrd start and end (8 + 8, none when start has bit 0 set), virtio slots
//      (1 byte, 0..8), then the kernel command line
//   4  the boot data's placement: RAM size, kernel end (an offset from RAM's base), device tree
//      size and initramfs size (8 bytes each), then the sizes of initramfs archives to
//      concatenate (2 bytes each)
//
// A loader must refuse its file with an exception that says why, or leave it entirely inside
// the 4 MiB of guest RAM (bss included), the file's bytes where it says. A device tree must be
// refused the same way, or be one libfdt reads back with what it was given: the command line,
// every hart, the RAM's size and the initrd's range. The boot data must be placed inside RAM,
// above the kernel and its first 2 MiB, the tree 2 MiB-aligned above a page-aligned initramfs, or
// refused with an exception when that top-of-RAM placement does not fit; concatenated archives
// must each start at the first 4-byte boundary after the one before.
#include "byte_reader.h"
#include "firmware/boot_data.h"
#include "firmware/device_tree.h"
#include "firmware/image_loader.h"
#include "fuzz_check.h"
#include "mem/guest_ram.h"

#include <libfdt.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using rvisor::fuzz::check;

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 4 << 20;

void check_placed(const rvisor::firmware::LoadedImage& image, const rvisor::mem::GuestRam& ram)
{
    check(image.lowest <= image.highest, "an image ends after it begins");
    check(ram.contains(image.lowest, image.highest - image.lowest), "an image lies inside RAM");
}

void check_copied(
    const rvisor::mem::GuestRam& ram, uint64_t address, const std::vector<uint8_t>& bytes)
{
    check(bytes.empty() || std::memcmp(ram.pointer(address), bytes.data(), bytes.size()) == 0,
        "the file's bytes are where it was loaded");
}

template <typename Load> void try_load(Load&& load)
{
    try {
        load();
    } catch (const std::runtime_error& error) {
        check(std::strlen(error.what()) > 0, "a refusal says why");
    }
}

std::string property_string(const void* tree, const char* path, const char* name)
{
    const int node = fdt_path_offset(tree, path);
    int length = 0;
    const auto* value = static_cast<const char*>(fdt_getprop(tree, node, name, &length));
    return value && length > 0 ? std::string(value, strnlen(value, length)) : std::string();
}

uint64_t property_u64(const void* tree, const char* path, const char* name)
{
    const int node = fdt_path_offset(tree, path);
    int length = 0;
    const void* value = fdt_getprop(tree, node, name, &length);
    check(value && length == 8, "a 64-bit property is there");
    fdt64_t big_endian;
    std::memcpy(&big_endian, value, sizeof(big_endian));
    return fdt64_to_cpu(big_endian);
}

void check_device_tree(
    const std::vector<uint8_t>& blob, const rvisor::firmware::DeviceTreeLayout& layout)
{
    const void* tree = blob.data();
    check(fdt_check_header(tree) == 0 && fdt_totalsize(tree) <= blob.size(),
        "the device tree has a valid header");
    check(property_string(tree, "/chosen", "bootargs") == layout.bootargs,
        "the device tree holds the command line given");
    unsigned harts = 0;
    const int cpus = fdt_path_offset(tree, "/cpus");
    for (int node = fdt_first_subnode(tree, cpus); node >= 0; node = fdt_next_subnode(tree, node))
        harts += std::strncmp(fdt_get_name(tree, node, nullptr), "cpu@", 4) == 0;
    check(harts == layout.hart_count, "the device tree has every hart");
    const int memory = fdt_path_offset(tree, "/memory@80000000");
    int length = 0;
    const auto* reg = static_cast<const fdt32_t*>(fdt_getprop(tree, memory, "reg", &length));
    check(reg && length == 16, "the memory node has a reg");
    const uint64_t size = uint64_t { fdt32_to_cpu(reg[2]) } << 32 | fdt32_to_cpu(reg[3]);
    check(size == layout.ram_size, "the device tree holds the RAM's size");
    if (layout.initrd) {
        check(property_u64(tree, "/chosen", "linux,initrd-start") == layout.initrd->first
                && property_u64(tree, "/chosen", "linux,initrd-end") == layout.initrd->second,
            "the device tree holds the initrd's range");
    }
}

void build_device_tree(rvisor::fuzz::ByteReader& input)
{
    rvisor::firmware::DeviceTreeLayout layout;
    // libfdt looks every property's name up in its string table, which the fuzzer's memcmp
    // hook makes slow: more harts than a machine may have would only slow the search.
    layout.hart_count = static_cast<unsigned>(input.little_endian(1).value_or(1) % 34);
    layout.ram_size = input.little_endian(8).value_or(kRamSize);
    const uint64_t initrd_start = input.little_endian(8).value_or(1);
    const uint64_t initrd_end = input.little_endian(8).value_or(0);
    if (!(initrd_start & 1))
        layout.initrd = std::pair { initrd_start, initrd_end };
    const uint64_t slots = input.little_endian(1).value_or(0) % 9;
    for (uint32_t slot = 0; slot < slots; ++slot)
        layout.virtio.push_back({ 0x10001000 + 0x1000 * slot, 1 + slot });
    const auto text = input.rest();
    layout.bootargs.assign(text.begin(), text.end());
    try_load([&] { check_device_tree(rvisor::firmware::build_device_tree(layout), layout); });
}

void place_boot_data(rvisor::fuzz::ByteReader& input)
{
    constexpr uint64_t two_mib = 2 << 20;
    const uint64_t ram_size = input.little_endian(8).value_or(kRamSize);
    const uint64_t kernel_end = kRamBase + input.little_endian(8).value_or(two_mib);
    const uint64_t tree_size = input.little_endian(8).value_or(4096);
    const uint64_t initrd_size = input.little_endian(8).value_or(0);
    const uint64_t lowest = std::max(kernel_end, kRamBase + two_mib);
    // Where the top-of-RAM placement puts them, when RAM has an end and room for the tree.
    const bool has_room = ram_size <= UINT64_MAX - kRamBase && tree_size <= ram_size;
    const uint64_t tree_top = has_room ? (kRamBase + ram_size - tree_size) & ~(two_mib - 1) : 0;
    const bool fits = has_room && tree_top >= lowest
        && (initrd_size == 0
            || (initrd_size <= tree_top - lowest
                && ((tree_top - initrd_size) & ~uint64_t { 0xfff }) >= lowest));
    try {
        const auto placement = rvisor::firmware::place_boot_data(
            kRamBase, ram_size, kernel_end, tree_size, initrd_size);
        check(fits, "boot data is placed only where it fits");
        check(placement.tree_address == tree_top, "the tree is at the top of RAM, 2 MiB-aligned");
        check(placement.tree_address >= lowest && placement.tree_address + tree_size >= tree_size
                && placement.tree_address + tree_size <= kRamBase + ram_size,
            "the tree lies in RAM above the kernel");
        check(placement.initrd.has_value() == (initrd_size != 0), "an initramfs is placed");
        if (placement.initrd) {
            const auto [start, end] = *placement.initrd;
            check(start % 0x1000 == 0 && start >= lowest && end - start == initrd_size
                    && end <= placement.tree_address,
                "the initramfs lies page-aligned between the kernel and the tree");
        }
    } catch (const std::runtime_error& error) {
        check(!fits, "boot data that fits is placed");
        check(std::strlen(error.what()) > 0, "a refusal says why");
    }

    std::vector<uint64_t> sizes;
    while (const auto size = input.little_endian(2))
        sizes.push_back(*size);
    const std::vector<uint64_t> offsets = rvisor::firmware::initramfs_offsets(sizes);
    check(offsets.size() == sizes.size() + 1, "an offset for each archive, then the size");
    uint64_t end = 0;
    for (size_t i = 0; i < sizes.size(); i++) {
        check(offsets[i] % 4 == 0 && offsets[i] >= end && offsets[i] - end < 4,
            "each archive starts at the first 4-byte boundary after the one before");
        end = offsets[i] + sizes[i];
    }
    check(offsets.back() == end, "the initramfs ends with its last archive");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace rvisor::firmware;
    rvisor::fuzz::ByteReader input(data, size);
    const auto mode = input.little_endian(1);
    if (!mode)
        return 0;
    if (*mode % 5 == 3) {
        build_device_tree(input);
        return 0;
    }
    if (*mode % 5 == 4) {
        place_boot_data(input);
        return 0;
    }
    std::optional<uint64_t> address;
    if (*mode % 5 == 2 && !(address = input.little_endian(8)))
        return 0;
    const auto rest = input.rest();
    const std::vector<uint8_t> bytes(rest.begin(), rest.end());
    rvisor::mem::GuestRam ram(kRamBase, kRamSize);
    try_load([&] {
        switch (*mode % 5) {
        case 0: check_placed(load_elf(bytes, ram), ram); break;
        case 1: {
            const LoadedImage image = load_linux_image(bytes, ram);
            check_placed(image, ram);
            check(image.highest - image.lowest >= bytes.size(), "an Image holds the whole file");
            check_copied(ram, image.lowest, bytes);
            break;
        }
        case 2: {
            const LoadedImage image = load_raw(bytes, ram, *address, "the raw image");
            check_placed(image, ram);
            check_copied(ram, image.lowest, bytes);
            break;
        }
        }
    });
    return 0;
}
