#include "devices/htif.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

using namespace rvisor;
using devices::Htif;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kToHost = kRamBase + 0x1000;
constexpr uint64_t kFromHost = kRamBase + 0x1008;
constexpr uint64_t kConsolePutchar = (uint64_t { 1 } << 56) | (uint64_t { 1 } << 48);

class HtifTest : public ::testing::Test {
protected:
    mem::GuestRam ram { kRamBase, 1 << 20 };
    std::string output;
    Htif htif { ram, kToHost, kFromHost,
        [this](uint8_t byte) { output += static_cast<char>(byte); } };

    uint64_t read64(uint64_t address)
    {
        uint64_t value;
        std::memcpy(&value, ram.pointer(address), 8);
        return value;
    }
    void write64(uint64_t address, uint64_t value) { std::memcpy(ram.pointer(address), &value, 8); }
};

} // namespace

TEST_F(HtifTest, NothingToDoWhileTohostIsZero)
{
    EXPECT_FALSE(htif.poll().has_value());
    EXPECT_TRUE(output.empty());
    EXPECT_EQ(read64(kFromHost), 0u);
}

TEST_F(HtifTest, ConsolePutcharOutputsAndAcknowledges)
{
    write64(kToHost, kConsolePutchar | 'A');
    EXPECT_FALSE(htif.poll().has_value());
    EXPECT_EQ(output, "A");
    EXPECT_EQ(read64(kToHost), 0u);
    EXPECT_EQ(read64(kFromHost), kConsolePutchar);
    // The program clears fromhost and sends the next one.
    write64(kFromHost, 0);
    write64(kToHost, kConsolePutchar | '\n');
    htif.poll();
    EXPECT_EQ(output, "A\n");
    EXPECT_FALSE(htif.poll().has_value()); // served once only
    EXPECT_EQ(output, "A\n");
}

TEST_F(HtifTest, WritingOneIsAPass)
{
    write64(kToHost, 1);
    const auto exit = htif.poll();
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(exit->exit_code, 0u);
}

TEST_F(HtifTest, OddValueReportsTheFailedTestNumber)
{
    write64(kToHost, (5 << 1) | 1);
    auto exit = htif.poll();
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(exit->exit_code, 5u);
    write64(kToHost, (uint64_t { 1000 } << 1) | 1);
    exit = htif.poll();
    ASSERT_TRUE(exit.has_value());
    EXPECT_EQ(exit->exit_code, 1000u);
}

TEST_F(HtifTest, ProxiedWriteSystemCall)
{
    const uint64_t magic = kRamBase + 0x2000;
    const uint64_t buffer = kRamBase + 0x3000;
    std::memcpy(ram.pointer(buffer), "hello", 5);
    write64(magic, 64); // SYS_write
    write64(magic + 8, 1);
    write64(magic + 16, buffer);
    write64(magic + 24, 5);
    write64(kToHost, magic);
    EXPECT_FALSE(htif.poll().has_value());
    EXPECT_EQ(output, "hello");
    EXPECT_EQ(read64(magic), 5u); // the system call's result
    EXPECT_EQ(read64(kToHost), 0u);
    EXPECT_EQ(read64(kFromHost), 1u);
}

TEST_F(HtifTest, UnknownSystemCallAndBadBuffer)
{
    const uint64_t magic = kRamBase + 0x2000;
    write64(magic, 93); // not served
    write64(kToHost, magic);
    htif.poll();
    EXPECT_EQ(static_cast<int64_t>(read64(magic)), -38);
    write64(magic, 64);
    write64(magic + 8, 1);
    write64(magic + 16, 0x1000); // outside RAM
    write64(magic + 24, 4);
    write64(kToHost, magic);
    htif.poll();
    EXPECT_EQ(static_cast<int64_t>(read64(magic)), -14);
    EXPECT_TRUE(output.empty());
}

TEST_F(HtifTest, UnknownDeviceIsAcknowledged)
{
    const uint64_t request = (uint64_t { 1 } << 56) | (uint64_t { 0 } << 48); // console read
    write64(kToHost, request);
    EXPECT_FALSE(htif.poll().has_value());
    EXPECT_EQ(read64(kToHost), 0u);
    EXPECT_EQ(read64(kFromHost), request);
}

TEST_F(HtifTest, WorksWithoutFromhost)
{
    std::string text;
    Htif plain { ram, kRamBase + 0x4000, std::nullopt, [&](uint8_t byte) { text += char(byte); } };
    write64(kRamBase + 0x4000, kConsolePutchar | 'z');
    plain.poll();
    EXPECT_EQ(text, "z");
    EXPECT_EQ(read64(kRamBase + 0x4000), 0u);
}

TEST_F(HtifTest, SymbolsMustBeAlignedWordsInRam)
{
    auto ignore = [](uint8_t) {};
    EXPECT_THROW(Htif(ram, kRamBase + 4, std::nullopt, ignore), std::runtime_error);
    EXPECT_THROW(Htif(ram, 0x1000, std::nullopt, ignore), std::runtime_error);
    EXPECT_THROW(Htif(ram, kToHost, kRamBase + (1 << 20), ignore), std::runtime_error);
    EXPECT_NO_THROW(Htif(ram, kRamBase + (1 << 20) - 8, std::nullopt, ignore));
}
