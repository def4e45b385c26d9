#pragma once
// One builder makes a VM's spec from every place settings come from: the `run` flags, a
// --config JSON file ({"kernel": "Image", "initrd": ["a.cpio.gz"], "append": "console=ttyS0",
// "cpus": 2, "mem": "1G", "bios": "fw_dynamic.bin", "engine": "jit",
// "disks": ["root.img", "data.img,ro,serial=data"], "nets": ["user"], "balloon": true}), an API
// body and a snapshot's saved spec. The flags become a JSON object with the same keys, so every
// source gets the same validation and the same one-line errors.
#include "machine/vm_spec.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

namespace rvisor::vmm {

class VmSpecBuilder {
public:
    // Names a key in an error message: "--mem" for a flag, "key 'mem'" in a file.
    using KeyName = std::function<std::string(const std::string& key)>;

    // Sets every key of `settings` (a JSON object), replacing what an earlier apply() set.
    // Relative paths are relative to `folder`. Throws std::runtime_error with one sentence
    // that begins with `context` (e.g. "config file 'vm.json': ").
    void apply(const nlohmann::json& settings, const std::filesystem::path& folder,
        const std::string& context, const KeyName& key_name);
    // A --config file's settings, applied as above.
    void apply_file(const std::filesystem::path& path);

    // The spec, checked as a whole (a kernel given, cpus and mem in range). Throws like apply().
    machine::VmSpec spec() const;
    const machine::RunOptions& options() const { return m_options; }

private:
    machine::VmSpec m_spec;
    machine::RunOptions m_options;
};

// The spec as settings apply() takes back, with absolute paths (a snapshot's "spec" section).
nlohmann::json spec_to_json(const machine::VmSpec&);

// "PATH[,ro][,serial=S][,iops=N][,bw=B]", as --disk takes it, and back.
machine::DiskConfig parse_disk_option(const std::string& text);
std::string format_disk_option(const machine::DiskConfig&);
// "512M", "2G", "65536K", or a plain number of MiB (as QEMU's -m).
uint64_t parse_memory_size(const std::string& text);
// "jit" or "interp", as --engine takes it.
cpu::EngineKind parse_engine(const std::string& text);

} // namespace rvisor::vmm
