#include "devices/virtio/mmio_transport.h"

#include "devices/virtio/features.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>

namespace rvisor::devices::virtio {

namespace {

enum Register : uint64_t {
    MagicValue = 0x000,
    Version = 0x004,
    DeviceId = 0x008,
    VendorId = 0x00c,
    DeviceFeatures = 0x010,
    DeviceFeaturesSelect = 0x014,
    DriverFeatures = 0x020,
    DriverFeaturesSelect = 0x024,
    QueueSelect = 0x030,
    QueueSizeMax = 0x034,
    QueueSize = 0x038,
    QueueReady = 0x044,
    QueueNotify = 0x050,
    InterruptStatus = 0x060,
    InterruptAcknowledge = 0x064,
    Status = 0x070,
    QueueDescriptorLow = 0x080,
    QueueDescriptorHigh = 0x084,
    QueueDriverLow = 0x090,
    QueueDriverHigh = 0x094,
    QueueDeviceLow = 0x0a0,
    QueueDeviceHigh = 0x0a4,
    SharedMemoryLengthLow = 0x0b0,
    SharedMemoryLengthHigh = 0x0b4,
    SharedMemoryBaseLow = 0x0b8,
    SharedMemoryBaseHigh = 0x0bc,
    ConfigGeneration = 0x0fc,
    Config = 0x100,
};

constexpr uint32_t kMagic = 0x74726976; // "virt"
constexpr uint32_t kVersion = 2;

constexpr uint32_t kStatusDriverOk = 4;
constexpr uint32_t kStatusFeaturesOk = 8;
constexpr uint32_t kStatusNeedsReset = 64;

constexpr uint32_t kInterruptUsedBuffer = 1;
constexpr uint32_t kInterruptConfigChange = 2;

void set_low(uint64_t& register_pair, uint32_t value)
{
    register_pair = (register_pair & ~uint64_t { 0xffffffff }) | value;
}

void set_high(uint64_t& register_pair, uint32_t value)
{
    register_pair = (register_pair & 0xffffffff) | (uint64_t { value } << 32);
}

} // namespace

VirtioMmio::VirtioMmio(mem::GuestRam& ram, VirtioDevice& device, InterruptLine irq, bool verbose)
    : m_device(device)
    , m_irq(irq)
    , m_verbose(verbose)
    , m_queue_registers(device.queue_count())
{
    m_queues.reserve(device.queue_count());
    for (unsigned index = 0; index < device.queue_count(); ++index) {
        m_queues.emplace_back(
            ram, [this] { raise_interrupt(kInterruptUsedBuffer); },
            [this](const std::string& reason) { fail(reason); });
    }
    m_irq.set(false);
}

VirtioMmio::~VirtioMmio() { m_device.reset(); }

uint64_t VirtioMmio::read(uint64_t offset, unsigned size)
{
    std::lock_guard lock(m_mutex);
    if (offset >= Config)
        return m_device.read_config(offset - Config, size);
    if (size != 4 || offset % 4 != 0)
        return 0;
    return read_register(offset);
}

void VirtioMmio::write(uint64_t offset, unsigned size, uint64_t value)
{
    std::lock_guard lock(m_mutex);
    if (offset >= Config) {
        m_device.write_config(offset - Config, size, value);
        return;
    }
    if (size != 4 || offset % 4 != 0)
        return;
    write_register(offset, static_cast<uint32_t>(value));
}

uint32_t VirtioMmio::read_register(uint64_t offset)
{
    switch (offset) {
    case MagicValue: return kMagic;
    case Version: return kVersion;
    case DeviceId: return m_device.device_id();
    case VendorId: return kVendorId;
    case DeviceFeatures: {
        uint64_t offered = m_device.device_features() | kFeatureVersion1;
        if (m_device_features_select > 1)
            return 0;
        return static_cast<uint32_t>(offered >> (32 * m_device_features_select));
    }
    case QueueSizeMax:
        return m_queue_select < m_queues.size() ? m_device.queue_max_size(m_queue_select) : 0;
    case QueueReady: return m_queue_select < m_queues.size() && m_queues[m_queue_select].ready();
    case InterruptStatus: {
        std::lock_guard lock(m_interrupt_mutex);
        return m_interrupt_status;
    }
    case Status: {
        std::lock_guard lock(m_interrupt_mutex);
        return m_status.load() | (m_needs_reset ? kStatusNeedsReset : 0);
    }
    // No shared memory regions: a missing region reads as length and base ~0.
    case SharedMemoryLengthLow:
    case SharedMemoryLengthHigh:
    case SharedMemoryBaseLow:
    case SharedMemoryBaseHigh: return 0xffffffff;
    case ConfigGeneration: return m_config_generation;
    default: return 0;
    }
}

void VirtioMmio::write_register(uint64_t offset, uint32_t value)
{
    switch (offset) {
    case DeviceFeaturesSelect: m_device_features_select = value; return;
    case DriverFeatures:
        // Features are settled once FEATURES_OK is accepted.
        if (m_status.load() & kStatusFeaturesOk)
            return;
        if (m_driver_features_select == 0)
            set_low(m_driver_features, value);
        else if (m_driver_features_select == 1)
            set_high(m_driver_features, value);
        return;
    case DriverFeaturesSelect: m_driver_features_select = value; return;
    case QueueSelect: m_queue_select = value; return;
    case QueueSize:
        if (auto* queue = configurable_queue())
            queue->size = value;
        return;
    case QueueReady: write_queue_ready(value); return;
    case QueueNotify: notify_queue(value); return;
    case InterruptAcknowledge: acknowledge_interrupt(value); return;
    case Status: write_status(value); return;
    default: break;
    }

    QueueRegisters* queue = configurable_queue();
    if (!queue)
        return;
    switch (offset) {
    case QueueDescriptorLow: set_low(queue->descriptor_area, value); return;
    case QueueDescriptorHigh: set_high(queue->descriptor_area, value); return;
    case QueueDriverLow: set_low(queue->driver_area, value); return;
    case QueueDriverHigh: set_high(queue->driver_area, value); return;
    case QueueDeviceLow: set_low(queue->device_area, value); return;
    case QueueDeviceHigh: set_high(queue->device_area, value); return;
    default: return;
    }
}

VirtioMmio::QueueRegisters* VirtioMmio::configurable_queue()
{
    // Once the device runs, its worker may be using any queue; we offer no
    // VIRTIO_F_RING_RESET, so queues change only through a device reset.
    if (m_queue_select >= m_queues.size() || (m_status.load() & kStatusDriverOk)
        || m_queues[m_queue_select].ready())
        return nullptr;
    return &m_queue_registers[m_queue_select];
}

void VirtioMmio::write_queue_ready(uint32_t value)
{
    if (m_queue_select >= m_queues.size() || (m_status.load() & kStatusDriverOk))
        return;
    VirtQueue& queue = m_queues[m_queue_select];
    if (value == 0) {
        queue.disable();
        return;
    }
    if (queue.ready())
        return;
    std::string name = "queue " + std::to_string(m_queue_select);
    // Whether the rings carry event indexes depends on the features, so they come first.
    if (!(m_status.load() & kStatusFeaturesOk)) {
        fail(name + " was enabled before FEATURES_OK");
        return;
    }
    const QueueRegisters& registers = m_queue_registers[m_queue_select];
    if (registers.size > m_device.queue_max_size(m_queue_select)) {
        fail(name + " size " + std::to_string(registers.size) + " is above QueueNumMax");
        return;
    }
    QueueLayout layout { static_cast<uint16_t>(registers.size), registers.descriptor_area,
        registers.driver_area, registers.device_area };
    if (auto error = queue.enable(layout, m_driver_features))
        fail(name + ": " + *error);
}

bool VirtioMmio::features_acceptable() const
{
    uint64_t offered = m_device.device_features() | kFeatureVersion1;
    // A modern-only device cannot work with a legacy driver, and a driver may only take what
    // was offered.
    return (m_driver_features & kFeatureVersion1) && (m_driver_features & ~offered) == 0;
}

void VirtioMmio::write_status(uint32_t value)
{
    if (value == 0) {
        reset();
        return;
    }
    uint32_t previous = m_status.load();
    // A driver never clears a status bit except by reset, and NEEDS_RESET is the device's.
    uint32_t status = previous | (value & 0xff & ~kStatusNeedsReset);
    if ((status & ~previous & kStatusFeaturesOk) && !features_acceptable())
        status &= ~kStatusFeaturesOk;
    bool starting = status & ~previous & kStatusDriverOk;
    if (starting && !(status & kStatusFeaturesOk)) {
        m_status = status & ~kStatusDriverOk;
        fail("DRIVER_OK was set without FEATURES_OK");
        return;
    }
    m_status = status;
    if (starting)
        m_device.activate(m_queues, m_driver_features);
}

void VirtioMmio::notify_queue(uint32_t index)
{
    if (!(m_status.load() & kStatusDriverOk) || index >= m_queues.size())
        return;
    {
        std::lock_guard lock(m_interrupt_mutex);
        if (m_needs_reset)
            return;
    }
    m_device.queue_notified(index);
}

void VirtioMmio::reset()
{
    // First the device, which waits for its worker, so nothing uses the queues below.
    m_device.reset();
    for (VirtQueue& queue : m_queues)
        queue.disable();
    std::fill(m_queue_registers.begin(), m_queue_registers.end(), QueueRegisters {});
    m_driver_features = 0;
    m_device_features_select = 0;
    m_driver_features_select = 0;
    m_queue_select = 0;
    m_status = 0;
    std::lock_guard lock(m_interrupt_mutex);
    m_interrupt_status = 0;
    m_needs_reset = false;
    update_line();
}

void VirtioMmio::notify_config_change()
{
    std::lock_guard lock(m_mutex);
    ++m_config_generation;
    if (m_status.load() & kStatusDriverOk)
        raise_interrupt(kInterruptConfigChange);
}

void VirtioMmio::raise_interrupt(uint32_t reasons)
{
    std::lock_guard lock(m_interrupt_mutex);
    m_interrupt_status |= reasons;
    update_line();
}

void VirtioMmio::acknowledge_interrupt(uint32_t reasons)
{
    std::lock_guard lock(m_interrupt_mutex);
    m_interrupt_status &= ~reasons;
    update_line();
}

void VirtioMmio::fail(const std::string& reason)
{
    std::lock_guard lock(m_interrupt_mutex);
    if (m_needs_reset)
        return;
    m_needs_reset = true;
    if (m_verbose) {
        std::fprintf(stderr, "rvisor: virtio device %u needs reset: %s\n", m_device.device_id(),
            reason.c_str());
    }
    // The spec asks for a configuration change notification once the driver is running.
    if (m_status.load() & kStatusDriverOk) {
        m_interrupt_status |= kInterruptConfigChange;
        update_line();
    }
}

void VirtioMmio::update_line()
{
    bool level = m_interrupt_status != 0;
    if (level == m_line_level)
        return;
    m_line_level = level;
    m_irq.set(level);
}

void VirtioMmio::save(state::StateWriter& out) const
{
    std::lock_guard lock(m_mutex);
    out.u32(m_device.device_id());
    out.u32(m_status.load());
    out.u64(m_driver_features);
    out.u32(m_device_features_select);
    out.u32(m_driver_features_select);
    out.u32(m_queue_select);
    out.u32(static_cast<uint32_t>(m_queues.size()));
    for (size_t index = 0; index < m_queues.size(); ++index) {
        const QueueRegisters& registers = m_queue_registers[index];
        out.u32(registers.size);
        out.u64(registers.descriptor_area);
        out.u64(registers.driver_area);
        out.u64(registers.device_area);
        out.boolean(m_queues[index].ready());
        m_queues[index].save(out);
    }
    m_device.save(out);
    std::lock_guard interrupt_lock(m_interrupt_mutex);
    out.u32(m_interrupt_status);
    out.boolean(m_needs_reset);
}

void VirtioMmio::load(state::StateReader& in)
{
    std::lock_guard lock(m_mutex);
    if (in.u32() != m_device.device_id())
        in.fail("it holds another type of virtio device");
    const uint32_t status = in.u32();
    m_driver_features = in.u64();
    m_device_features_select = in.u32();
    m_driver_features_select = in.u32();
    m_queue_select = in.u32();
    if (in.u32() != m_queues.size())
        in.fail("its number of queues differs from the device's");
    for (size_t index = 0; index < m_queues.size(); ++index) {
        QueueRegisters& registers = m_queue_registers[index];
        registers.size = in.u32();
        registers.descriptor_area = in.u64();
        registers.driver_area = in.u64();
        registers.device_area = in.u64();
        if (in.boolean()) {
            if (registers.size > m_device.queue_max_size(static_cast<unsigned>(index)))
                in.fail(fmt::format("queue {} is larger than the device allows", index));
            const QueueLayout layout { static_cast<uint16_t>(registers.size),
                registers.descriptor_area, registers.driver_area, registers.device_area };
            if (auto error = m_queues[index].enable(layout, m_driver_features))
                in.fail(fmt::format("queue {}: {}", index, *error));
        }
        m_queues[index].load(in);
    }
    m_device.load(in);
    if ((status & kStatusDriverOk) && !(status & kStatusFeaturesOk))
        in.fail("DRIVER_OK is set without FEATURES_OK");
    m_status = status & ~kStatusNeedsReset;
    if (m_status.load() & kStatusDriverOk)
        m_device.activate(m_queues, m_driver_features);
    std::lock_guard interrupt_lock(m_interrupt_mutex);
    m_interrupt_status = in.u32() & (kInterruptUsedBuffer | kInterruptConfigChange);
    m_needs_reset = in.boolean();
    m_line_level = m_interrupt_status != 0;
    m_irq.set(m_line_level);
}

} // namespace rvisor::devices::virtio
