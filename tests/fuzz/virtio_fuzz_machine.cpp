#include "virtio_fuzz_machine.h"

#include <cstdio>
#include <cstdlib>

namespace rvisor::fuzz {

VirtioFuzzMachine::VirtioFuzzMachine(const DeviceFactory& make_device, ScriptReader& script)
    : m_ram(kRamBase, kRamSize)
    , m_subject(make_device(m_ram, script))
    , m_transport(m_ram, m_subject->device(), devices::InterruptLine {}, false)
    , m_bus(m_ram)
{
    m_bus.map(kTransportBase, devices::virtio::VirtioMmio::kRegionSize, m_transport);
}

uint32_t VirtioFuzzMachine::read_register(uint64_t offset)
{
    return static_cast<uint32_t>(m_bus.read(kTransportBase + offset, 4).value_or(0));
}

void VirtioFuzzMachine::write_register(uint64_t offset, uint32_t value)
{
    m_bus.write(kTransportBase + offset, 4, value);
}

void report_violation(const std::string& what)
{
    std::fprintf(stderr, "virtio device broke the spec: %s\n", what.c_str());
    std::abort();
}

} // namespace rvisor::fuzz
