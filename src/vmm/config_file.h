#pragma once
// A VM's settings as a JSON file (`rvisor run --config vm.json`), the same settings as the
// flags: {"kernel": "Image", "initrd": ["a.cpio.gz"], "append": "console=ttyS0", "cpus": 2,
// "mem": "1G", "bios": "fw_dynamic.bin", "engine": "jit",
// "disks": ["root.img", "data.img,ro,serial=data"]}. Relative paths are relative to the file's
// folder.
#include "machine/machine_config.h"

#include <filesystem>
#include <string>

namespace rvisor::vmm {

// Throws std::runtime_error with one sentence naming the file and the problem.
machine::MachineConfig load_config_file(const std::filesystem::path& path);

// "PATH[,ro][,serial=S]", as --disk takes it.
machine::DiskConfig parse_disk_option(const std::string& text);

// "512M", "2G", "65536K", or a plain number of MiB (as QEMU's -m).
uint64_t parse_memory_size(const std::string& text);
// "jit" or "interp", as --engine takes it.
cpu::EngineKind parse_engine(const std::string& text);

} // namespace rvisor::vmm
