#include "firmware/image_loader.h"

#include <elf.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace rvisor;
using firmware::LoadedImage;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 4 << 20;
constexpr uint64_t kSegmentAddress = kRamBase + 0x1000;

// A minimal static RISC-V ELF64, built field by field:
//   0x000 ELF header, 0x040 one program header (PT_LOAD, 16 bytes in the file, 0x40 in memory)
//   0x100 segment bytes, 0x200 three section headers (null, .symtab, .strtab)
//   0x300 symbols (null, tohost, fromhost), 0x380 their names.
struct ElfBuilder {
    Elf64_Ehdr header {};
    Elf64_Phdr segment {};
    Elf64_Shdr sections[3] {};
    Elf64_Sym symbols[3] {};
    bool with_symbols = true;

    static constexpr char kNames[] = "\0tohost\0fromhost";

    ElfBuilder()
    {
        std::memcpy(header.e_ident, ELFMAG, SELFMAG);
        header.e_ident[EI_CLASS] = ELFCLASS64;
        header.e_ident[EI_DATA] = ELFDATA2LSB;
        header.e_ident[EI_VERSION] = EV_CURRENT;
        header.e_type = ET_EXEC;
        header.e_machine = EM_RISCV;
        header.e_version = EV_CURRENT;
        header.e_entry = kSegmentAddress + 4;
        header.e_phoff = 0x40;
        header.e_shoff = 0x200;
        header.e_ehsize = sizeof(Elf64_Ehdr);
        header.e_phentsize = sizeof(Elf64_Phdr);
        header.e_phnum = 1;
        header.e_shentsize = sizeof(Elf64_Shdr);
        header.e_shnum = 3;

        segment.p_type = PT_LOAD;
        segment.p_flags = PF_R | PF_W | PF_X;
        segment.p_offset = 0x100;
        segment.p_vaddr = kSegmentAddress;
        segment.p_paddr = kSegmentAddress;
        segment.p_filesz = 16;
        segment.p_memsz = 0x40;
        segment.p_align = 0x1000;

        sections[1].sh_type = SHT_SYMTAB;
        sections[1].sh_offset = 0x300;
        sections[1].sh_size = sizeof symbols;
        sections[1].sh_link = 2;
        sections[1].sh_entsize = sizeof(Elf64_Sym);
        sections[2].sh_type = SHT_STRTAB;
        sections[2].sh_offset = 0x380;
        sections[2].sh_size = sizeof kNames;

        symbols[1].st_name = 1; // "tohost"
        symbols[1].st_value = kSegmentAddress + 0x20;
        symbols[2].st_name = 8; // "fromhost"
        symbols[2].st_value = kSegmentAddress + 0x28;
    }

    std::vector<uint8_t> bytes() const
    {
        std::vector<uint8_t> out(0x400, 0);
        Elf64_Ehdr h = header;
        if (!with_symbols) {
            h.e_shoff = 0;
            h.e_shnum = 0;
        }
        std::memcpy(out.data(), &h, sizeof h);
        std::memcpy(out.data() + 0x40, &segment, sizeof segment);
        for (uint8_t i = 0; i < 16; ++i)
            out[0x100 + i] = static_cast<uint8_t>(0x10 + i);
        std::memcpy(out.data() + 0x200, sections, sizeof sections);
        std::memcpy(out.data() + 0x300, symbols, sizeof symbols);
        std::memcpy(out.data() + 0x380, kNames, sizeof kNames);
        return out;
    }
};

// The RISC-V Linux Image header (Documentation/arch/riscv/boot-image-header.rst).
std::vector<uint8_t> linux_image(uint64_t text_offset, uint64_t image_size, size_t file_size)
{
    std::vector<uint8_t> bytes(file_size, 0);
    for (size_t i = 64; i < file_size; ++i)
        bytes[i] = static_cast<uint8_t>(i);
    const uint32_t code0 = 0x0000006f; // j . (a placeholder jump)
    std::memcpy(bytes.data() + 0, &code0, 4);
    std::memcpy(bytes.data() + 8, &text_offset, 8);
    std::memcpy(bytes.data() + 16, &image_size, 8);
    const uint32_t version = 2;
    std::memcpy(bytes.data() + 32, &version, 4);
    std::memcpy(bytes.data() + 48, "RISCV\0\0\0", 8); // magic (deprecated)
    std::memcpy(bytes.data() + 56, "RSC\x05", 4); // magic2
    return bytes;
}

