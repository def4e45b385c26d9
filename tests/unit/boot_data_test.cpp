#include "firmware/boot_data.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

using rvisor::firmware::initramfs_offsets;
using rvisor::firmware::place_boot_data;

namespace {

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kMiB = 1 << 20;

} // namespace

TEST(BootDataTest, TreeAtTheTopAndInitramfsBelowIt)
{
    const auto placement = place_boot_data(kBase, 256 * kMiB, kBase + 24 * kMiB, 2300, 1400000);
    EXPECT_EQ(placement.tree_address, kBase + 254 * kMiB);
    ASSERT_TRUE(placement.initrd);
    EXPECT_EQ(placement.initrd->second - placement.initrd->first, 1400000u);
    EXPECT_EQ(placement.initrd->first % 0x1000, 0u);
    EXPECT_LE(placement.initrd->second, placement.tree_address);
    EXPECT_GT(placement.initrd->second + 0x1000, placement.tree_address);
}

TEST(BootDataTest, NoInitramfs)
{
    const auto placement = place_boot_data(kBase, 64 * kMiB, kBase + 24 * kMiB, 4096, 0);
    EXPECT_EQ(placement.tree_address, kBase + 62 * kMiB);
    EXPECT_FALSE(placement.initrd);
}

TEST(BootDataTest, InitramfsThatJustFits)
{
    // 8 MiB of RAM, the kernel up to 4 MiB, the tree in the top 2 MiB: 2 MiB between them.
    const auto placement = place_boot_data(kBase, 8 * kMiB, kBase + 4 * kMiB, 4096, 2 * kMiB);
    ASSERT_TRUE(placement.initrd);
    EXPECT_EQ(placement.initrd->first, kBase + 4 * kMiB);
    EXPECT_THROW(
        place_boot_data(kBase, 8 * kMiB, kBase + 4 * kMiB, 4096, 2 * kMiB + 1), std::runtime_error);
}

TEST(BootDataTest, TooLittleMemoryIsRefusedWithTheSize)
{
    const struct {
        uint64_t ram_size, kernel_end, tree_size, initrd_size;
    } cases[] = {
        { 16 * kMiB, kBase + 24 * kMiB, 4096, 0 }, // the kernel fills RAM
        { 2 * kMiB, kBase, 4096, 0 }, // nothing above the kernel's first 2 MiB
        { 32 * kMiB, kBase + 24 * kMiB, 4096, 7 * kMiB }, // the initramfs does not fit
        { 32 * kMiB, kBase + 24 * kMiB, 4096, UINT64_MAX }, // nor a size that would wrap
        { 32 * kMiB, kBase + 24 * kMiB, 64 * kMiB, 0 }, // a tree larger than RAM
        { UINT64_MAX, kBase, 4096, 0 }, // RAM that would end past the address space
    };
    for (const auto& bad : cases) {
        try {
            place_boot_data(kBase, bad.ram_size, bad.kernel_end, bad.tree_size, bad.initrd_size);
            ADD_FAILURE() << bad.ram_size << " bytes of RAM took " << bad.initrd_size;
        } catch (const std::runtime_error& error) {
            const std::string message = error.what();
            EXPECT_NE(message.find(std::to_string(bad.ram_size >> 20) + " MiB"), std::string::npos)
                << message;
        }
    }
}

TEST(BootDataTest, ArchivesStartAtFourByteBoundaries)
{
    EXPECT_EQ(initramfs_offsets(std::vector<uint64_t> { 5, 2, 1 }),
        (std::vector<uint64_t> { 0, 8, 12, 13 }));
    EXPECT_EQ(initramfs_offsets(std::vector<uint64_t> { 4, 0, 3 }),
        (std::vector<uint64_t> { 0, 4, 4, 7 }));
    EXPECT_EQ(initramfs_offsets(std::vector<uint64_t> {}), (std::vector<uint64_t> { 0 }));
}
