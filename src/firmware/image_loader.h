#pragma once
// Loaders for what the user hands rvisor as kernel or firmware: a RISC-V ELF, a Linux `Image`,
// or raw bytes. Each checks the file before a byte lands in guest RAM and says what is wrong
// in one sentence (std::runtime_error) when it cannot be loaded.
#include "mem/guest_ram.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::firmware {

std::vector<uint8_t> read_file(const std::filesystem::path& path, const char* what);

struct LoadedImage {
    uint64_t entry = 0;
    uint64_t lowest = 0; // the lowest guest-physical address written
    uint64_t highest = 0; // one past the highest address the image occupies (bss included)
    // HTIF symbols of a bare-metal test program, when the ELF defines them.
    std::optional<uint64_t> tohost;
    std::optional<uint64_t> fromhost;
};

bool is_elf(const std::vector<uint8_t>& bytes);
bool is_linux_image(const std::vector<uint8_t>& bytes);

// A static RISC-V 64-bit ELF: its PT_LOAD segments at their physical addresses.
LoadedImage load_elf(const std::vector<uint8_t>& bytes, mem::GuestRam& ram);
// A Linux RISC-V `Image`: at RAM base + the header's text_offset, occupying image_size.
LoadedImage load_linux_image(const std::vector<uint8_t>& bytes, mem::GuestRam& ram);
// Raw bytes at `address`; `what` names them in errors ("the firmware").
LoadedImage load_raw(
    const std::vector<uint8_t>& bytes, mem::GuestRam& ram, uint64_t address, const char* what);

} // namespace rvisor::firmware
