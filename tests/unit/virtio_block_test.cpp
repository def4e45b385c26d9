#include "devices/virtio/block.h"

#include "host/block_file.h"
#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::host::BlockFile;
using rvisor::mem::GuestRam;

namespace {

constexpr uint32_t kIn = 0;
constexpr uint32_t kOut = 1;
constexpr uint32_t kFlush = 4;
constexpr uint32_t kGetId = 8;
constexpr uint32_t kDiscard = 11;
constexpr uint32_t kWriteZeroes = 13;

constexpr uint8_t kOk = 0;
constexpr uint8_t kIoError = 1;
constexpr uint8_t kUnsupported = 2;

constexpr uint64_t kFeatureReadOnly = uint64_t { 1 } << 5;
constexpr uint64_t kFeatureFlush = uint64_t { 1 } << 9;
constexpr uint64_t kFeatureDiscard = uint64_t { 1 } << 13;
constexpr uint64_t kFeatureWriteZeroes = uint64_t { 1 } << 14;

constexpr uint64_t kImageSize = 1 << 20;
constexpr uint64_t kCapacity = kImageSize / 512;

// Where requests live in guest RAM; everything from kHeader on starts as canary bytes.
constexpr uint64_t kHeader = kRamBase + 0x4000;
constexpr uint64_t kStatus = kRamBase + 0x4100;
constexpr uint64_t kIndirectTable = kRamBase + 0x5000;
constexpr uint64_t kData = kRamBase + 0x10000;

struct RequestHeader {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct ZeroingSegment {
    uint64_t sector;
    uint32_t sectors;
    uint32_t flags;
};

// A scratch image file, removed afterwards.
struct TemporaryImage {
    std::string path;

    explicit TemporaryImage(uint64_t size)
    {
        std::string pattern
            = (std::filesystem::temp_directory_path() / "rvisor-blk-XXXXXX").string();
        int fd = mkstemp(pattern.data());
        if (fd < 0)
            throw std::runtime_error("mkstemp failed");
        path = pattern;
        // Real data, so that the blocks are allocated and a punched hole shows in st_blocks.
        std::vector<uint8_t> contents = original(0, size);
        if (::write(fd, contents.data(), size) != static_cast<ssize_t>(size) || fsync(fd) != 0)
            throw std::runtime_error("cannot fill the test image");
        ::close(fd);
    }
    ~TemporaryImage() { ::unlink(path.c_str()); }

    // What the image held before the test touched it.
    static std::vector<uint8_t> original(uint64_t offset, uint64_t length)
    {
        std::vector<uint8_t> bytes(length);
        for (uint64_t index = 0; index < length; ++index)
            bytes[index] = static_cast<uint8_t>((offset + index) * 7 + 1);
        return bytes;
    }

    std::vector<uint8_t> read(uint64_t offset, uint64_t length) const
    {
        std::vector<uint8_t> bytes(length);
        int fd = ::open(path.c_str(), O_RDONLY);
        EXPECT_EQ(pread(fd, bytes.data(), length, static_cast<off_t>(offset)),
            static_cast<ssize_t>(length));
        ::close(fd);
        return bytes;
    }
    uint64_t allocated_blocks() const
    {
        struct stat status;
        ::stat(path.c_str(), &status);
        return static_cast<uint64_t>(status.st_blocks);
    }
};

struct VirtioBlockTest : ::testing::Test {
    TemporaryImage image { kImageSize };
    GuestRam ram { kRamBase, kRamSize };
    TestRing ring { ram, kRamBase, 16 };
    // The transport goes first, and resets the device on its way out.
    std::unique_ptr<VirtioBlock> block;
    std::unique_ptr<VirtioMmio> transport;
    std::unique_ptr<TestDriver> driver;
    uint16_t completed = 0;

    void SetUp() override { fill(ram, kHeader, kRamBase + kRamSize - kHeader, kCanary); }
    void TearDown() override
    {
        driver.reset();
        transport.reset();
    }

    void open(BlockFile::Access access, std::string serial = "rvisor-test-disk")
    {
        block = std::make_unique<VirtioBlock>(
            std::make_unique<BlockFile>(image.path, access), std::move(serial));
        transport = std::make_unique<VirtioMmio>(ram, *block, InterruptLine {}, false);
        driver = std::make_unique<TestDriver>(*transport);
    }
    void start(uint64_t features)
    {
        ASSERT_TRUE(driver->bring_up(ring, features | kFeatureVersion1));
    }
    void open_and_start(BlockFile::Access access = BlockFile::Access::ReadWrite)
    {
        open(access);
        start(driver->device_features() & ~kFeatureVersion1);
    }

