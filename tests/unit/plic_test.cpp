#include "devices/plic.h"

#include <gtest/gtest.h>

#include <thread>

using rvisor::cpu::bit;
using rvisor::cpu::Interrupt;
using rvisor::cpu::InterruptLines;
using rvisor::devices::InterruptLine;
using rvisor::devices::Plic;

namespace {

constexpr uint64_t priority_of(unsigned source) { return 4 * source; }
constexpr uint64_t kPending = 0x1000;
constexpr uint64_t enables_of(unsigned context) { return 0x2000 + 0x80 * context; }
constexpr uint64_t threshold_of(unsigned context) { return 0x200000 + 0x1000 * context; }
constexpr uint64_t claim_of(unsigned context) { return threshold_of(context) + 4; }

// Two harts: contexts 0 and 1 are hart 0's M and S modes, 2 and 3 are hart 1's.
struct PlicTest : ::testing::Test {
    InterruptLines hart0;
    InterruptLines hart1;
    Plic plic { { &hart0, &hart1 } };

    void enable(unsigned context, unsigned source)
    {
        uint64_t address = enables_of(context) + 4 * (source / 32);
        uint64_t current = plic.read(address, 4);
        plic.write(address, 4, current | (uint64_t { 1 } << (source % 32)));
    }
    uint32_t claim(unsigned context)
    {
        return static_cast<uint32_t>(plic.read(claim_of(context), 4));
    }
    void complete(unsigned context, uint32_t source) { plic.write(claim_of(context), 4, source); }
    bool pending(unsigned source)
    {
        return plic.read(kPending + 4 * (source / 32), 4) >> (source % 32) & 1;
    }
    static bool level(const InterruptLines& lines, Interrupt line)
    {
        return lines.levels() & bit(line);
    }
};

} // namespace

TEST_F(PlicTest, HasTwoContextsPerHart) { EXPECT_EQ(plic.context_count(), 4u); }

TEST_F(PlicTest, ClaimTakesHighestPriorityThenLowestId)
{
    plic.write(priority_of(5), 4, 2);
    plic.write(priority_of(7), 4, 5);
    plic.write(priority_of(40), 4, 5);
    for (unsigned source : { 5u, 7u, 40u }) {
        enable(1, source);
        plic.set_source_level(source, true);
    }
    EXPECT_EQ(claim(1), 7u);
    EXPECT_EQ(claim(1), 40u);
    EXPECT_EQ(claim(1), 5u);
    EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, ClaimClearsPendingAndLowersOutput)
{
    plic.write(priority_of(10), 4, 1);
    enable(1, 10);
    plic.set_source_level(10, true);
    EXPECT_TRUE(pending(10));
    EXPECT_TRUE(level(hart0, Interrupt::SupervisorExternal));

    EXPECT_EQ(claim(1), 10u);
    EXPECT_FALSE(pending(10));
    EXPECT_FALSE(level(hart0, Interrupt::SupervisorExternal));
}

TEST_F(PlicTest, ThresholdMasksPrioritiesAtOrBelowIt)
{
    plic.write(priority_of(3), 4, 3);
    enable(0, 3);
    plic.write(threshold_of(0), 4, 3);
    plic.set_source_level(3, true);
    EXPECT_FALSE(level(hart0, Interrupt::MachineExternal));
    EXPECT_EQ(claim(0), 0u);
    EXPECT_TRUE(pending(3)); // A refused claim leaves the request waiting.

    plic.write(threshold_of(0), 4, 2);
    EXPECT_TRUE(level(hart0, Interrupt::MachineExternal));
    EXPECT_EQ(claim(0), 3u);
}

TEST_F(PlicTest, PriorityZeroNeverInterrupts)
{
    enable(1, 4);
    plic.set_source_level(4, true);
    EXPECT_TRUE(pending(4));
    EXPECT_FALSE(level(hart0, Interrupt::SupervisorExternal));
    EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, EnablesSelectTheContext)
{
    plic.write(priority_of(8), 4, 1);
    plic.set_source_level(8, true);
    EXPECT_EQ(hart0.levels(), 0u);
    EXPECT_EQ(hart1.levels(), 0u);

    // Context 3 is hart 1's S-mode: only hart 1's SEIP may rise.
    enable(3, 8);
    EXPECT_TRUE(level(hart1, Interrupt::SupervisorExternal));
    EXPECT_FALSE(level(hart1, Interrupt::MachineExternal));
    EXPECT_EQ(hart0.levels(), 0u);
    EXPECT_EQ(claim(1), 0u);

    // Context 2 is hart 1's M-mode.
    enable(2, 8);
    EXPECT_TRUE(level(hart1, Interrupt::MachineExternal));

    // Disabling takes the output down again.
    plic.write(enables_of(3), 4, 0);
    EXPECT_FALSE(level(hart1, Interrupt::SupervisorExternal));
}

