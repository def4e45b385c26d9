#include "devices/uart16550.h"

namespace rvisor::devices {

namespace {

enum Register : unsigned {
    Data = 0, // RBR / THR, or DLL with DLAB
    InterruptEnable = 1, // IER, or DLM with DLAB
    InterruptIdentification = 2, // IIR (read) / FCR (write)
    LineControl = 3,
    ModemControl = 4,
    LineStatus = 5,
    ModemStatus = 6,
    Scratch = 7,
};

constexpr uint8_t kEnableReceivedData = 0x01;
constexpr uint8_t kEnableTransmitterEmpty = 0x02;
constexpr uint8_t kEnableLineStatus = 0x04;

constexpr uint8_t kNoInterrupt = 0x01;
constexpr uint8_t kLineStatusInterrupt = 0x06;
constexpr uint8_t kReceivedDataInterrupt = 0x04;
constexpr uint8_t kTransmitterEmptyInterrupt = 0x02;
constexpr uint8_t kFifosEnabled = 0xc0;

constexpr uint8_t kFifoEnable = 0x01;
constexpr uint8_t kClearReceiveFifo = 0x02;

constexpr uint8_t kDataReady = 0x01;
constexpr uint8_t kOverrunError = 0x02;
constexpr uint8_t kTransmitHoldingEmpty = 0x20;
constexpr uint8_t kTransmitterEmpty = 0x40;

constexpr uint8_t kClearToSend = 0x10;
constexpr uint8_t kDataSetReady = 0x20;
constexpr uint8_t kRingIndicator = 0x40;
constexpr uint8_t kDataCarrierDetect = 0x80;

} // namespace

Uart16550::Uart16550(InterruptLine irq, std::function<void(uint8_t)> transmit)
    : m_irq(irq)
    , m_transmit(std::move(transmit))
{
    m_irq.set(false);
}

void Uart16550::receive(uint8_t byte)
{
    std::lock_guard lock(m_mutex);
    push_received(byte);
    update_irq();
}

void Uart16550::push_received(uint8_t byte)
{
    if (m_receive_queue.size() >= kReceiveQueueCapacity) {
        m_overrun = true;
        return;
    }
    m_receive_queue.push_back(byte);
}

uint8_t Uart16550::interrupt_identification() const
{
    if ((m_interrupt_enable & kEnableLineStatus) && m_overrun)
        return kLineStatusInterrupt;
    if ((m_interrupt_enable & kEnableReceivedData) && !m_receive_queue.empty())
        return kReceivedDataInterrupt;
    if ((m_interrupt_enable & kEnableTransmitterEmpty) && m_transmitter_empty_pending)
        return kTransmitterEmptyInterrupt;
    return kNoInterrupt;
}

void Uart16550::update_irq()
{
    bool level = interrupt_identification() != kNoInterrupt;
    if (level == m_irq_level)
        return;
    m_irq_level = level;
    m_irq.set(level);
}

uint8_t Uart16550::read_register(unsigned index)
{
    switch (index) {
    case Data: {
        if (divisor_latch_access())
            return m_divisor_low;
        if (m_receive_queue.empty())
            return 0;
        uint8_t byte = m_receive_queue.front();
        m_receive_queue.pop_front();
        return byte;
    }
    case InterruptEnable: return divisor_latch_access() ? m_divisor_high : m_interrupt_enable;
    case InterruptIdentification: {
        uint8_t identification = interrupt_identification();
        // Reading IIR is how a driver acknowledges THR-empty; the other sources clear when
        // their cause goes away.
        if (identification == kTransmitterEmptyInterrupt)
            m_transmitter_empty_pending = false;
        return identification | (m_fifo_enabled ? kFifosEnabled : 0);
    }
    case LineControl: return m_line_control;
    case ModemControl: return m_modem_control;
    case LineStatus: {
        uint8_t status = kTransmitHoldingEmpty | kTransmitterEmpty;
        if (!m_receive_queue.empty())
            status |= kDataReady;
        if (m_overrun)
            status |= kOverrunError;
        m_overrun = false;
        return status;
    }
    case ModemStatus: {
        if (!loopback())
            return kClearToSend | kDataSetReady | kDataCarrierDetect;
        // In loopback the modem outputs come back as its inputs: DTR→DSR, RTS→CTS, OUT1→RI,
        // OUT2→DCD. Drivers use this to check that a UART is really there.
        uint8_t status = 0;
        if (m_modem_control & 0x01)
            status |= kDataSetReady;
        if (m_modem_control & 0x02)
            status |= kClearToSend;
        if (m_modem_control & 0x04)
            status |= kRingIndicator;
        if (m_modem_control & 0x08)
            status |= kDataCarrierDetect;
        return status;
    }
    case Scratch: return m_scratch;
    default: return 0;
    }
}

void Uart16550::write_register(unsigned index, uint8_t value)
{
    switch (index) {
    case Data:
        if (divisor_latch_access()) {
            m_divisor_low = value;
            return;
        }
        if (loopback())
            push_received(value);
        else
            m_transmit(value);
        // The byte left THR at once, so THR is empty again and says so with a fresh interrupt.
        m_transmitter_empty_pending = true;
        return;
    case InterruptEnable: {
        if (divisor_latch_access()) {
            m_divisor_high = value;
            return;
        }
        uint8_t enabled_now = value & ~m_interrupt_enable;
        m_interrupt_enable = value & 0x0f;
        // Enabling THR-empty while THR is empty raises it at once: the 8250 driver starts
        // transmitting this way, and probes for UARTs that fail to.
        if (enabled_now & kEnableTransmitterEmpty)
            m_transmitter_empty_pending = true;
        else if (!(value & kEnableTransmitterEmpty))
            m_transmitter_empty_pending = false;
        return;
    }
    case InterruptIdentification: {
        bool fifo_enabled = value & kFifoEnable;
        // Turning the FIFOs on or off resets them; the clear bits act only with FIFOs enabled.
        if (fifo_enabled != m_fifo_enabled || (fifo_enabled && (value & kClearReceiveFifo)))
            m_receive_queue.clear();
        m_fifo_enabled = fifo_enabled;
        return;
    }
    case LineControl: m_line_control = value; return;
    case ModemControl: m_modem_control = value & 0x1f; return;
    case Scratch: m_scratch = value; return;
    default: return; // LSR and MSR are read-only.
    }
}

// Registers are a byte wide; a wider access reaches the register at its offset with the low
// byte of the value, and offsets past the eighth register read as zero.
uint64_t Uart16550::read(uint64_t offset, unsigned)
{
    std::lock_guard lock(m_mutex);
    if (offset > Scratch)
        return 0;
    uint8_t value = read_register(static_cast<unsigned>(offset));
    update_irq();
    return value;
}

void Uart16550::write(uint64_t offset, unsigned, uint64_t value)
{
    // The transmit callback runs under the lock, so the host sees bytes from several harts
    // one at a time and in the order the guest wrote them; it must not call back into the UART.
    std::lock_guard lock(m_mutex);
    if (offset > Scratch)
        return;
    write_register(static_cast<unsigned>(offset), static_cast<uint8_t>(value));
    update_irq();
}

void Uart16550::save(state::StateWriter& out) const
{
    std::lock_guard lock(m_mutex);
    out.bytes(std::vector<uint8_t>(m_receive_queue.begin(), m_receive_queue.end()));
    for (uint8_t value : { m_interrupt_enable, m_line_control, m_modem_control, m_scratch,
             m_divisor_low, m_divisor_high })
        out.u8(value);
    for (bool flag : { m_fifo_enabled, m_overrun, m_transmitter_empty_pending })
        out.boolean(flag);
}

void Uart16550::load(state::StateReader& in)
{
    std::lock_guard lock(m_mutex);
    const auto received = in.bytes(kReceiveQueueCapacity);
    m_receive_queue.assign(received.begin(), received.end());
    for (uint8_t* value : { &m_interrupt_enable, &m_line_control, &m_modem_control, &m_scratch,
             &m_divisor_low, &m_divisor_high })
        *value = in.u8();
    for (bool* flag : { &m_fifo_enabled, &m_overrun, &m_transmitter_empty_pending })
        *flag = in.boolean();
    m_irq_level = interrupt_identification() != kNoInterrupt;
    m_irq.set(m_irq_level);
}

} // namespace rvisor::devices