    void set_header(uint32_t type, uint64_t sector)
    {
        poke(ram, kHeader, RequestHeader { type, 0, sector });
    }

    // Publishes the chain at descriptor 0 and waits for the device to use it.
    void submit()
    {
        ring.publish(0);
        driver->notify(0);
        ++completed;
        ASSERT_TRUE(wait_until([&] { return ring.used_index() == completed; }));
        EXPECT_EQ(ring.used_id(completed - 1), 0u);
    }

    // header, then `length` bytes of data at kData (device-writable for reads), then status.
    uint8_t request(uint32_t type, uint64_t sector, uint32_t length, bool device_writes_data)
    {
        set_header(type, sector);
        ring.set(0, { kHeader, 16, kNext, 1 });
        uint16_t status_index = 1;
        if (length > 0) {
            ring.set(1,
                { kData, length, static_cast<uint16_t>(kNext | (device_writes_data ? kWrite : 0)),
                    2 });
            status_index = 2;
        }
        ring.set(status_index, { kStatus, 1, kWrite, 0 });
        submit();
        return peek<uint8_t>(ram, kStatus);
    }
    uint8_t read_sectors(uint64_t sector, uint32_t length)
    {
        return request(kIn, sector, length, true);
    }
    uint8_t write_sectors(uint64_t sector, uint32_t length)
    {
        return request(kOut, sector, length, false);
    }
    uint8_t zero(uint32_t type, ZeroingSegment segment)
    {
        poke(ram, kData, segment);
        return request(type, 0, sizeof segment, false);
    }

    void expect_needs_reset()
    {
        ring.publish(0);
        driver->notify(0);
        EXPECT_TRUE(wait_until([&] { return driver->needs_reset(); }));
        EXPECT_EQ(ring.used_index(), completed) << "nothing was completed";
    }
};

std::vector<uint8_t> pattern(uint64_t length, uint8_t seed)
{
    std::vector<uint8_t> bytes(length);
    for (uint64_t index = 0; index < length; ++index)
        bytes[index] = static_cast<uint8_t>(seed + index * 13);
    return bytes;
}

std::vector<uint8_t> guest_bytes(const GuestRam& ram, uint64_t address, uint64_t length)
{
    return { ram.pointer(address), ram.pointer(address) + length };
}

void put_guest_bytes(GuestRam& ram, uint64_t address, const std::vector<uint8_t>& bytes)
{
    std::memcpy(ram.pointer(address), bytes.data(), bytes.size());
}

} // namespace

TEST_F(VirtioBlockTest, DescribesTheDiskInItsConfiguration)
{
    open(BlockFile::Access::ReadWrite);
    EXPECT_EQ(driver->read(0x008), 2u);
    EXPECT_EQ(transport->read(0x100, 8), kCapacity);
    EXPECT_EQ(transport->read(0x100 + 12, 4), 254u) << "seg_max";
    EXPECT_EQ(transport->read(0x100 + 20, 4), 512u) << "blk_size";
    EXPECT_NE(transport->read(0x100 + 36, 4), 0u) << "max_discard_sectors";
    EXPECT_EQ(transport->read(0x100 + 56, 1), 1u) << "write_zeroes_may_unmap";
    uint64_t features = driver->device_features();
    EXPECT_TRUE(features & kFeatureFlush);
    EXPECT_TRUE(features & kFeatureDiscard);
    EXPECT_TRUE(features & kFeatureWriteZeroes);
    EXPECT_TRUE(features & kFeatureEventIndex);
    EXPECT_TRUE(features & kFeatureIndirectDescriptors);
    EXPECT_FALSE(features & kFeatureReadOnly);
}

TEST_F(VirtioBlockTest, WritesThenReadsBack)
{
    open_and_start();
    auto data = pattern(1024, 3);
    put_guest_bytes(ram, kData, data);
    ASSERT_EQ(write_sectors(5, 1024), kOk);
    EXPECT_EQ(ring.used_length(0), 1u) << "only the status byte was written";
    EXPECT_EQ(image.read(5 * 512, 1024), data);

    fill(ram, kData, 1024, 0);
    ASSERT_EQ(read_sectors(5, 1024), kOk);
    EXPECT_EQ(ring.used_length(1), 1025u);
    EXPECT_EQ(guest_bytes(ram, kData, 1024), data);
    EXPECT_TRUE(all_bytes_are(ram, kData + 1024, 0x1000, kCanary));
    EXPECT_TRUE(all_bytes_are(ram, kStatus + 1, 0x100, kCanary));
}

TEST_F(VirtioBlockTest, DoesNotCareHowTheDriverSplitsARequest)
{
    open_and_start();
    // Header in two pieces; data and status sharing the last writable buffer.
    set_header(kIn, 2);
    ring.set(0, { kHeader, 10, kNext, 4 });
    ring.set(4, { kHeader + 10, 6, kNext, 9 });
    ring.set(9, { kData, 100, kNext | kWrite, 3 });
    ring.set(3, { kData + 0x1000, 412, kNext | kWrite, 1 });
    ring.set(1, { kData + 0x2000, 513, kWrite, 0 });
    submit();
    auto expected = image.read(2 * 512, 1024);
    EXPECT_EQ(guest_bytes(ram, kData, 100), std::vector(expected.begin(), expected.begin() + 100));
    EXPECT_EQ(guest_bytes(ram, kData + 0x1000, 412),
        std::vector(expected.begin() + 100, expected.begin() + 512));
    EXPECT_EQ(
        guest_bytes(ram, kData + 0x2000, 512), std::vector(expected.begin() + 512, expected.end()));
    EXPECT_EQ(peek<uint8_t>(ram, kData + 0x2000 + 512), kOk);
    EXPECT_TRUE(all_bytes_are(ram, kData + 0x2000 + 513, 0x100, kCanary));
}

TEST_F(VirtioBlockTest, ServesARequestThroughAnIndirectTable)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kIndirectTable, 3 * 16, kIndirect, 0 });
    ring.set_at(kIndirectTable, 0, { kHeader, 16, kNext, 1 });
    ring.set_at(kIndirectTable, 1, { kData, 512, kNext | kWrite, 2 });
    ring.set_at(kIndirectTable, 2, { kStatus, 1, kWrite, 0 });
    submit();
    EXPECT_EQ(peek<uint8_t>(ram, kStatus), kOk);
    EXPECT_EQ(guest_bytes(ram, kData, 512), image.read(0, 512));
}

