#include "firmware/device_tree.h"

#include <gtest/gtest.h>

#include <cstring>
#include <libfdt.h>
#include <stdexcept>

using rvisor::firmware::build_device_tree;
using rvisor::firmware::DeviceTreeLayout;
using rvisor::firmware::isa_extensions_of;

namespace {

DeviceTreeLayout two_hart_layout()
{
    DeviceTreeLayout layout;
    layout.hart_count = 2;
    layout.ram_size = 512 * 1024 * 1024;
    layout.bootargs = "console=ttyS0 earlycon";
    layout.initrd = std::pair<uint64_t, uint64_t> { 0x88000000, 0x88400000 };
    layout.virtio = { { 0x10001000, 1 }, { 0x10002000, 2 } };
    return layout;
}

// Reading the blob back as a guest would: through libfdt, by path.
struct ParsedTree {
    std::vector<uint8_t> blob;

    const void* fdt() const { return blob.data(); }
    int node(const char* path) const
    {
        int offset = fdt_path_offset(fdt(), path);
        EXPECT_GE(offset, 0) << path << ": " << fdt_strerror(offset);
        return offset;
    }
    bool has(const char* path, const char* name) const
    {
        return fdt_getprop(fdt(), node(path), name, nullptr) != nullptr;
    }
    std::string string(const char* path, const char* name) const
    {
        auto* value = static_cast<const char*>(fdt_getprop(fdt(), node(path), name, nullptr));
        return value ? value : "(missing)";
    }
    std::vector<uint32_t> cells(const char* path, const char* name) const
    {
        int length = 0;
        auto* value = static_cast<const fdt32_t*>(fdt_getprop(fdt(), node(path), name, &length));
        std::vector<uint32_t> result;
        for (int i = 0; value && i < length / 4; ++i)
            result.push_back(fdt32_to_cpu(value[i]));
        return result;
    }
    uint32_t cell(const char* path, const char* name) const
    {
        auto values = cells(path, name);
        EXPECT_EQ(values.size(), 1u) << path << " " << name;
        return values.empty() ? 0 : values[0];
    }
    uint64_t u64(const char* path, const char* name) const
    {
        auto values = cells(path, name);
        EXPECT_EQ(values.size(), 2u) << path << " " << name;
        return values.size() == 2 ? uint64_t { values[0] } << 32 | values[1] : 0;
    }
    bool list_contains(const char* path, const char* name, const char* string) const
    {
        int length = 0;
        auto* value = static_cast<const char*>(fdt_getprop(fdt(), node(path), name, &length));
        return value && fdt_stringlist_contains(value, length, string);
    }
    uint32_t phandle(const char* path) const { return fdt_get_phandle(fdt(), node(path)); }
};

ParsedTree parse(const DeviceTreeLayout& layout)
{
    ParsedTree tree { build_device_tree(layout) };
    EXPECT_EQ(fdt_check_header(tree.fdt()), 0);
    EXPECT_EQ(fdt_totalsize(tree.fdt()), tree.blob.size());
    return tree;
}

} // namespace

TEST(DeviceTree, RootDescribesTheMachine)
{
    auto tree = parse(two_hart_layout());
    EXPECT_EQ(tree.string("/", "compatible"), "riscv-virtio");
    EXPECT_EQ(tree.string("/", "model"), "rvisor,virt");
    EXPECT_EQ(tree.cell("/", "#address-cells"), 2u);
    EXPECT_EQ(tree.cell("/", "#size-cells"), 2u);
}

TEST(DeviceTree, MemoryNodeCoversRam)
{
    auto tree = parse(two_hart_layout());
    EXPECT_EQ(tree.string("/memory@80000000", "device_type"), "memory");
    EXPECT_EQ(tree.cells("/memory@80000000", "reg"),
        (std::vector<uint32_t> { 0, 0x80000000, 0, 512 * 1024 * 1024 }));
}

