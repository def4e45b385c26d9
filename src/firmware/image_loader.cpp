#include "firmware/image_loader.h"

#include "host/populate.h"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::firmware {

namespace {

template <typename T> T read_struct(const std::vector<uint8_t>& bytes, uint64_t offset)
{
    if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
        throw std::runtime_error("the ELF file is truncated");
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof(T));
    return value;
}

void copy_into_ram(mem::GuestRam& ram, uint64_t address, const uint8_t* data, uint64_t length,
    uint64_t memory_size, const char* what)
{
    if (!ram.contains(address, memory_size)) {
        throw std::runtime_error(fmt::format(
            "{} needs guest memory 0x{:x}-0x{:x}, outside RAM 0x{:x}-0x{:x} (more --mem?)", what,
            address, address + memory_size, ram.base(), ram.base() + ram.size()));
    }
    host::populate_for_writing(ram.pointer(address), memory_size);
    std::memcpy(ram.pointer(address), data, length);
    std::memset(ram.pointer(address + length), 0, memory_size - length);
}

// tohost/fromhost from the ELF's symbol table, when it has one.
void find_htif_symbols(
    const std::vector<uint8_t>& bytes, const Elf64_Ehdr& header, LoadedImage& image)
{
    if (header.e_shoff == 0 || header.e_shentsize != sizeof(Elf64_Shdr))
        return;
    for (unsigned i = 0; i < header.e_shnum; ++i) {
        auto section = read_struct<Elf64_Shdr>(bytes, header.e_shoff + i * sizeof(Elf64_Shdr));
        if (section.sh_type != SHT_SYMTAB || section.sh_link >= header.e_shnum)
            continue;
        auto strings
            = read_struct<Elf64_Shdr>(bytes, header.e_shoff + section.sh_link * sizeof(Elf64_Shdr));
        for (uint64_t offset = 0; offset + sizeof(Elf64_Sym) <= section.sh_size;
             offset += sizeof(Elf64_Sym)) {
            auto symbol = read_struct<Elf64_Sym>(bytes, section.sh_offset + offset);
            if (symbol.st_name >= strings.sh_size || strings.sh_offset > bytes.size()
                || symbol.st_name >= bytes.size() - strings.sh_offset)
                continue;
            const char* name
                = reinterpret_cast<const char*>(bytes.data() + strings.sh_offset + symbol.st_name);
            const size_t room = bytes.size() - strings.sh_offset - symbol.st_name;
            const std::string_view view(name, strnlen(name, room));
            if (view == "tohost")
                image.tohost = symbol.st_value;
            else if (view == "fromhost")
                image.fromhost = symbol.st_value;
        }
    }
}

// The RISC-V Linux Image header (Documentation/riscv/boot-image-header.rst).
struct LinuxImageHeader {
    uint32_t code0;
    uint32_t code1;
    uint64_t text_offset;
    uint64_t image_size;
    uint64_t flags;
    uint32_t version;
    uint32_t reserved1;
    uint64_t reserved2;
    uint64_t magic;
    uint32_t magic2;
    uint32_t pe_offset; // of the EFI stub's PE/COFF header; 0 without one
};
static_assert(sizeof(LinuxImageHeader) == 64);
constexpr uint32_t kImageMagic2 = 0x05435352; // "RSC\x05"

template <typename T> T read_le(const std::vector<uint8_t>& bytes, uint64_t offset)
{
    T value;
    std::memcpy(&value, bytes.data() + offset, sizeof value);
    return value;
}

// How long an Image file must be to hold what its headers describe. With an EFI stub, the
// PE/COFF section table says where the last section's bytes end; without one only the header
// is known (image_size counts the BSS, which the file does not hold).
uint64_t required_image_length(const std::vector<uint8_t>& bytes, const LinuxImageHeader& header)
{
    constexpr uint64_t kCoffHeaderSize = 24; // "PE\0\0" and the COFF file header
    constexpr uint64_t kSectionHeaderSize = 40;
    const uint64_t pe = header.pe_offset;
    if (pe == 0)
        return sizeof header;
    if (bytes.size() < pe + kCoffHeaderSize)
        return pe + kCoffHeaderSize;
    if (std::memcmp(bytes.data() + pe, "PE\0\0", 4) != 0)
        return sizeof header;
    const uint64_t sections = read_le<uint16_t>(bytes, pe + 6);
    const uint64_t table = pe + kCoffHeaderSize + read_le<uint16_t>(bytes, pe + 20);
    uint64_t required = table + sections * kSectionHeaderSize;
    if (bytes.size() < required)
        return required;
    for (uint64_t i = 0; i < sections; ++i) {
        const uint64_t section = table + i * kSectionHeaderSize;
        required = std::max(required,
            uint64_t { read_le<uint32_t>(bytes, section + 20) }
                + read_le<uint32_t>(bytes, section + 16));
    }
    return required;
}

} // namespace

