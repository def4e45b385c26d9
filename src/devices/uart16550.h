#pragma once
#include "devices/plic.h"
#include "mem/mmio_device.h"
#include "state/state_reader.h"
#include "state/state_writer.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

namespace rvisor::devices {

// An ns16550a UART with byte-wide registers (reg-shift 0), as the Linux 8250 driver and
// OpenSBI expect on QEMU's virt machine:
//   0 RBR (read) / THR (write) / DLL (DLAB)   4 MCR
//   1 IER / DLM (DLAB)                        5 LSR
//   2 IIR (read) / FCR (write)                6 MSR
//   3 LCR (bit 7 is DLAB)                     7 SCR
//
// Transmission is instantaneous: a byte written to THR goes straight to the host, so THR and
// the transmitter are always empty. Received bytes wait in a host-side queue that stands in for
// the receive FIFO in both FIFO and non-FIFO mode, so a slow guest loses no typed input; the
// receive interrupt is raised as soon as one byte waits (a trigger level of 1 for any FCR
// setting, which spares us the character-timeout interrupt). There are no modem lines: MSR
// shows a connected peer (CTS, DSR, DCD), and the modem status interrupt never fires.
class Uart16550 final : public mem::MmioDevice {
public:
    static constexpr uint64_t kRegionSize = 0x100;
    static constexpr size_t kReceiveQueueCapacity = 4096;

    // `transmit` is called, on the writing hart's thread and with the UART's lock held, with
    // each byte the guest sends; it must not call back into this UART.
    Uart16550(InterruptLine irq, std::function<void(uint8_t)> transmit);

    // A byte from the host for the guest; safe to call from any thread. Bytes beyond the queue's
    // capacity are dropped and reported to the guest as an overrun.
    void receive(uint8_t byte);

    uint64_t read(uint64_t offset, unsigned size) override;
    void write(uint64_t offset, unsigned size, uint64_t value) override;

    // Saved state (snapshots): only while no hart runs. load() drives the interrupt lines to
    // match what it loaded; it throws state::StateError for values the device cannot hold.
    void save(state::StateWriter&) const;
    void load(state::StateReader&);

private:
    uint8_t read_register(unsigned index);
    void write_register(unsigned index, uint8_t value);
    void push_received(uint8_t byte);
    // The IIR's identification bits (3..0) for the highest-priority interrupt now pending.
    uint8_t interrupt_identification() const;
    void update_irq();

    bool divisor_latch_access() const { return m_line_control & 0x80; }
    bool loopback() const { return m_modem_control & 0x10; }

    InterruptLine m_irq;
    std::function<void(uint8_t)> m_transmit;
    std::deque<uint8_t> m_receive_queue;
    uint8_t m_interrupt_enable { 0 };
    uint8_t m_line_control { 0 };
    uint8_t m_modem_control { 0 };
    uint8_t m_scratch { 0 };
    uint8_t m_divisor_low { 0 };
    uint8_t m_divisor_high { 0 };
    bool m_fifo_enabled { false };
    bool m_overrun { false };
    // The THR-empty interrupt is an event, not a level: it is raised when THR becomes empty (or
    // when it is enabled while THR is empty) and cleared by reading IIR or writing THR.
    bool m_transmitter_empty_pending { false };
    bool m_irq_level { false };
    mutable std::mutex m_mutex;
};

} // namespace rvisor::devices
