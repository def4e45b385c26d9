#include "devices/uart16550.h"

#include <gtest/gtest.h>

#include <string>

using rvisor::cpu::bit;
using rvisor::cpu::Interrupt;
using rvisor::cpu::InterruptLines;
using rvisor::devices::InterruptLine;
using rvisor::devices::Plic;
using rvisor::devices::Uart16550;

namespace {

enum : uint64_t {
    Data = 0,
    Ier = 1,
    Iir = 2,
    Fcr = 2,
    Lcr = 3,
    Mcr = 4,
    Lsr = 5,
    Msr = 6,
    Scr = 7
};
constexpr unsigned kSource = 10;

// A UART wired to source 10 of a PLIC that routes it to hart 0's S-mode, as on the machine.
struct Uart16550Test : ::testing::Test {
    InterruptLines hart;
    Plic plic { { &hart } };
    std::string transmitted;
    Uart16550 uart { InterruptLine { &plic, kSource },
        [this](uint8_t byte) { transmitted.push_back(static_cast<char>(byte)); } };

    void SetUp() override
    {
        plic.write(4 * kSource, 4, 1);
        plic.write(0x2000 + 0x80 * 1, 4, 1u << kSource);
    }
    uint8_t reg(uint64_t offset) { return static_cast<uint8_t>(uart.read(offset, 1)); }
    void set(uint64_t offset, uint8_t value) { uart.write(offset, 1, value); }
    bool irq() const { return hart.levels() & bit(Interrupt::SupervisorExternal); }
};

} // namespace

TEST_F(Uart16550Test, TransmitsWrittenBytes)
{
    for (char c : std::string("hello"))
        set(Data, static_cast<uint8_t>(c));
    EXPECT_EQ(transmitted, "hello");
    EXPECT_EQ(reg(Lsr) & 0x60, 0x60); // THRE and TEMT: the bytes are gone at once.
}

TEST_F(Uart16550Test, ReceivedByteSetsDataReadyWithoutInterruptUntilEnabled)
{
    EXPECT_EQ(reg(Lsr) & 0x01, 0);
    uart.receive('x');
    EXPECT_EQ(reg(Lsr) & 0x01, 1);
    EXPECT_FALSE(irq());
    EXPECT_EQ(reg(Iir), 0x01);

    set(Ier, 0x01);
    EXPECT_TRUE(irq());
    EXPECT_EQ(reg(Iir), 0x04);
    EXPECT_EQ(reg(Data), 'x');
    EXPECT_EQ(reg(Lsr) & 0x01, 0);
    EXPECT_EQ(reg(Iir), 0x01);
    EXPECT_FALSE(irq());
}

TEST_F(Uart16550Test, ReceiveRaisesTheInterruptWhenEnabled)
{
    set(Ier, 0x01);
    EXPECT_FALSE(irq());
    uart.receive('a');
    uart.receive('b');
    EXPECT_TRUE(irq());
    EXPECT_EQ(reg(Data), 'a');
    EXPECT_TRUE(irq()); // One byte still waits.
    EXPECT_EQ(reg(Data), 'b');
    EXPECT_FALSE(irq());
}

TEST_F(Uart16550Test, TransmitterEmptyIsClearedByReadingIir)
{
    set(Ier, 0x02);
    EXPECT_TRUE(irq());
    EXPECT_EQ(reg(Iir), 0x02);
    EXPECT_FALSE(irq());
    EXPECT_EQ(reg(Iir), 0x01);

    // Writing THR empties it again at once, which is a new THR-empty interrupt.
    set(Data, 'z');
    EXPECT_TRUE(irq());
    EXPECT_EQ(reg(Iir), 0x02);
}

TEST_F(Uart16550Test, ReenablingTransmitterEmptyReassertsIt)
{
    // The 8250 driver's probe for UARTs that fail to re-raise THRE.
    set(Ier, 0x02);
    EXPECT_EQ(reg(Iir) & 0x0f, 0x02);
    set(Ier, 0x00);
    set(Ier, 0x02);
    EXPECT_EQ(reg(Iir) & 0x0f, 0x02);
    set(Ier, 0x00);
    EXPECT_EQ(reg(Iir), 0x01);
    EXPECT_FALSE(irq());
}

TEST_F(Uart16550Test, ReceivedDataOutranksTransmitterEmpty)
{
    set(Ier, 0x03);
    uart.receive('q');
    EXPECT_EQ(reg(Iir), 0x04);
    EXPECT_EQ(reg(Data), 'q');
    EXPECT_EQ(reg(Iir), 0x02);
    EXPECT_EQ(reg(Iir), 0x01);
}

TEST_F(Uart16550Test, DivisorLatchSharesOffsetsZeroAndOne)
{
    set(Lcr, 0x83);
    set(Data, 0x0c);
    set(Ier, 0x01);
    EXPECT_EQ(transmitted, ""); // DLL, not THR.
    EXPECT_EQ(reg(Data), 0x0c);
    EXPECT_EQ(reg(Ier), 0x01);
    EXPECT_FALSE(irq());

    set(Lcr, 0x03);
    EXPECT_EQ(reg(Lcr), 0x03);
    EXPECT_EQ(reg(Ier), 0x00); // The divisor did not land in IER.
    set(Data, 'k');
    EXPECT_EQ(transmitted, "k");
}

TEST_F(Uart16550Test, FifoControlShowsInIirAndClearsReceiver)
{
    EXPECT_EQ(reg(Iir) & 0xc0, 0);
    set(Fcr, 0x01);
    EXPECT_EQ(reg(Iir) & 0xc0, 0xc0);
    uart.receive('r');
    set(Fcr, 0x03);
    EXPECT_EQ(reg(Lsr) & 0x01, 0);
}

TEST_F(Uart16550Test, OverrunIsReportedOnceWhenTheQueueIsFull)
{
    for (size_t i = 0; i < Uart16550::kReceiveQueueCapacity; ++i)
        uart.receive(static_cast<uint8_t>(i));
    EXPECT_EQ(reg(Lsr) & 0x02, 0);
    set(Ier, 0x04);
    uart.receive(0xee);
    EXPECT_TRUE(irq());
    EXPECT_EQ(reg(Iir), 0x06);
    EXPECT_EQ(reg(Lsr) & 0x03, 0x03);
    EXPECT_EQ(reg(Lsr) & 0x02, 0);
    EXPECT_FALSE(irq());

    size_t count = 0;
    while (reg(Lsr) & 0x01) {
        EXPECT_EQ(reg(Data), static_cast<uint8_t>(count));
        ++count;
    }
    EXPECT_EQ(count, Uart16550::kReceiveQueueCapacity);
}

TEST_F(Uart16550Test, LoopbackReturnsOutputsAsInputs)
{
    EXPECT_EQ(reg(Msr) & 0xf0, 0xb0); // A connected peer: DCD, DSR, CTS.
    set(Mcr, 0x10 | 0x0a);
    EXPECT_EQ(reg(Msr) & 0xf0, 0x90);
    set(Data, 'L');
    EXPECT_EQ(transmitted, "");
    EXPECT_EQ(reg(Lsr) & 0x01, 1);
    EXPECT_EQ(reg(Data), 'L');
}

TEST_F(Uart16550Test, ScratchHoldsAByte)
{
    set(Scr, 0x5a);
    EXPECT_EQ(reg(Scr), 0x5a);
    EXPECT_EQ(uart.read(8, 1), 0u);
}
