#include "firmware/device_tree.h"

#include <cinttypes>
#include <cstdio>
#include <initializer_list>
#include <libfdt.h>
#include <stdexcept>
#include <string>
#include <tuple>

namespace rvisor::firmware {

namespace {

// The machine's fixed layout (DESIGN.md, "The machine").
constexpr uint64_t kSysconBase = 0x100000;
constexpr uint64_t kSysconSize = 0x1000;
constexpr uint64_t kRtcBase = 0x101000;
constexpr uint64_t kRtcSize = 0x1000;
constexpr uint32_t kRtcIrq = 11;
constexpr uint64_t kClintBase = 0x2000000;
constexpr uint64_t kClintSize = 0x10000;
constexpr uint64_t kPlicBase = 0xc000000;
constexpr uint64_t kPlicSize = 0x600000;
constexpr uint32_t kPlicSourceCount = 95; // riscv,ndev: sources 1..95
constexpr uint64_t kUartBase = 0x10000000;
constexpr uint64_t kUartSize = 0x100;
constexpr uint32_t kUartIrq = 10;
constexpr uint32_t kUartClockFrequency = 3686400;
constexpr uint64_t kVirtioSize = 0x1000;

constexpr uint32_t kSysconPoweroffValue = 0x5555;
constexpr uint32_t kSysconRebootValue = 0x7777;

// The cause numbers of the hart-local interrupts the CLINT and PLIC wires arrive as.
constexpr uint32_t kMachineSoftware = 3;
constexpr uint32_t kMachineTimer = 7;
constexpr uint32_t kSupervisorExternal = 9;
constexpr uint32_t kMachineExternal = 11;

// Room left after the tree for firmware (OpenSBI adds reserved-memory nodes, for one) to edit it
// in place.
constexpr size_t kFreeSpace = 4096;
constexpr size_t kInitialSize = 16 * 1024;
constexpr size_t kMaximumSize = 4 * 1024 * 1024;

// Phandles are plain numbers the tree's nodes name each other by; hand them out up front so a
// node can refer to one written later.
struct Phandles {
    unsigned hart_count;
    uint32_t cpu(unsigned hart) const { return 1 + 2 * hart; }
    uint32_t interrupt_controller(unsigned hart) const { return 2 + 2 * hart; }
    uint32_t plic() const { return 1 + 2 * hart_count; }
    uint32_t syscon() const { return 2 + 2 * hart_count; }
};

std::string node_name(const char* name, uint64_t address)
{
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), "%s@%" PRIx64, name, address);
    return buffer;
}

std::vector<uint32_t> reg(uint64_t base, uint64_t size)
{
    return { static_cast<uint32_t>(base >> 32), static_cast<uint32_t>(base),
        static_cast<uint32_t>(size >> 32), static_cast<uint32_t>(size) };
}

// The sequential-write API behind throwing calls. A full buffer throws OutOfSpace, which
// build_device_tree answers by starting again with a larger one.
struct OutOfSpace { };

class Writer {
public:
    explicit Writer(size_t size)
        : m_buffer(size)
    {
        check(fdt_create(m_buffer.data(), static_cast<int>(size)), "start the tree");
        check(fdt_finish_reservemap(m_buffer.data()), "finish the memory reservation map");
    }

    void begin_node(const std::string& name)
    {
        check(fdt_begin_node(m_buffer.data(), name.c_str()), "begin a node");
    }
    void end_node() { check(fdt_end_node(m_buffer.data()), "end a node"); }

    void property_empty(const char* name) { raw(name, nullptr, 0); }
    void property_u32(const char* name, uint32_t value)
    {
        check(fdt_property_u32(m_buffer.data(), name, value), name);
    }
    void property_u64(const char* name, uint64_t value)
    {
        check(fdt_property_u64(m_buffer.data(), name, value), name);
    }
    void property_string(const char* name, const std::string& value)
    {
        check(fdt_property_string(m_buffer.data(), name, value.c_str()), name);
    }
    // A string list: the strings one after another, each with its terminating NUL.
    void property_strings(const char* name, const std::vector<std::string>& strings)
    {
        std::string data;
        for (const auto& string : strings) {
            data += string;
            data += '\0';
        }
        raw(name, data.data(), data.size());
    }
    void property_strings(const char* name, std::initializer_list<const char*> strings)
    {
        property_strings(name, std::vector<std::string>(strings.begin(), strings.end()));
    }
    void property_cells(const char* name, const std::vector<uint32_t>& cells)
    {
        std::vector<fdt32_t> big_endian;
        for (uint32_t cell : cells)
            big_endian.push_back(cpu_to_fdt32(cell));
        raw(name, big_endian.data(), big_endian.size() * sizeof(fdt32_t));
    }

