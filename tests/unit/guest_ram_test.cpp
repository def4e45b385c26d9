#include "mem/guest_ram.h"

#include <gtest/gtest.h>

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kBase = 0x80000000;
constexpr uint64_t kSize = 1 << 20;
constexpr uint64_t kPage = 4096;

bool all_bytes_are(const GuestRam& ram, uint64_t address, uint64_t length, uint8_t byte)
{
    const uint8_t* bytes = ram.pointer(address);
    return std::all_of(bytes, bytes + length, [&](uint8_t value) { return value == byte; });
}

} // namespace

TEST(GuestRamDiscardTest, FreshRamReadsAsZerosWherePagesWereDropped)
{
    GuestRam ram(kBase, kSize);
    std::memset(ram.pointer(kBase), 0xab, kSize);
    EXPECT_TRUE(ram.discard(kBase + kPage, 2 * kPage));
    EXPECT_TRUE(all_bytes_are(ram, kBase + kPage, 2 * kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kBase, kPage, 0xab));
    EXPECT_TRUE(all_bytes_are(ram, kBase + 3 * kPage, kPage, 0xab));
}

TEST(GuestRamDiscardTest, PartialPagesKeepTheirBytes)
{
    GuestRam ram(kBase, kSize);
    std::memset(ram.pointer(kBase), 0xab, kSize);
    // Less than a page, then a range that covers one whole page and two halves.
    EXPECT_TRUE(ram.discard(kBase + 1, kPage));
    EXPECT_TRUE(all_bytes_are(ram, kBase, 2 * kPage, 0xab));
    EXPECT_TRUE(ram.discard(kBase + kPage / 2, 2 * kPage));
    EXPECT_TRUE(all_bytes_are(ram, kBase, kPage, 0xab));
    EXPECT_TRUE(all_bytes_are(ram, kBase + kPage, kPage, 0));
    EXPECT_TRUE(all_bytes_are(ram, kBase + 2 * kPage, kPage, 0xab));
}

TEST(GuestRamDiscardTest, RangesOutsideRamTouchNothing)
{
    GuestRam ram(kBase, kSize);
    std::memset(ram.pointer(kBase), 0xab, kSize);
    EXPECT_FALSE(ram.discard(kBase + kSize - kPage, kPage + 1));
    EXPECT_FALSE(ram.discard(kBase - kPage, 2 * kPage));
    EXPECT_FALSE(ram.discard(~uint64_t { 0 } - kPage + 1, 2 * kPage));
    EXPECT_TRUE(all_bytes_are(ram, kBase, kSize, 0xab));
}

TEST(GuestRamDiscardTest, RestoredRamReadsAsTheMemoryFileAgain)
{
    const auto path = std::filesystem::temp_directory_path()
        / ("rvisor-discard-test-" + std::to_string(::getpid()) + ".mem");
    {
        GuestRam ram(kBase, kSize);
        std::memset(ram.pointer(kBase), 0xcd, 2 * kPage);
        ram.write_to_file(path);
    }
    GuestRam restored(kBase, kSize, path);
    std::memset(restored.pointer(kBase), 0x11, 3 * kPage); // private copies
    EXPECT_TRUE(restored.discard(kBase, 3 * kPage));
    EXPECT_TRUE(all_bytes_are(restored, kBase, 2 * kPage, 0xcd));
    EXPECT_TRUE(all_bytes_are(restored, kBase + 2 * kPage, kPage, 0));
    std::filesystem::remove(path);
}

namespace {

// How many of the host pages of a RAM range are present.
size_t resident_pages(const GuestRam& ram, uint64_t address, uint64_t length)
{
    std::vector<unsigned char> present(length / kPage);
    EXPECT_EQ(::mincore(ram.pointer(address), length, present.data()), 0);
    return static_cast<size_t>(
        std::count_if(present.begin(), present.end(), [](unsigned char page) { return page & 1; }));
}

} // namespace

TEST(GuestRamPopulateTest, FreshRamPopulatesTheChunkAroundAPage)
{
    constexpr uint64_t chunk = GuestRam::kPopulateChunk;
    GuestRam ram(kBase, kSize);
    ASSERT_EQ(resident_pages(ram, kBase, kSize), 0u);
    ram.populate_around(kBase + 3 * chunk + 5 * kPage);
    EXPECT_EQ(resident_pages(ram, kBase + 3 * chunk, chunk), chunk / kPage);
    EXPECT_EQ(resident_pages(ram, kBase, kSize), chunk / kPage);
    // The last chunk of RAM too.
    ram.populate_around(kBase + kSize - kPage);
    EXPECT_EQ(resident_pages(ram, kBase + kSize - chunk, chunk), chunk / kPage);
}

// A host pointer that strays outside RAM lands in a guard region and faults, whichever way RAM
// was mapped, instead of touching whatever the host mapped beside it.
TEST(GuestRamGuardDeathTest, AccessesJustOutsideRamFault)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    GuestRam ram(kBase, kSize);
    volatile uint8_t* below = ram.pointer(kBase) - 1;
    volatile uint8_t* above = ram.pointer(kBase) + kSize;
    volatile uint8_t* far_above = ram.pointer(kBase) + kSize + GuestRam::kGuardSize - 1;
    EXPECT_DEATH(*below = 1, "");
    EXPECT_DEATH((void)*above, "");
    EXPECT_DEATH(*far_above = 1, "");
    // RAM itself is whole up to its last byte.
    ram.pointer(kBase)[0] = 1;
    ram.pointer(kBase)[kSize - 1] = 2;
    EXPECT_EQ(ram.pointer(kBase)[kSize - 1], 2);
}

TEST(GuestRamGuardDeathTest, RestoredRamIsFencedToo)
{
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    const auto path = std::filesystem::temp_directory_path()
        / ("rvisor-guard-test-" + std::to_string(::getpid()) + ".mem");
    {
        GuestRam original(kBase, kSize);
        original.pointer(kBase)[7] = 7;
        original.write_to_file(path);
    }
    GuestRam restored(kBase, kSize, path);
    std::filesystem::remove(path);
    EXPECT_EQ(restored.pointer(kBase)[7], 7);
    volatile uint8_t* below = restored.pointer(kBase) - GuestRam::kGuardSize;
    volatile uint8_t* above = restored.pointer(kBase) + kSize;
    EXPECT_DEATH((void)*below, "");
    EXPECT_DEATH(*above = 1, "");
}