std::vector<uint8_t> read_file(const std::filesystem::path& path, const char* what)
{
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error(
            fmt::format("cannot open {} '{}': {}", what, path.string(), std::strerror(errno)));
    struct stat status { };
    const bool known = ::fstat(fd, &status) == 0;
    if (known && S_ISDIR(status.st_mode)) {
        ::close(fd);
        throw std::runtime_error(
            fmt::format("{} '{}' is a directory, not a file", what, path.string()));
    }
    std::vector<uint8_t> bytes;
    // A kernel or initrd is tens of MiB: growing the vector as it is read cost a boot 6% in
    // copies and page faults, and faulting its pages in one by one 1,400 faults more. The loop
    // still reads to the end, whatever the size said.
    if (known && S_ISREG(status.st_mode)) {
        bytes.reserve(static_cast<size_t>(status.st_size));
        host::populate_for_writing(bytes.data(), bytes.capacity());
    }
    uint8_t chunk[64 * 1024];
    for (;;) {
        const ssize_t count = ::read(fd, chunk, sizeof chunk);
        if (count == 0)
            break;
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0) {
            const int error = errno;
            ::close(fd);
            throw std::runtime_error(
                fmt::format("cannot read {} '{}': {}", what, path.string(), std::strerror(error)));
        }
        bytes.insert(bytes.end(), chunk, chunk + count);
    }
    ::close(fd);
    return bytes;
}

bool is_elf(const std::vector<uint8_t>& bytes)
{
    return bytes.size() >= 4 && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

bool is_linux_image(const std::vector<uint8_t>& bytes)
{
    if (bytes.size() < sizeof(LinuxImageHeader))
        return false;
    LinuxImageHeader header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    return header.magic2 == kImageMagic2;
}

LoadedImage load_elf(const std::vector<uint8_t>& bytes, mem::GuestRam& ram)
{
    if (!is_elf(bytes))
        throw std::runtime_error("the file is not an ELF file");
    auto header = read_struct<Elf64_Ehdr>(bytes, 0);
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
        throw std::runtime_error("the ELF file is not 64-bit little-endian");
    if (header.e_machine != EM_RISCV)
        throw std::runtime_error(
            fmt::format("the ELF file is for machine {}, not RISC-V", header.e_machine));
    if (header.e_type != ET_EXEC)
        throw std::runtime_error("the ELF file is not a statically linked executable");
    if (header.e_phentsize != sizeof(Elf64_Phdr))
        throw std::runtime_error("the ELF file has malformed program headers");

    LoadedImage image;
    image.entry = header.e_entry;
    image.lowest = UINT64_MAX;
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        auto segment = read_struct<Elf64_Phdr>(bytes, header.e_phoff + i * sizeof(Elf64_Phdr));
        if (segment.p_type != PT_LOAD || segment.p_memsz == 0)
            continue;
        if (segment.p_filesz > segment.p_memsz || segment.p_offset > bytes.size()
            || bytes.size() - segment.p_offset < segment.p_filesz)
            throw std::runtime_error("the ELF file has a segment beyond its end");
        copy_into_ram(ram, segment.p_paddr, bytes.data() + segment.p_offset, segment.p_filesz,
            segment.p_memsz, "the ELF file");
        image.lowest = std::min(image.lowest, segment.p_paddr);
        image.highest = std::max(image.highest, segment.p_paddr + segment.p_memsz);
    }
    if (image.lowest == UINT64_MAX)
        throw std::runtime_error("the ELF file has nothing to load");
    find_htif_symbols(bytes, header, image);
    return image;
}

LoadedImage load_linux_image(const std::vector<uint8_t>& bytes, mem::GuestRam& ram)
{
    if (!is_linux_image(bytes))
        throw std::runtime_error("the file is not a Linux RISC-V Image");
    LinuxImageHeader header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    if (const uint64_t required = required_image_length(bytes, header); bytes.size() < required)
        throw std::runtime_error(fmt::format(
            "the kernel Image is truncated: the file has {} bytes, its headers describe {}",
            bytes.size(), required));
    const uint64_t size = std::max<uint64_t>(header.image_size, bytes.size());
    const uint64_t address = ram.base() + header.text_offset;
    copy_into_ram(ram, address, bytes.data(), bytes.size(), size, "the kernel Image");
    return LoadedImage { address, address, address + size, std::nullopt, std::nullopt };
}

LoadedImage load_raw(
    const std::vector<uint8_t>& bytes, mem::GuestRam& ram, uint64_t address, const char* what)
{
    copy_into_ram(ram, address, bytes.data(), bytes.size(), bytes.size(), what);
    return LoadedImage { address, address, address + bytes.size(), std::nullopt, std::nullopt };
}

} // namespace rvisor::firmware
