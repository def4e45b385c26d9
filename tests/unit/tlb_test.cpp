// The TLB's bookkeeping of what a flush dropped: single pages are dropped alone and reported to
// caches keyed by virtual address, unless a superpage may cover them.
#include "cpu/tlb.h"

#include <gtest/gtest.h>

#include <array>
#include <optional>
#include <vector>

using rvisor::cpu::Tlb;

namespace {

constexpr unsigned kLoad = 1;
constexpr unsigned kSupervisor = 1;
constexpr uint64_t kSmall = 0x1000, kMegapage = 2ull << 20, kGigapage = 1ull << 30;

class TlbTest : public ::testing::Test {
protected:
    Tlb tlb;
    std::array<uint8_t, 2 * 0x1000> ram {};

    void insert(uint64_t address, uint64_t mapping_size = kSmall)
    {
        tlb.insert(kLoad, address, kSupervisor, ram.data(), mapping_size);
    }
    bool cached(uint64_t address) const
    {
        return tlb.lookup(kLoad, address, kSupervisor) != nullptr;
    }
    // The pages reported since `seen`, or nullopt when everything must go.
    std::optional<std::vector<uint64_t>> flushed_since(uint64_t& seen) const
    {
        std::vector<uint64_t> pages;
        if (!tlb.pages_flushed_since(seen, [&](uint64_t page) { pages.push_back(page); }))
            return std::nullopt;
        return pages;
    }
};

} // namespace

TEST_F(TlbTest, FlushOfOneAddressDropsOnlyItsPage)
{
    insert(0x10000);
    insert(0x11000);
    uint64_t seen = tlb.generation();
    tlb.flush_address(0x10abc);
    EXPECT_FALSE(cached(0x10000));
    EXPECT_TRUE(cached(0x11000));
    EXPECT_EQ(flushed_since(seen), std::vector<uint64_t> { 0x10000 });
    EXPECT_EQ(seen, tlb.generation());
    EXPECT_EQ(flushed_since(seen), std::vector<uint64_t> {});
}

TEST_F(TlbTest, WholeFlushIsReportedAsEverything)
{
    insert(0x10000);
    uint64_t seen = tlb.generation();
    tlb.flush_address(0x20000);
    tlb.flush();
    EXPECT_FALSE(cached(0x10000));
    EXPECT_EQ(flushed_since(seen), std::nullopt);
    EXPECT_EQ(seen, tlb.generation());
}

TEST_F(TlbTest, TooManyFlushesToTellAreReportedAsEverything)
{
    uint64_t seen = tlb.generation();
    for (uint64_t page = 0; page < 8; ++page)
        tlb.flush_address(page << 12);
    uint64_t eight = seen;
    EXPECT_EQ(flushed_since(eight)->size(), 8u);
    tlb.flush_address(0x9000);
    EXPECT_EQ(flushed_since(seen), std::nullopt);
}

TEST_F(TlbTest, AddressInTheRegionOfASuperpageFlushesEverything)
{
    insert(0x40000000 + 0x5000, kMegapage);
    insert(0x10000);
    uint64_t seen = tlb.generation();
    // Not the cached slice's page, but the superpage may map it.
    tlb.flush_address(0x40000000 + 0x7000);
    EXPECT_FALSE(cached(0x40005000));
    EXPECT_FALSE(cached(0x10000));
    EXPECT_EQ(flushed_since(seen), std::nullopt);
    // The whole flush forgot the superpage: single flushes are single again.
    insert(0x10000);
    insert(0x11000);
    tlb.flush_address(0x40000000 + 0x7000);
    EXPECT_TRUE(cached(0x10000));
    tlb.flush_address(0x11000);
    EXPECT_FALSE(cached(0x11000));
    EXPECT_TRUE(cached(0x10000));
}

TEST_F(TlbTest, SuperpageInOtherRegionsLeavesSingleFlushesSingle)
{
    insert(0xffffffd800000000 + 0x3000, kGigapage);
    insert(0x10000);
    tlb.flush_address(0x20000);
    EXPECT_TRUE(cached(0xffffffd800003000));
    EXPECT_TRUE(cached(0x10000));
}

TEST_F(TlbTest, SuperpagesInManyRegionsMakeEveryFlushWhole)
{
    for (uint64_t region = 1; region <= 5; ++region)
        insert(region << 30, kMegapage);
    insert(0x10000);
    tlb.flush_address(0x20000);
    EXPECT_FALSE(cached(0x10000));
}

TEST_F(TlbTest, SuperpageLargerThanARegionMakesEveryFlushWhole)
{
    insert(512ull << 30, 512ull << 30); // an Sv48 512 GiB page
    insert(0x10000);
    tlb.flush_address(0x20000);
    EXPECT_FALSE(cached(0x10000));
}