// Runs `load` expecting a std::runtime_error whose message contains `needle`.
template <typename Load> void expect_error(Load load, const std::string& needle)
{
    try {
        load();
        ADD_FAILURE() << "no exception; expected one mentioning '" << needle << "'";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find(needle), std::string::npos)
            << "message: " << error.what();
        EXPECT_FALSE(std::string(error.what()).empty());
    }
}

class ImageLoaderTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, kRamSize };
    ElfBuilder elf;

    // Marks the regions the tests look at, so untouched bytes are recognisable.
    void SetUp() override
    {
        std::memset(ram.pointer(kRamBase), 0xee, 0x10000);
        std::memset(ram.pointer(kRamBase + 0x1f0000), 0xee, 0x20000);
        std::memset(ram.pointer(kRamBase + kRamSize - 0x1000), 0xee, 0x1000);
    }
};

} // namespace

TEST_F(ImageLoaderTest, RecognisesFormats)
{
    EXPECT_TRUE(firmware::is_elf(elf.bytes()));
    EXPECT_FALSE(firmware::is_linux_image(elf.bytes()));
    const auto image = linux_image(0x200000, 0x1000, 128);
    EXPECT_TRUE(firmware::is_linux_image(image));
    EXPECT_FALSE(firmware::is_elf(image));
    const std::vector<uint8_t> text = { 'h', 'e', 'l', 'l', 'o' };
    EXPECT_FALSE(firmware::is_elf(text));
    EXPECT_FALSE(firmware::is_linux_image(text));
    EXPECT_FALSE(firmware::is_elf({}));
}

TEST_F(ImageLoaderTest, LoadsTheSegmentAndZeroesItsTail)
{
    const LoadedImage image = firmware::load_elf(elf.bytes(), ram);
    EXPECT_EQ(image.entry, kSegmentAddress + 4);
    EXPECT_EQ(image.lowest, kSegmentAddress);
    EXPECT_EQ(image.highest, kSegmentAddress + 0x40);
    const uint8_t* loaded = ram.pointer(kSegmentAddress);
    for (unsigned i = 0; i < 16; ++i)
        EXPECT_EQ(loaded[i], 0x10 + i) << i;
    for (unsigned i = 16; i < 0x40; ++i)
        EXPECT_EQ(loaded[i], 0) << i; // bss
    EXPECT_EQ(loaded[0x40], 0xee); // nothing beyond memsz
    EXPECT_EQ(ram.pointer(kSegmentAddress)[-1], 0xee);
}

TEST_F(ImageLoaderTest, FindsTohostAndFromhost)
{
    const LoadedImage image = firmware::load_elf(elf.bytes(), ram);
    ASSERT_TRUE(image.tohost.has_value());
    ASSERT_TRUE(image.fromhost.has_value());
    EXPECT_EQ(*image.tohost, kSegmentAddress + 0x20);
    EXPECT_EQ(*image.fromhost, kSegmentAddress + 0x28);
}

TEST_F(ImageLoaderTest, NoSymbolTableMeansNoHtif)
{
    elf.with_symbols = false;
    const LoadedImage image = firmware::load_elf(elf.bytes(), ram);
    EXPECT_FALSE(image.tohost.has_value());
    EXPECT_FALSE(image.fromhost.has_value());
    EXPECT_EQ(image.entry, kSegmentAddress + 4);
}

TEST_F(ImageLoaderTest, WrongMachineIsRejected)
{
    elf.header.e_machine = EM_X86_64;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "RISC-V");
    EXPECT_EQ(ram.pointer(kSegmentAddress)[0], 0xee); // nothing was written
}

TEST_F(ImageLoaderTest, ThirtyTwoBitOrBigEndianIsRejected)
{
    elf.header.e_ident[EI_CLASS] = ELFCLASS32;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "64-bit");
    elf.header.e_ident[EI_CLASS] = ELFCLASS64;
    elf.header.e_ident[EI_DATA] = ELFDATA2MSB;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "little-endian");
}

TEST_F(ImageLoaderTest, DynamicExecutableIsRejected)
{
    elf.header.e_type = ET_DYN;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "statically linked");
}