TEST(DeviceTree, CpusCarryIsaAndInterruptControllers)
{
    auto tree = parse(two_hart_layout());
    EXPECT_EQ(tree.cell("/cpus", "timebase-frequency"), 10000000u);
    EXPECT_EQ(tree.cell("/cpus", "#address-cells"), 1u);
    EXPECT_EQ(tree.cell("/cpus", "#size-cells"), 0u);

    EXPECT_EQ(tree.cell("/cpus/cpu@1", "reg"), 1u);
    EXPECT_EQ(tree.string("/cpus/cpu@1", "device_type"), "cpu");
    EXPECT_EQ(tree.string("/cpus/cpu@1", "status"), "okay");
    EXPECT_EQ(tree.string("/cpus/cpu@1", "compatible"), "riscv");
    EXPECT_EQ(tree.string("/cpus/cpu@1", "riscv,isa"), DeviceTreeLayout {}.isa);
    EXPECT_EQ(tree.string("/cpus/cpu@1", "riscv,isa-base"), "rv64i");
    EXPECT_EQ(tree.string("/cpus/cpu@1", "mmu-type"), "riscv,sv57");
    EXPECT_TRUE(tree.list_contains("/cpus/cpu@1", "riscv,isa-extensions", "zicsr"));
    EXPECT_TRUE(tree.list_contains("/cpus/cpu@1", "riscv,isa-extensions", "sstc"));
    EXPECT_FALSE(tree.list_contains("/cpus/cpu@1", "riscv,isa-extensions", "v"));

    const char* intc = "/cpus/cpu@1/interrupt-controller";
    EXPECT_EQ(tree.string(intc, "compatible"), "riscv,cpu-intc");
    EXPECT_EQ(tree.cell(intc, "#interrupt-cells"), 1u);
    EXPECT_TRUE(tree.has(intc, "interrupt-controller"));
    EXPECT_NE(tree.phandle(intc), 0u);
    EXPECT_NE(tree.phandle(intc), tree.phandle("/cpus/cpu@0/interrupt-controller"));

    EXPECT_EQ(tree.cell("/cpus/cpu-map/cluster0/core1", "cpu"), tree.phandle("/cpus/cpu@1"));
    EXPECT_LT(fdt_path_offset(tree.fdt(), "/cpus/cpu@2"), 0);
}

TEST(DeviceTree, ExplicitIsaExtensionsAreUsed)
{
    auto layout = two_hart_layout();
    layout.isa_extensions = { "i", "m", "a", "zifencei" };
    auto tree = parse(layout);
    EXPECT_TRUE(tree.list_contains("/cpus/cpu@0", "riscv,isa-extensions", "zifencei"));
    EXPECT_FALSE(tree.list_contains("/cpus/cpu@0", "riscv,isa-extensions", "c"));
}

TEST(DeviceTree, InterruptControllersReachEveryHart)
{
    auto tree = parse(two_hart_layout());
    uint32_t intc0 = tree.phandle("/cpus/cpu@0/interrupt-controller");
    uint32_t intc1 = tree.phandle("/cpus/cpu@1/interrupt-controller");

    const char* clint = "/soc/clint@2000000";
    EXPECT_TRUE(tree.list_contains(clint, "compatible", "sifive,clint0"));
    EXPECT_TRUE(tree.list_contains(clint, "compatible", "riscv,clint0"));
    EXPECT_EQ(tree.cells(clint, "reg"), (std::vector<uint32_t> { 0, 0x2000000, 0, 0x10000 }));
    EXPECT_EQ(tree.cells(clint, "interrupts-extended"),
        (std::vector<uint32_t> { intc0, 3, intc0, 7, intc1, 3, intc1, 7 }));

    const char* plic = "/soc/plic@c000000";
    EXPECT_TRUE(tree.list_contains(plic, "compatible", "sifive,plic-1.0.0"));
    EXPECT_TRUE(tree.list_contains(plic, "compatible", "riscv,plic0"));
    EXPECT_EQ(tree.cell(plic, "riscv,ndev"), 95u);
    EXPECT_EQ(tree.cell(plic, "#interrupt-cells"), 1u);
    EXPECT_TRUE(tree.has(plic, "interrupt-controller"));
    EXPECT_EQ(tree.cells(plic, "reg"), (std::vector<uint32_t> { 0, 0xc000000, 0, 0x600000 }));
    EXPECT_EQ(tree.cells(plic, "interrupts-extended"),
        (std::vector<uint32_t> { intc0, 11, intc0, 9, intc1, 11, intc1, 9 }));
    EXPECT_EQ(tree.string("/soc", "compatible"), "simple-bus");
    EXPECT_TRUE(tree.has("/soc", "ranges"));
}

TEST(DeviceTree, DevicesRouteThroughThePlic)
{
    auto tree = parse(two_hart_layout());
    uint32_t plic = tree.phandle("/soc/plic@c000000");
    ASSERT_NE(plic, 0u);

    const char* serial = "/soc/serial@10000000";
    EXPECT_EQ(tree.string(serial, "compatible"), "ns16550a");
    EXPECT_EQ(tree.cell(serial, "interrupts"), 10u);
    EXPECT_EQ(tree.cell(serial, "interrupt-parent"), plic);
    EXPECT_EQ(tree.cell(serial, "clock-frequency"), 3686400u);
    EXPECT_EQ(tree.cells(serial, "reg"), (std::vector<uint32_t> { 0, 0x10000000, 0, 0x100 }));

    const char* rtc = "/soc/rtc@101000";
    EXPECT_EQ(tree.string(rtc, "compatible"), "google,goldfish-rtc");
    EXPECT_EQ(tree.cell(rtc, "interrupts"), 11u);
    EXPECT_EQ(tree.cell(rtc, "interrupt-parent"), plic);

    const char* virtio = "/soc/virtio_mmio@10002000";
    EXPECT_EQ(tree.string(virtio, "compatible"), "virtio,mmio");
    EXPECT_EQ(tree.cell(virtio, "interrupts"), 2u);
    EXPECT_EQ(tree.cells(virtio, "reg"), (std::vector<uint32_t> { 0, 0x10002000, 0, 0x1000 }));
    EXPECT_EQ(tree.cell("/soc/virtio_mmio@10001000", "interrupts"), 1u);
}