TEST_F(VirtioBlockTest, FlushSucceeds)
{
    open_and_start();
    EXPECT_EQ(request(kFlush, 0, 0, false), kOk);
}

TEST_F(VirtioBlockTest, WritesWithoutTheFlushFeatureToo)
{
    open(BlockFile::Access::ReadWrite);
    start(kFeatureEventIndex); // write-through: each write is made durable before completing
    auto data = pattern(512, 9);
    put_guest_bytes(ram, kData, data);
    ASSERT_EQ(write_sectors(0, 512), kOk);
    EXPECT_EQ(image.read(0, 512), data);
}

TEST_F(VirtioBlockTest, ReadOnlyImageRefusesChanges)
{
    open_and_start(BlockFile::Access::ReadOnly);
    uint64_t features = driver->device_features();
    EXPECT_TRUE(features & kFeatureReadOnly);
    EXPECT_FALSE(features & kFeatureDiscard);
    auto before = image.read(0, 512);
    put_guest_bytes(ram, kData, pattern(512, 1));
    EXPECT_EQ(write_sectors(0, 512), kIoError);
    EXPECT_EQ(image.read(0, 512), before);
    EXPECT_EQ(read_sectors(0, 512), kOk);
    EXPECT_EQ(guest_bytes(ram, kData, 512), before);
    EXPECT_EQ(request(kFlush, 0, 0, false), kOk);
}

TEST_F(VirtioBlockTest, GetIdReportsTheSerialPaddedWithNuls)
{
    open_and_start();
    ASSERT_EQ(request(kGetId, 0, 20, true), kOk);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(ram.pointer(kData)), 20),
        std::string("rvisor-test-disk\0\0\0\0", 20));
    EXPECT_EQ(ring.used_length(0), 21u);
}

TEST_F(VirtioBlockTest, GetIdTruncatesALongSerial)
{
    open(BlockFile::Access::ReadWrite, "0123456789abcdefghijKLMNOP");
    start(kFeatureFlush);
    ASSERT_EQ(request(kGetId, 0, 20, true), kOk);
    EXPECT_EQ(
        std::string(reinterpret_cast<const char*>(ram.pointer(kData)), 20), "0123456789abcdefghij");
}

