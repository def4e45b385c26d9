// libFuzzer target: the ns16550a UART's registers (README.md), driven by a script of MMIO
// accesses (mmio_script.h) anywhere in its 256-byte window, interleaved with bytes from the host
// (any event: 1 + bits 19..8 of its argument copies of its low byte, enough to overrun).
//
// The harness keeps what the receive FIFO must hold (bytes from the host and those looped back,
// emptied by FCR) and checks the UART against it: RBR returns the bytes in order, LSR's data
// ready and overrun bits say what the FIFO holds and lost, THR and the transmitter are always
// empty, IIR names a pending cause the enables allow, and the interrupt wire is up exactly when
// IIR names one. A byte written to THR goes to the host, or with loopback to the FIFO.
#include "devices/uart16550.h"
#include "fuzz_check.h"
#include "mmio_script.h"

#include <deque>
#include <optional>
#include <vector>

namespace {

using rvisor::devices::Uart16550;
using rvisor::fuzz::check;

constexpr unsigned kIrq = 10;
constexpr uint8_t kNoInterrupt = 0x01;

// The receive FIFO as the specification has it, beside the UART's own.
struct ExpectedFifo {
    std::deque<uint8_t> bytes;
    bool overrun = false;
    bool enabled = false;

    void push(uint8_t byte)
    {
        if (bytes.size() >= Uart16550::kReceiveQueueCapacity)
            overrun = true;
        else
            bytes.push_back(byte);
    }
};

struct Harness {
    rvisor::cpu::InterruptLines hart;
    rvisor::devices::Plic plic { { &hart } };
    std::vector<uint8_t> transmitted;
    Uart16550 uart { rvisor::devices::InterruptLine { &plic, kIrq },
        [this](uint8_t byte) { transmitted.push_back(byte); } };
    ExpectedFifo fifo;

    // Nothing claims the UART's source, so its pending bit is the wire's level.
    bool irq_level() { return plic.read(0x1000, 4) >> kIrq & 1; }
    bool divisor_latch_access() { return uart.read(3, 1) & 0x80; }

    void write(const rvisor::fuzz::MmioStep& step)
    {
        const auto byte = static_cast<uint8_t>(step.value);
        const bool data = step.offset == 0 && !divisor_latch_access();
        const bool loopback = uart.read(4, 1) & 0x10;
        const size_t sent = transmitted.size();
        uart.write(step.offset, step.size, step.value);
        if (data && loopback)
            fifo.push(byte);
        const bool sends = data && !loopback;
        check(transmitted.size() == sent + sends, "THR sends one byte, and nothing else does");
        if (sends)
            check(transmitted.back() == byte, "THR sends the byte written");
        if (step.offset == 2) {
            const bool enable = byte & 1;
            if (enable != fifo.enabled || (enable && (byte & 2)))
                fifo.bytes.clear();
            fifo.enabled = enable;
        }
    }

    void read(const rvisor::fuzz::MmioStep& step)
    {
        const bool data = step.offset == 0 && !divisor_latch_access();
        const bool level = irq_level();
        // With DLAB set, offset 1 is the divisor's high byte and IER cannot be read.
        const std::optional<uint8_t> enables = divisor_latch_access()
            ? std::nullopt
            : std::optional<uint8_t>(static_cast<uint8_t>(uart.read(1, 1)));
        const auto value = static_cast<uint8_t>(uart.read(step.offset, step.size));
        if (data) {
            check(value == (fifo.bytes.empty() ? 0 : fifo.bytes.front()), "RBR is the FIFO's head");
            if (!fifo.bytes.empty())
                fifo.bytes.pop_front();
        } else if (step.offset == 5) {
            check(value & 0x60, "THR and the transmitter are always empty");
            check((value & 0x9c) == 0, "no parity, framing or break errors");
            check(bool(value & 1) == !fifo.bytes.empty(), "data ready says the FIFO holds bytes");
            check(bool(value & 2) == fifo.overrun, "overrun says a byte was lost");
            fifo.overrun = false;
        } else if (step.offset == 2) {
            const uint8_t identification = value & 0x0f;
            check((value & 0x30) == 0, "IIR bits 5..4 are zero");
            check((value >> 6) == (fifo.enabled ? 3 : 0), "IIR bits 7..6 say the FIFOs are on");
            check(identification == kNoInterrupt || identification == 0x02 || identification == 0x04
                    || identification == 0x06,
                "IIR names a cause the UART has");
            check(
                level == (identification != kNoInterrupt), "the wire is up when IIR names a cause");
            if (identification == 0x04)
                check(!fifo.bytes.empty() && (!enables || (*enables & 1)),
                    "received data is there and enabled");
            if (identification == 0x06)
                check(fifo.overrun && (!enables || (*enables & 4)),
                    "an overrun is there and line status enabled");
            if (identification == 0x02)
                check(!enables || (*enables & 2), "THR empty is enabled");
        }
    }

    void receive(uint64_t argument)
    {
        const auto byte = static_cast<uint8_t>(argument);
        const uint64_t count = 1 + (argument >> 8 & 0xfff);
        for (uint64_t i = 0; i < count; ++i) {
            uart.receive(byte);
            fifo.push(byte);
        }
    }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using rvisor::fuzz::MmioStep;
    Harness harness;
    rvisor::fuzz::MmioScript script(data, size, Uart16550::kRegionSize);
    while (const auto step = script.next()) {
        switch (step->kind) {
        case MmioStep::Kind::Read: harness.read(*step); break;
        case MmioStep::Kind::Write: harness.write(*step); break;
        case MmioStep::Kind::Event: harness.receive(step->value); break;
        }
    }
    return 0;
}
