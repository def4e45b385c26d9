#include "virtio_device_fuzzer.h"

#include "virtio_chain_oracle.h"
#include "virtio_script.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

namespace rvisor::fuzz {

namespace {

using namespace devices::virtio::testing;
using Machine = VirtioFuzzMachine;

constexpr uint32_t kStatusRunning
    = kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk;
// Offsets in the rings (virtio 1.2, 2.7): flags, idx, then the entries.
constexpr uint64_t kIndexOffset = 2;
constexpr uint64_t kRingOffset = 4;
// What the rings area holds where no ring is. The bytes just behind the available and used
// rings are a mark that the device has no reason to write, and that changes when a page of
// the rings is given back (and reads as zeros).
constexpr uint8_t kUnusedRingByte = 0xa5;
constexpr uint64_t kMarkSize = 8;

// The driver's view of one queue: what it offered, and what of it the device has used.
struct DriverQueue {
    uint32_t size { 0 };
    bool ready { false };
    uint16_t next_available { 0 };
    uint16_t seen_used { 0 };
    uint64_t published { 0 };
    uint64_t used { 0 };
    // How many chains were published when the queue was last notified.
    uint64_t published_when_notified { 0 };
    // Set once the driver had more chains outstanding than the queue has entries: the device
    // sees the available index only modulo 2^16 and may stop at any point past that.
    bool overcommitted { false };
    // Every head the driver ever put in an available slot; fresh slots hold 0.
    std::vector<bool> offered_heads;

    uint64_t descriptors(unsigned index) const { return Machine::ring_area(index); }
    uint64_t available(unsigned index) const { return Machine::available_ring(index); }
    uint64_t used_ring(unsigned index) const { return Machine::used_ring(index); }
    uint64_t available_ring_bytes() const { return 6 + 2 * uint64_t { size }; }
    uint64_t used_ring_bytes() const { return 6 + 8 * uint64_t { size }; }
};

class ScriptedDriver {
public:
    explicit ScriptedDriver(Machine& machine)
        : m_machine(machine)
        , m_ram(machine.ram())
        , m_queues(machine.subject().device().queue_count())
        , m_rings_shadow(Machine::kDataBase - Machine::kRamBase)
    {
        if (m_queues.size() > Machine::kMaxQueues)
            report_violation("the fuzz machine has rings for three queues only");
    }

    void run(ScriptReader& script)
    {
        constexpr unsigned kMaxSteps = 1024;
        bring_up(script);
        for (unsigned step = 0; step < kMaxSteps && !script.done(); ++step)
            perform(static_cast<Op>(script.u8() % static_cast<uint8_t>(Op::Count)), script);
    }

private:
    void bring_up(ScriptReader& script);
    void perform(Op, ScriptReader&);
    // Takes a step that may set the device working, waits until the device is idle again, and
    // checks what it did.
    template <typename Step> void let_device_work(Step&& step)
    {
        note_possible_overwrites();
        step();
        settle_and_check();
    }
    // Whether the device, about to work, may rightly write over what it is judged by.
    void note_possible_overwrites();
    void settle_and_check();
    void check_queue(unsigned index, DriverQueue&, bool needs_reset);
    std::optional<uint64_t> first_unexpected_ring_write() const;

