#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rvisor::firmware {

// What varies between machines; everything else in the tree is the fixed layout of DESIGN.md's
// machine table.
struct DeviceTreeLayout {
    unsigned hart_count = 1;
    uint64_t ram_base = 0x80000000;
    uint64_t ram_size = 0;
    // riscv,isa: the single-string form older kernels and OpenSBI read.
    std::string isa = "rv64imafdc_zicsr_zifencei_zicntr_zihpm_zba_zbb_zbs_zicond_zihintpause_sstc";
    // riscv,isa-extensions ("i", "m", …, "zicsr", …); when empty it is derived from `isa`.
    std::vector<std::string> isa_extensions;
    uint32_t timebase_frequency = 10000000;
    std::string mmu_type = "riscv,sv57";
    std::string bootargs;
    std::optional<std::pair<uint64_t, uint64_t>> initrd; // start, end
    struct VirtioSlot {
        uint64_t base;
        uint32_t irq;
    };
    std::vector<VirtioSlot> virtio;
};

// The flattened device tree (DTB) the guest is handed in a1, shaped like QEMU virt's so kernels
// configured for that machine find everything where they look. The blob has some free space at
// its end, so firmware can add nodes to it in place. Throws std::runtime_error if libfdt fails.
std::vector<uint8_t> build_device_tree(const DeviceTreeLayout&);

// The riscv,isa-extensions list an ISA string implies: "rv64imac_zicsr" gives i, m, a, c, zicsr.
std::vector<std::string> isa_extensions_of(const std::string& isa);

} // namespace rvisor::firmware