TEST_F(VirtioBlockTest, DiscardPunchesAHole)
{
    open_and_start();
    uint64_t blocks_before = image.allocated_blocks();
    ASSERT_EQ(zero(kDiscard, { 256, 512, 0 }), kOk);
    EXPECT_EQ(image.read(256 * 512, 512 * 512), std::vector<uint8_t>(512 * 512, 0));
    EXPECT_LE(image.allocated_blocks(), blocks_before);
    EXPECT_EQ(image.read(255 * 512, 512), TemporaryImage::original(255 * 512, 512));
    EXPECT_EQ(image.read(768 * 512, 512), TemporaryImage::original(768 * 512, 512));
}

TEST_F(VirtioBlockTest, WriteZeroesReadsBackZeroes)
{
    open_and_start();
    ASSERT_EQ(zero(kWriteZeroes, { 3, 2, 1 }), kOk);
    EXPECT_EQ(image.read(3 * 512, 1024), std::vector<uint8_t>(1024, 0));
    EXPECT_NE(image.read(2 * 512, 512), std::vector<uint8_t>(512, 0));
    EXPECT_NE(image.read(5 * 512, 512), std::vector<uint8_t>(512, 0));
}

TEST_F(VirtioBlockTest, ZeroingRefusesFlagsItDoesNotKnow)
{
    open_and_start();
    auto before = image.read(0, 4096);
    EXPECT_EQ(zero(kDiscard, { 0, 8, 1 }), kUnsupported) << "unmap on a discard";
    EXPECT_EQ(zero(kWriteZeroes, { 0, 8, 2 }), kUnsupported);
    EXPECT_EQ(zero(kWriteZeroes, { kCapacity, 1, 0 }), kIoError);
    EXPECT_EQ(image.read(0, 4096), before);
}

TEST_F(VirtioBlockTest, ZeroingNeedsTheFeature)
{
    open(BlockFile::Access::ReadWrite);
    start(kFeatureFlush);
    EXPECT_EQ(zero(kDiscard, { 0, 8, 0 }), kUnsupported);
}

TEST_F(VirtioBlockTest, UnknownRequestTypeIsUnsupported)
{
    open_and_start();
    EXPECT_EQ(request(99, 0, 512, true), kUnsupported);
}

TEST_F(VirtioBlockTest, RequestsOutsideTheDiskFail)
{
    open_and_start();
    EXPECT_EQ(read_sectors(kCapacity, 512), kIoError);
    EXPECT_EQ(read_sectors(kCapacity - 1, 1024), kIoError);
    EXPECT_EQ(read_sectors(uint64_t { 1 } << 63, 512), kIoError) << "sector * 512 overflows";
    EXPECT_EQ(write_sectors(~uint64_t { 0 }, 512), kIoError);
    EXPECT_EQ(read_sectors(0, 100), kIoError) << "not whole sectors";
    EXPECT_EQ(read_sectors(kCapacity - 1, 512), kOk);
    EXPECT_TRUE(all_bytes_are(ram, kData + 512, 0x1000, kCanary));
}

TEST_F(VirtioBlockTest, ShortHeaderNeedsReset)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kHeader, 8, kNext, 1 });
    ring.set(1, { kData, 512, kNext | kWrite, 2 });
    ring.set(2, { kStatus, 1, kWrite, 0 });
    expect_needs_reset();
    EXPECT_TRUE(all_bytes_are(ram, kData, 0x2000, kCanary));
    EXPECT_EQ(peek<uint8_t>(ram, kStatus), kCanary);
}

TEST_F(VirtioBlockTest, ReadableStatusByteNeedsReset)
{
    open_and_start();
    set_header(kOut, 0);
    ring.set(0, { kHeader, 16, kNext, 1 });
    ring.set(1, { kData, 512, kNext, 2 });
    ring.set(2, { kStatus, 1, 0, 0 });
    auto before = image.read(0, 512);
    expect_needs_reset();
    EXPECT_EQ(peek<uint8_t>(ram, kStatus), kCanary);
    EXPECT_EQ(image.read(0, 512), before);
}

TEST_F(VirtioBlockTest, ChainLeavingRamNeedsReset)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kHeader, 16, kNext, 1 });
    ring.set(1, { kRamBase + kRamSize - 256, 512, kNext | kWrite, 2 });
    ring.set(2, { kStatus, 1, kWrite, 0 });
    expect_needs_reset();
    EXPECT_TRUE(all_bytes_are(ram, kRamBase + kRamSize - 256, 256, kCanary));
}

TEST_F(VirtioBlockTest, StatusByteOneBytePastRamNeedsReset)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kHeader, 16, kNext, 1 });
    ring.set(1, { kData, 512, kNext | kWrite, 2 });
    ring.set(2, { kRamBase + kRamSize, 1, kWrite, 0 });
    expect_needs_reset();
    EXPECT_TRUE(all_bytes_are(ram, kData, 512, kCanary)) << "the read was not done";
}