    DriverQueue& queue_named(ScriptReader& script)
    {
        return m_queues[script.u8() % m_queues.size()];
    }
    unsigned index_of(const DriverQueue& queue) const
    {
        return static_cast<unsigned>(&queue - m_queues.data());
    }
    // Writes into the rings area go to RAM and to the shadow that says what they hold.
    template <typename T> void write_ring(uint64_t address, T value)
    {
        std::memcpy(m_ram.pointer(address), &value, sizeof value);
        std::memcpy(m_rings_shadow.data() + (address - Machine::kRamBase), &value, sizeof value);
    }
    static uint64_t table_entry_address(uint32_t entry)
    {
        return Machine::kDataBase + 16 * (entry % (Machine::kDataSize / 16));
    }
    // Writes the script's next descriptor at `address` and returns `address`.
    uint64_t write_descriptor_at(uint64_t address, ScriptReader& script)
    {
        const ScriptedDescriptor scripted = read_descriptor(script);
        const Descriptor descriptor {
            .address = resolve_address(scripted.address_kind, scripted.address_operand),
            .length = resolve_length(scripted.length_kind, scripted.length_operand),
            .flags = scripted.flags,
            .next = scripted.next,
        };
        if (address < Machine::kDataBase)
            write_ring(address, descriptor);
        else
            std::memcpy(m_ram.pointer(address), &descriptor, sizeof descriptor);
        return address;
    }
    // Puts `head` (unless none is given) in the next available slot, and moves the available
    // index `count` slots on.
    void make_available(DriverQueue& queue, std::optional<uint16_t> head, uint16_t count)
    {
        const unsigned index = index_of(queue);
        if (head) {
            write_ring<uint16_t>(
                queue.available(index) + kRingOffset + 2 * (queue.next_available % queue.size),
                *head);
            queue.offered_heads[*head] = true;
        }
        queue.next_available = static_cast<uint16_t>(queue.next_available + count);
        queue.published += count;
        // The used count is as of the last check: an overestimate of what is outstanding.
        queue.overcommitted = queue.overcommitted || queue.published - queue.used > queue.size;
        std::atomic_ref<uint16_t>(
            *reinterpret_cast<uint16_t*>(m_ram.pointer(queue.available(index) + kIndexOffset)))
            .store(queue.next_available, std::memory_order_release);
        std::memcpy(
            m_rings_shadow.data() + (queue.available(index) + kIndexOffset - Machine::kRamBase),
            &queue.next_available, sizeof queue.next_available);
    }