    std::vector<uint8_t> finish()
    {
        check(fdt_finish(m_buffer.data()), "finish the tree");
        size_t size = fdt_totalsize(m_buffer.data()) + kFreeSpace;
        std::vector<uint8_t> result(size);
        check(fdt_open_into(m_buffer.data(), result.data(), static_cast<int>(size)),
            "make room in the tree");
        return result;
    }

private:
    void raw(const char* name, const void* data, size_t length)
    {
        check(fdt_property(m_buffer.data(), name, data, static_cast<int>(length)), name);
    }

    static void check(int result, const std::string& what)
    {
        if (result >= 0)
            return;
        if (result == -FDT_ERR_NOSPACE)
            throw OutOfSpace {};
        throw std::runtime_error(
            "Could not build the device tree (" + what + "): " + fdt_strerror(result) + ".");
    }

    std::vector<uint8_t> m_buffer;
};

void write_chosen(Writer& tree, const DeviceTreeLayout& layout)
{
    tree.begin_node("chosen");
    if (!layout.bootargs.empty())
        tree.property_string("bootargs", layout.bootargs);
    tree.property_string("stdout-path", node_name("/soc/serial", kUartBase));
    if (layout.initrd) {
        tree.property_u64("linux,initrd-start", layout.initrd->first);
        tree.property_u64("linux,initrd-end", layout.initrd->second);
    }
    tree.end_node();
}

void write_memory(Writer& tree, const DeviceTreeLayout& layout)
{
    tree.begin_node(node_name("memory", layout.ram_base));
    tree.property_string("device_type", "memory");
    tree.property_cells("reg", reg(layout.ram_base, layout.ram_size));
    tree.end_node();
}

void write_cpus(Writer& tree, const DeviceTreeLayout& layout, const Phandles& phandles)
{
    auto extensions
        = layout.isa_extensions.empty() ? isa_extensions_of(layout.isa) : layout.isa_extensions;
    // "rv64i…" has the base "rv64i"; the ISA string's own case decides nothing.
    std::string base = layout.isa.substr(0, 4) + "i";

    tree.begin_node("cpus");
    tree.property_u32("#address-cells", 1);
    tree.property_u32("#size-cells", 0);
    tree.property_u32("timebase-frequency", layout.timebase_frequency);
    for (unsigned hart = 0; hart < layout.hart_count; ++hart) {
        tree.begin_node(node_name("cpu", hart));
        tree.property_u32("phandle", phandles.cpu(hart));
        tree.property_string("device_type", "cpu");
        tree.property_u32("reg", hart);
        tree.property_string("status", "okay");
        tree.property_string("compatible", "riscv");
        tree.property_string("riscv,isa", layout.isa);
        tree.property_string("riscv,isa-base", base);
        tree.property_strings("riscv,isa-extensions", extensions);
        tree.property_string("mmu-type", layout.mmu_type);

        tree.begin_node("interrupt-controller");
        tree.property_u32("#interrupt-cells", 1);
        tree.property_empty("interrupt-controller");
        tree.property_string("compatible", "riscv,cpu-intc");
        tree.property_u32("phandle", phandles.interrupt_controller(hart));
        tree.end_node();

        tree.end_node();
    }

    // Every hart is its own core in one cluster, as on QEMU virt with a single socket.
    tree.begin_node("cpu-map");
    tree.begin_node("cluster0");
    for (unsigned hart = 0; hart < layout.hart_count; ++hart) {
        tree.begin_node("core" + std::to_string(hart));
        tree.property_u32("cpu", phandles.cpu(hart));
        tree.end_node();
    }
    tree.end_node();
    tree.end_node();

    tree.end_node();
}

// interrupts-extended: for each hart, its interrupt controller and the given cause numbers.
std::vector<uint32_t> per_hart_interrupts(
    const Phandles& phandles, unsigned hart_count, std::initializer_list<uint32_t> causes)
{
    std::vector<uint32_t> cells;
    for (unsigned hart = 0; hart < hart_count; ++hart) {
        for (uint32_t cause : causes) {
            cells.push_back(phandles.interrupt_controller(hart));
            cells.push_back(cause);
        }
    }
    return cells;
}

// Opens the node of a device whose interrupt goes to the PLIC; the caller may add to it, then
// closes it.
void begin_plic_device(Writer& tree, const Phandles& phandles, const char* name, uint64_t base,
    uint64_t size, uint32_t irq, std::initializer_list<const char*> compatible)
{
    tree.begin_node(node_name(name, base));
    tree.property_u32("interrupts", irq);
    tree.property_u32("interrupt-parent", phandles.plic());
    tree.property_cells("reg", reg(base, size));
    tree.property_strings("compatible", compatible);
}