TEST_F(VirtioBlockTest, BufferWrappingTheAddressSpaceNeedsReset)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kHeader, 16, kNext, 1 });
    // 256 bytes below 2^64 and 512 long: address + length wraps around to 256.
    ring.set(1, { ~uint64_t { 0 } - 255, 512, kNext | kWrite, 2 });
    ring.set(2, { kStatus, 1, kWrite, 0 });
    expect_needs_reset();
    EXPECT_EQ(peek<uint8_t>(ram, kStatus), kCanary) << "the request got no status";
}

TEST_F(VirtioBlockTest, ResetWhileRequestsAreQueuedStopsCleanly)
{
    open_and_start();
    set_header(kIn, 0);
    ring.set(0, { kHeader, 16, kNext, 1 });
    ring.set(1, { kData, 4096, kNext | kWrite, 2 });
    ring.set(2, { kStatus, 1, kWrite, 0 });
    for (int index = 0; index < 16; ++index)
        ring.publish(0);
    driver->notify(0);
    driver->write(0x070, 0);
    EXPECT_EQ(driver->status(), 0u);
    uint16_t used = ring.used_index();
    // Nothing moves after the reset returned.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(ring.used_index(), used);
}

TEST(BlockFileTest, SecondWriterIsRefused)
{
    TemporaryImage image { 4096 };
    BlockFile first { image.path, BlockFile::Access::ReadWrite };
    try {
        BlockFile second { image.path, BlockFile::Access::ReadWrite };
        FAIL() << "a second writer opened the image";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()),
            "disk image '" + image.path + "' is in use by another process");
    }
    EXPECT_THROW(BlockFile(image.path, BlockFile::Access::ReadOnly), std::runtime_error);
}

TEST(BlockFileTest, ReadersShareAndExcludeWriters)
{
    TemporaryImage image { 4096 };
    {
        BlockFile first { image.path, BlockFile::Access::ReadOnly };
        BlockFile second { image.path, BlockFile::Access::ReadOnly };
        EXPECT_TRUE(second.read_only());
        EXPECT_THROW(BlockFile(image.path, BlockFile::Access::ReadWrite), std::runtime_error);
    }
    BlockFile writer { image.path, BlockFile::Access::ReadWrite };
    EXPECT_EQ(writer.size(), 4096u);
}

TEST(BlockFileTest, MissingImageIsAnError)
{
    try {
        BlockFile file { "/nonexistent/rvisor.img", BlockFile::Access::ReadOnly };
        FAIL();
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()),
            "cannot open disk image '/nonexistent/rvisor.img': No such file or directory");
    }
}

TEST(BlockFileTest, ReadingPastTheEndFails)
{
    TemporaryImage image { 4096 };
    BlockFile file { image.path, BlockFile::Access::ReadOnly };
    std::vector<uint8_t> buffer(512);
    const std::span<uint8_t> buffers[] = { buffer };
    EXPECT_TRUE(file.read(4096 - 512, buffers));
    EXPECT_FALSE(file.read(4096 - 256, buffers));
}

// More buffers than one preadv or pwritev takes (IOV_MAX, 1024), of odd sizes.
TEST(BlockFileTest, ScatteredBuffersAreWrittenAndReadInOrder)
{
    TemporaryImage image { 64 * 1024 };
    BlockFile file { image.path, BlockFile::Access::ReadWrite };
    std::vector<uint8_t> data(3 * 2000 + 7);
    for (size_t index = 0; index < data.size(); ++index)
        data[index] = static_cast<uint8_t>(index * 13 + 1);
    std::vector<std::span<uint8_t>> pieces;
    for (size_t start = 0; start < data.size(); start += 3)
        pieces.push_back(std::span(data).subspan(start, std::min<size_t>(3, data.size() - start)));
    ASSERT_GT(pieces.size(), 1024u);
    ASSERT_TRUE(file.write(1000, pieces));

    std::vector<uint8_t> whole(data.size());
    const std::span<uint8_t> one[] = { whole };
    ASSERT_TRUE(file.read(1000, one));
    EXPECT_EQ(whole, data);
    std::vector<uint8_t> copy(data.size());
    for (size_t start = 0, index = 0; start < copy.size(); start += 3, ++index)
        pieces[index] = std::span(copy).subspan(start, pieces[index].size());
    ASSERT_TRUE(file.read(1000, pieces));
    EXPECT_EQ(copy, data);
}