    Machine& m_machine;
    mem::GuestRam& m_ram;
    std::vector<DriverQueue> m_queues;
    std::vector<uint8_t> m_rings_shadow;
    // Set when the device may rightly have written over the rings (a writable buffer on them,
    // pages given back): its used elements then prove nothing until the next bring-up.
    bool m_rings_overwritten { false };
};

void ScriptedDriver::bring_up(ScriptReader& script)
{
    m_machine.write_register(kStatus, 0);
    m_machine.settle();
    // Fresh rings, as a driver allocates them: zeros where the rings are, a mark elsewhere.
    std::memset(m_ram.pointer(Machine::kRamBase), kUnusedRingByte, m_rings_shadow.size());
    m_machine.write_register(kStatus, kStatusAcknowledge);
    m_machine.write_register(kStatus, kStatusAcknowledge | kStatusDriver);

    m_machine.write_register(kDeviceFeaturesSelect, 0);
    uint64_t offered = m_machine.read_register(kDeviceFeatures);
    m_machine.write_register(kDeviceFeaturesSelect, 1);
    offered |= uint64_t { m_machine.read_register(kDeviceFeatures) } << 32;
    // The script names the offered features the driver declines (and any it wrongly takes).
    const uint64_t accepted = offered ^ script.u64();
    m_machine.write_register(kDriverFeaturesSelect, 0);
    m_machine.write_register(kDriverFeatures, static_cast<uint32_t>(accepted));
    m_machine.write_register(kDriverFeaturesSelect, 1);
    m_machine.write_register(kDriverFeatures, static_cast<uint32_t>(accepted >> 32));
    m_machine.write_register(kStatus, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);

    for (unsigned index = 0; index < m_queues.size(); ++index) {
        DriverQueue& queue = m_queues[index];
        m_machine.write_register(kQueueSelect, index);
        queue = DriverQueue {};
        queue.size = queue_size(
            script.u8(), static_cast<uint16_t>(m_machine.read_register(kQueueSizeMax)));
        queue.offered_heads.assign(65536, false);
        queue.offered_heads[0] = true;
        const uint32_t entries = std::min<uint32_t>(queue.size, 256);
        std::memset(m_ram.pointer(queue.descriptors(index)), 0, 16 * entries);
        std::memset(m_ram.pointer(queue.available(index)), 0, 6 + 2 * entries);
        std::memset(m_ram.pointer(queue.used_ring(index)), 0, 6 + 8 * entries);
        m_machine.write_register(kQueueSize, queue.size);
        for (auto [low, address] : { std::pair { kQueueDescriptorLow, queue.descriptors(index) },
                 std::pair { kQueueDriverLow, queue.available(index) },
                 std::pair { kQueueDeviceLow, queue.used_ring(index) } }) {
            m_machine.write_register(low, static_cast<uint32_t>(address));
            m_machine.write_register(low + 4, static_cast<uint32_t>(address >> 32));
        }
        m_machine.write_register(kQueueReady, 1);
        queue.ready = m_machine.read_register(kQueueReady) == 1;
    }
    std::memcpy(m_rings_shadow.data(), m_ram.pointer(Machine::kRamBase), m_rings_shadow.size());
    m_rings_overwritten = false;
    let_device_work([&] { m_machine.write_register(kStatus, kStatusRunning); });
}

void ScriptedDriver::perform(Op op, ScriptReader& script)
{
    switch (op) {
    case Op::SetDescriptor: {
        DriverQueue& queue = queue_named(script);
        const uint32_t entries = std::clamp<uint32_t>(queue.size, 1, 256);
        write_descriptor_at(
            queue.descriptors(index_of(queue)) + 16 * (script.u16() % entries), script);
        return;
    }
    case Op::SetTableEntry: write_descriptor_at(table_entry_address(script.u16()), script); return;
    case Op::RepeatTableEntry: {
        const uint16_t first = script.u16();
        const uint16_t count = script.u16() % 8192;
        const uint64_t address = write_descriptor_at(table_entry_address(first), script);
        Descriptor entry;
        std::memcpy(&entry, m_ram.pointer(address), sizeof entry);
        for (uint16_t index = 0; index < count; ++index) {
            entry.next = static_cast<uint16_t>(index + 1);
            if (entry.next == count)
                entry.flags &= static_cast<uint16_t>(~kNext);
            std::memcpy(m_ram.pointer(table_entry_address(first + index)), &entry, sizeof entry);
        }
        return;
    }
    case Op::WriteData: {
        const uint64_t offset = script.u16() % Machine::kDataSize;
        std::span<const uint8_t> data = script.bytes(script.u8());
        std::memcpy(m_ram.pointer(Machine::kDataBase + offset), data.data(),
            std::min<uint64_t>(data.size(), Machine::kDataSize - offset));
        return;
    }
    case Op::Publish:
    case Op::Advance: {
        DriverQueue& queue = queue_named(script);
        const uint16_t operand = script.u16();
        if (queue.ready) {
            if (op == Op::Publish)
                make_available(queue, operand, 1);
            else
                make_available(queue, std::nullopt, operand);
        }
        return;
    }
    case Op::Notify: {
        const uint8_t index = script.u8();
        if (index < m_queues.size())
            m_queues[index].published_when_notified = m_queues[index].published;
        let_device_work([&] { m_machine.write_register(kQueueNotify, index); });
        return;
    }
    case Op::HostSide:
        let_device_work([&] { m_machine.subject().act_on_host_side(script); });
        return;
    case Op::AcknowledgeInterrupts:
        m_machine.write_register(kInterruptAcknowledge, script.u32());
        return;
    case Op::ReadConfig: {
        const uint8_t offset = script.u8();
        m_machine.bus().read(Machine::kTransportBase + kConfig + offset, 1u << (script.u8() % 4));
        return;
    }
    case Op::WriteConfig: {
        const uint8_t offset = script.u8();
        const unsigned size = 1u << (script.u8() % 4);
        const uint64_t value = script.u64();
        let_device_work([&] {
            m_machine.bus().write(Machine::kTransportBase + kConfig + offset, size, value);
        });
        return;
    }
    case Op::SetAvailableFlags:
    case Op::SetUsedEvent: {
        // The two fields of the available ring besides its entries and index.
        DriverQueue& queue = queue_named(script);
        const uint16_t value = script.u16();
        const uint64_t field = op == Op::SetAvailableFlags ? 0 : kRingOffset + 2 * queue.size;
        if (queue.ready)
            write_ring<uint16_t>(queue.available(index_of(queue)) + field, value);
        return;
    }
    case Op::PauseAndResume:
        let_device_work([&] {
            m_machine.transport().pause();
            m_machine.transport().resume();
        });
        return;
    case Op::Restart: bring_up(script); return;
    case Op::Count: return;
    }
}

void ScriptedDriver::note_possible_overwrites()
{
    // The tables as the device will find them: once it has written into them, what they say
    // afterwards is not what it served.
    QueueFootprint footprint;
    for (unsigned index = 0; index < m_queues.size(); ++index) {
        const DriverQueue& queue = m_queues[index];
        if (!queue.ready)
            continue;
        footprint.add_table(m_ram, queue.descriptors(index), queue.size);
        footprint.add_structure(queue.available(index), queue.available_ring_bytes() + kMarkSize);
        footprint.add_structure(queue.used_ring(index), queue.used_ring_bytes() + kMarkSize);
    }
    m_rings_overwritten = m_rings_overwritten || footprint.may_overwrite_structures();
}

void ScriptedDriver::settle_and_check()
{
    m_machine.settle();
    const uint32_t status = m_machine.read_register(kStatus);
    const bool needs_reset = status & kStatusNeedsReset;
    if (!needs_reset && status != kStatusRunning)
        report_violation(
            fmt::format("Status is {:#x}: neither running nor DEVICE_NEEDS_RESET", status));

    if (!m_rings_overwritten) {
        if (auto address = first_unexpected_ring_write()) {
            if (!m_machine.subject().gives_pages_back())
                report_violation(fmt::format(
                    "the device wrote at {:#x}, in the rings outside the used rings", *address));
            m_rings_overwritten = true;
        }
    }
    if (m_rings_overwritten)
        return;
    for (unsigned index = 0; index < m_queues.size(); ++index) {
        if (m_queues[index].ready)
            check_queue(index, m_queues[index], needs_reset);
    }
}

void ScriptedDriver::check_queue(unsigned index, DriverQueue& queue, bool needs_reset)
{
    const uint64_t used_ring = queue.used_ring(index);
    const uint16_t used_index = std::atomic_ref<uint16_t>(
        *reinterpret_cast<uint16_t*>(m_ram.pointer(used_ring + kIndexOffset)))
                                    .load(std::memory_order_acquire);
    const uint16_t fresh = static_cast<uint16_t>(used_index - queue.seen_used);
    queue.used += fresh;
    if (queue.used > queue.published) {
        report_violation(fmt::format("queue {}: {} chains used, but only {} were offered", index,
            queue.used, queue.published));
    }
    std::map<uint32_t, ChainFacts> facts_of_head;
    for (uint16_t count = 0; count < fresh; ++count) {
        const uint64_t slot = (queue.seen_used + count) % queue.size;
        uint32_t element[2];
        std::memcpy(element, m_ram.pointer(used_ring + kRingOffset + 8 * slot), sizeof element);
        const uint32_t head = element[0];
        const uint32_t length = element[1];
        if (head >= queue.offered_heads.size() || !queue.offered_heads[head])
            report_violation(fmt::format("queue {}: used head {} was never offered", index, head));
        auto found = facts_of_head.find(head);
        if (found == facts_of_head.end()) {
            found = facts_of_head
                        .emplace(head,
                            chain_facts(m_ram, queue.descriptors(index), queue.size,
                                static_cast<uint16_t>(head)))
                        .first;
        }
        const ChainFacts& facts = found->second;
        if (!facts.usable)
            report_violation(
                fmt::format("queue {}: used chain {}, which it must refuse", index, head));
        if (length > facts.writable_bytes) {
            report_violation(
                fmt::format("queue {}: chain {} used with length {}, but has {} writable bytes",
                    index, head, length, facts.writable_bytes));
        }
    }
    queue.seen_used = used_index;
    if (!needs_reset && !queue.overcommitted && m_machine.subject().serves_every_chain(index)
        && queue.used < queue.published_when_notified) {
        report_violation(fmt::format("queue {}: {} chains offered and notified, {} used", index,
            queue.published_when_notified, queue.used));
    }
}

std::optional<uint64_t> ScriptedDriver::first_unexpected_ring_write() const
{
    for (unsigned index = 0; index < m_queues.size(); ++index) {
        const DriverQueue& queue = m_queues[index];
        if (!queue.ready)
            continue;
        // The used ring itself is the device's to write; the mark behind it is not.
        const GuestRange driver_parts[] = {
            { queue.descriptors(index), queue.descriptors(index) + 16 * uint64_t { queue.size } },
            { queue.available(index),
                queue.available(index) + queue.available_ring_bytes() + kMarkSize },
            { queue.used_ring(index) + queue.used_ring_bytes(),
                queue.used_ring(index) + queue.used_ring_bytes() + kMarkSize },
        };
        for (const GuestRange& part : driver_parts) {
            for (uint64_t address = part.begin; address < part.end; ++address) {
                if (*m_ram.pointer(address) != m_rings_shadow[address - Machine::kRamBase])
                    return address;
            }
        }
    }
    return std::nullopt;
}

} // namespace

void run_virtio_device_script(
    std::span<const uint8_t> input, const VirtioFuzzMachine::DeviceFactory& make_device)
{
    ScriptReader script(input);
    Machine machine(make_device, script);
    ScriptedDriver driver(machine);
    driver.run(script);
}

} // namespace rvisor::fuzz