void write_soc(Writer& tree, const DeviceTreeLayout& layout, const Phandles& phandles)
{
    tree.begin_node("soc");
    tree.property_u32("#address-cells", 2);
    tree.property_u32("#size-cells", 2);
    tree.property_string("compatible", "simple-bus");
    tree.property_empty("ranges");

    tree.begin_node(node_name("clint", kClintBase));
    tree.property_cells("interrupts-extended",
        per_hart_interrupts(phandles, layout.hart_count, { kMachineSoftware, kMachineTimer }));
    tree.property_cells("reg", reg(kClintBase, kClintSize));
    tree.property_strings("compatible", { "sifive,clint0", "riscv,clint0" });
    tree.end_node();

    tree.begin_node(node_name("plic", kPlicBase));
    tree.property_u32("phandle", phandles.plic());
    tree.property_u32("riscv,ndev", kPlicSourceCount);
    tree.property_cells("reg", reg(kPlicBase, kPlicSize));
    tree.property_cells("interrupts-extended",
        per_hart_interrupts(
            phandles, layout.hart_count, { kMachineExternal, kSupervisorExternal }));
    tree.property_empty("interrupt-controller");
    tree.property_strings("compatible", { "sifive,plic-1.0.0", "riscv,plic0" });
    tree.property_u32("#address-cells", 0);
    tree.property_u32("#interrupt-cells", 1);
    tree.end_node();

    begin_plic_device(tree, phandles, "serial", kUartBase, kUartSize, kUartIrq, { "ns16550a" });
    tree.property_u32("clock-frequency", kUartClockFrequency);
    tree.end_node();

    begin_plic_device(
        tree, phandles, "rtc", kRtcBase, kRtcSize, kRtcIrq, { "google,goldfish-rtc" });
    tree.end_node();

    tree.begin_node(node_name("test", kSysconBase));
    tree.property_u32("phandle", phandles.syscon());
    tree.property_cells("reg", reg(kSysconBase, kSysconSize));
    tree.property_strings("compatible", { "sifive,test1", "sifive,test0", "syscon" });
    tree.end_node();

    for (const auto& slot : layout.virtio) {
        begin_plic_device(
            tree, phandles, "virtio_mmio", slot.base, kVirtioSize, slot.irq, { "virtio,mmio" });
        tree.end_node();
    }

    tree.end_node();
}

// Linux's syscon-poweroff and syscon-reboot drivers find the register through `regmap`; QEMU
// virt puts these nodes at the root, and so do we.
void write_power_nodes(Writer& tree, const Phandles& phandles)
{
    for (auto [name, compatible, value] :
        { std::tuple { "poweroff", "syscon-poweroff", kSysconPoweroffValue },
            std::tuple { "reboot", "syscon-reboot", kSysconRebootValue } }) {
        tree.begin_node(name);
        tree.property_u32("value", value);
        tree.property_u32("offset", 0);
        tree.property_u32("regmap", phandles.syscon());
        tree.property_string("compatible", compatible);
        tree.end_node();
    }
}

std::vector<uint8_t> write_tree(size_t buffer_size, const DeviceTreeLayout& layout)
{
    Phandles phandles { layout.hart_count };
    Writer tree(buffer_size);
    tree.begin_node("");
    tree.property_u32("#address-cells", 2);
    tree.property_u32("#size-cells", 2);
    tree.property_string("compatible", "riscv-virtio");
    tree.property_string("model", "rvisor,virt");
    write_chosen(tree, layout);
    write_memory(tree, layout);
    write_cpus(tree, layout, phandles);
    write_soc(tree, layout, phandles);
    write_power_nodes(tree, phandles);
    tree.end_node();
    return tree.finish();
}

} // namespace

std::vector<std::string> isa_extensions_of(const std::string& isa)
{
    std::vector<std::string> extensions;
    if (isa.size() < 4)
        return extensions;
    size_t position = 4; // past "rv32" or "rv64"
    for (; position < isa.size() && isa[position] != '_'; ++position) {
        char letter = static_cast<char>(isa[position] | 0x20);
        if (letter == 'g') {
            for (const char* implied : { "i", "m", "a", "f", "d", "zicsr", "zifencei" })
                extensions.emplace_back(implied);
        } else {
            extensions.emplace_back(1, letter);
        }
    }
    while (position < isa.size()) {
        size_t start = position + 1;
        position = isa.find('_', start);
        if (position == std::string::npos)
            position = isa.size();
        if (position > start)
            extensions.push_back(isa.substr(start, position - start));
    }
    return extensions;
}

std::vector<uint8_t> build_device_tree(const DeviceTreeLayout& layout)
{
    if (layout.hart_count == 0)
        throw std::runtime_error("A device tree needs at least one hart.");
    if (layout.isa.size() < 4)
        throw std::runtime_error("The ISA string '" + layout.isa + "' has no base (rv32 or rv64).");
    // The tree stores strings NUL-terminated: the kernel would see the line cut short there.
    if (layout.bootargs.find('\0') != std::string::npos)
        throw std::runtime_error("The kernel command line contains a NUL character.");
    for (size_t size = kInitialSize; size <= kMaximumSize; size *= 2) {
        try {
            return write_tree(size, layout);
        } catch (const OutOfSpace&) {
        }
    }
    throw std::runtime_error("The device tree does not fit in 4 MiB.");
}

} // namespace rvisor::firmware