TEST_F(PlicTest, LevelStillHighPendsAgainAfterComplete)
{
    plic.write(priority_of(10), 4, 1);
    enable(1, 10);
    plic.set_source_level(10, true);
    ASSERT_EQ(claim(1), 10u);

    // While claimed, the gateway holds the still-high level back.
    plic.set_source_level(10, true);
    EXPECT_FALSE(pending(10));
    EXPECT_FALSE(level(hart0, Interrupt::SupervisorExternal));

    complete(1, 10);
    EXPECT_TRUE(pending(10));
    EXPECT_TRUE(level(hart0, Interrupt::SupervisorExternal));
    EXPECT_EQ(claim(1), 10u);

    plic.set_source_level(10, false);
    complete(1, 10);
    EXPECT_FALSE(pending(10));
    EXPECT_FALSE(level(hart0, Interrupt::SupervisorExternal));
}

TEST_F(PlicTest, CompletionOfADisabledSourceIsIgnored)
{
    plic.write(priority_of(10), 4, 1);
    enable(1, 10);
    plic.set_source_level(10, true);
    ASSERT_EQ(claim(1), 10u);

    plic.write(enables_of(1), 4, 0);
    complete(1, 10);
    EXPECT_FALSE(pending(10)); // Still claimed: the completion did not count.

    enable(1, 10);
    complete(1, 10);
    EXPECT_TRUE(pending(10));
}

TEST_F(PlicTest, DroppedLevelWithdrawsTheRequest)
{
    plic.write(priority_of(2), 4, 1);
    enable(1, 2);
    plic.set_source_level(2, true);
    EXPECT_TRUE(level(hart0, Interrupt::SupervisorExternal));
    plic.set_source_level(2, false);
    EXPECT_FALSE(pending(2));
    EXPECT_FALSE(level(hart0, Interrupt::SupervisorExternal));
    EXPECT_EQ(claim(1), 0u);
}

TEST_F(PlicTest, RegistersKeepOnlyTheirDefinedBits)
{
    plic.write(priority_of(1), 4, 0xff);
    EXPECT_EQ(plic.read(priority_of(1), 4), 7u);
    plic.write(threshold_of(1), 4, 0xff);
    EXPECT_EQ(plic.read(threshold_of(1), 4), 7u);
    // Source 0 does not exist: no priority, no enable bit.
    plic.write(priority_of(0), 4, 5);
    EXPECT_EQ(plic.read(priority_of(0), 4), 0u);
    plic.write(enables_of(0), 4, 0xffffffff);
    EXPECT_EQ(plic.read(enables_of(0), 4), 0xfffffffeu);
    // Pending bits belong to the gateways.
    plic.write(kPending, 4, 0xffffffff);
    EXPECT_EQ(plic.read(kPending, 4), 0u);
}

TEST_F(PlicTest, SourcesBeyondTheLastWordAreIgnored)
{
    plic.set_source_level(0, true);
    plic.set_source_level(Plic::kSourceCount, true);
    EXPECT_EQ(plic.read(kPending, 4), 0u);
    EXPECT_EQ(plic.read(kPending + 8, 4), 0u);

    plic.write(priority_of(95), 4, 1);
    enable(1, 95);
    plic.set_source_level(95, true);
    EXPECT_EQ(plic.read(kPending + 8, 4), 0x80000000u);
    EXPECT_EQ(claim(1), 95u);
}

TEST_F(PlicTest, InterruptLineDrivesItsSource)
{
    InterruptLine line { &plic, 33 };
    line.set(true);
    EXPECT_TRUE(pending(33));
    line.set(false);
    EXPECT_FALSE(pending(33));

    InterruptLine unconnected;
    unconnected.set(true); // A wire to nowhere does nothing, and does not crash.
}

TEST_F(PlicTest, ConcurrentSourcesAllEndPending)
{
    plic.write(priority_of(1), 4, 1);
    plic.write(priority_of(2), 4, 1);
    enable(1, 1);
    enable(1, 2);
    auto toggle = [&](unsigned source) {
        for (int round = 0; round < 10000; ++round)
            plic.set_source_level(source, round % 2 == 0);
        plic.set_source_level(source, true);
    };
    std::thread first(toggle, 1);
    std::thread second(toggle, 2);
    first.join();
    second.join();
    EXPECT_TRUE(pending(1));
    EXPECT_TRUE(pending(2));
    EXPECT_TRUE(level(hart0, Interrupt::SupervisorExternal));
}