TEST(DeviceTree, SysconOffersPoweroffAndReboot)
{
    auto tree = parse(two_hart_layout());
    const char* test = "/soc/test@100000";
    EXPECT_TRUE(tree.list_contains(test, "compatible", "sifive,test0"));
    EXPECT_TRUE(tree.list_contains(test, "compatible", "syscon"));
    uint32_t syscon = tree.phandle(test);
    ASSERT_NE(syscon, 0u);

    EXPECT_EQ(tree.string("/poweroff", "compatible"), "syscon-poweroff");
    EXPECT_EQ(tree.cell("/poweroff", "regmap"), syscon);
    EXPECT_EQ(tree.cell("/poweroff", "offset"), 0u);
    EXPECT_EQ(tree.cell("/poweroff", "value"), 0x5555u);
    EXPECT_EQ(tree.string("/reboot", "compatible"), "syscon-reboot");
    EXPECT_EQ(tree.cell("/reboot", "regmap"), syscon);
    EXPECT_EQ(tree.cell("/reboot", "value"), 0x7777u);
}

TEST(DeviceTree, ChosenCarriesBootargsConsoleAndInitrd)
{
    auto tree = parse(two_hart_layout());
    EXPECT_EQ(tree.string("/chosen", "bootargs"), "console=ttyS0 earlycon");
    EXPECT_EQ(tree.string("/chosen", "stdout-path"), "/soc/serial@10000000");
    EXPECT_EQ(tree.u64("/chosen", "linux,initrd-start"), 0x88000000u);
    EXPECT_EQ(tree.u64("/chosen", "linux,initrd-end"), 0x88400000u);
}

TEST(DeviceTree, OptionalPartsAreLeftOut)
{
    DeviceTreeLayout layout;
    layout.ram_size = 128 * 1024 * 1024;
    auto tree = parse(layout);
    EXPECT_FALSE(tree.has("/chosen", "linux,initrd-start"));
    EXPECT_FALSE(tree.has("/chosen", "bootargs"));
    EXPECT_LT(fdt_path_offset(tree.fdt(), "/soc/virtio_mmio@10001000"), 0);
    EXPECT_LT(fdt_path_offset(tree.fdt(), "/cpus/cpu@1"), 0);
}

TEST(DeviceTree, ManyHartsGrowTheBuffer)
{
    auto layout = two_hart_layout();
    layout.hart_count = 128;
    auto tree = parse(layout);
    EXPECT_GT(tree.blob.size(), 16u * 1024);
    // Unit addresses are hexadecimal, as the devicetree specification says.
    EXPECT_EQ(tree.cell("/cpus/cpu@7f", "reg"), 127u);
    EXPECT_EQ(tree.cell("/cpus/cpu-map/cluster0/core127", "cpu"), tree.phandle("/cpus/cpu@7f"));
    EXPECT_EQ(tree.cells("/soc/plic@c000000", "interrupts-extended").size(), 128u * 4);
}

TEST(DeviceTree, LeavesRoomToEditInPlace)
{
    auto tree = parse(two_hart_layout());
    int chosen = tree.node("/chosen");
    std::string value(1024, 'x');
    EXPECT_EQ(fdt_setprop_string(tree.blob.data(), chosen, "rvisor,note", value.c_str()), 0);
    EXPECT_EQ(tree.string("/chosen", "rvisor,note"), value);
}

TEST(DeviceTree, NoHartsIsAnError)
{
    DeviceTreeLayout layout;
    layout.hart_count = 0;
    EXPECT_THROW(build_device_tree(layout), std::runtime_error);
}

TEST(DeviceTree, IsaStringImpliesExtensions)
{
    EXPECT_EQ(isa_extensions_of("rv64imafdc_zicsr_sstc"),
        (std::vector<std::string> { "i", "m", "a", "f", "d", "c", "zicsr", "sstc" }));
    EXPECT_EQ(isa_extensions_of("RV64GC"),
        (std::vector<std::string> { "i", "m", "a", "f", "d", "zicsr", "zifencei", "c" }));
    EXPECT_EQ(isa_extensions_of("rv32i"), (std::vector<std::string> { "i" }));
}