TEST_F(ImageLoaderTest, TruncatedFilesAreRejected)
{
    auto bytes = elf.bytes();
    bytes.resize(40); // inside the ELF header
    expect_error([&] { firmware::load_elf(bytes, ram); }, "truncated");
    bytes = elf.bytes();
    bytes.resize(0x60); // inside the program header
    expect_error([&] { firmware::load_elf(bytes, ram); }, "truncated");
    bytes = elf.bytes();
    bytes.resize(0x108); // inside the segment's bytes
    expect_error([&] { firmware::load_elf(bytes, ram); }, "beyond its end");
}

TEST_F(ImageLoaderTest, SegmentLargerInFileThanInMemoryIsRejected)
{
    elf.segment.p_filesz = 0x80;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "segment");
}

TEST_F(ImageLoaderTest, NotAnElfIsRejected)
{
    const std::vector<uint8_t> text(200, 'x');
    EXPECT_FALSE(firmware::is_elf(text));
    EXPECT_THROW(firmware::load_elf(text, ram), std::runtime_error);
}

TEST_F(ImageLoaderTest, SegmentOutsideRamIsRejected)
{
    elf.segment.p_paddr = 0x1000;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "outside RAM");
    elf.segment.p_paddr = kRamBase + kRamSize - 0x20; // starts inside, ends outside
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "outside RAM");
    EXPECT_EQ(ram.pointer(kRamBase + kRamSize - 0x20)[0], 0xee);
}

TEST_F(ImageLoaderTest, NothingToLoadIsRejected)
{
    elf.segment.p_type = PT_NOTE;
    expect_error([&] { firmware::load_elf(elf.bytes(), ram); }, "nothing to load");
}

TEST_F(ImageLoaderTest, LinuxImageLoadsAtTextOffset)
{
    const auto bytes = linux_image(0x200000, 0x3000, 0x1800);
    ASSERT_TRUE(firmware::is_linux_image(bytes));
    const LoadedImage image = firmware::load_linux_image(bytes, ram);
    EXPECT_EQ(image.entry, kRamBase + 0x200000);
    EXPECT_EQ(image.lowest, kRamBase + 0x200000);
    EXPECT_EQ(image.highest, kRamBase + 0x200000 + 0x3000);
    EXPECT_FALSE(image.tohost.has_value());
    EXPECT_EQ(std::memcmp(ram.pointer(image.entry), bytes.data(), bytes.size()), 0);
    // Up to image_size (its bss) is zeroed; beyond stays as it was.
    EXPECT_EQ(ram.pointer(image.entry)[0x1800], 0);
    EXPECT_EQ(ram.pointer(image.entry)[0x2fff], 0);
    EXPECT_EQ(ram.pointer(image.entry)[0x3000], 0xee);
    EXPECT_EQ(ram.pointer(image.entry)[-1], 0xee);
}

TEST_F(ImageLoaderTest, LinuxImageTooLargeForRamIsRejected)
{
    const auto bytes = linux_image(0x200000, 0x400000, 128);
    expect_error([&] { firmware::load_linux_image(bytes, ram); }, "outside RAM");
}

TEST_F(ImageLoaderTest, RawBytesLoadWhereAsked)
{
    const std::vector<uint8_t> bytes = { 1, 2, 3, 4, 5 };
    const LoadedImage image = firmware::load_raw(bytes, ram, kRamBase + 0x8000, "the firmware");
    EXPECT_EQ(image.entry, kRamBase + 0x8000);
    EXPECT_EQ(image.highest, kRamBase + 0x8005);
    EXPECT_EQ(std::memcmp(ram.pointer(kRamBase + 0x8000), bytes.data(), 5), 0);
    expect_error([&] { firmware::load_raw(bytes, ram, kRamBase + kRamSize - 2, "the kernel"); },
        "the kernel needs guest memory");
}

TEST_F(ImageLoaderTest, ReadFile)
{
    const auto path = std::filesystem::temp_directory_path()
        / ("rvisor-image-loader-test-" + std::to_string(getpid()));
    {
        std::ofstream file(path, std::ios::binary);
        file.write("\x7f"
                   "ELF",
            4);
    }
    const auto bytes = firmware::read_file(path, "kernel");
    std::filesystem::remove(path);
    EXPECT_EQ(bytes, (std::vector<uint8_t> { 0x7f, 'E', 'L', 'F' }));
    expect_error([&] { firmware::read_file(path, "kernel"); }, path.string());
}
