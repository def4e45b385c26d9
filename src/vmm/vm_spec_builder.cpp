#include "vmm/vm_spec_builder.h"
#include "vmm/fs_option.h"
#include "vmm/net_option.h"
#include "vmm/option_parts.h"
#include "vmm/rate_option.h"
#include "vmm/vsock_option.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace rvisor::vmm {

uint64_t parse_memory_size(const std::string& text)
{
    size_t used = 0;
    uint64_t value = 0;
    try {
        value = std::stoull(text, &used);
    } catch (const std::exception&) {
        throw std::runtime_error(
            fmt::format("memory size '{}' is not a size such as 512M or 2G", text));
    }
    const std::string suffix = text.substr(used);
    unsigned shift;
    if (suffix.empty() || suffix == "M" || suffix == "m" || suffix == "MiB")
        shift = 20;
    else if (suffix == "G" || suffix == "g" || suffix == "GiB")
        shift = 30;
    else if (suffix == "K" || suffix == "k" || suffix == "KiB")
        shift = 10;
    else
        throw std::runtime_error(
            fmt::format("memory size '{}' is not a size such as 512M or 2G", text));
    if (value == 0 || value > (uint64_t { 1 } << (40 - shift)))
        throw std::runtime_error(
            fmt::format("memory size '{}' is out of range (up to 1024G)", text));
    return value << shift;
}

machine::DiskConfig parse_disk_option(const std::string& text)
{
    machine::DiskConfig disk;
    bool first = true;
    for (const std::string& part : split_option(text, ',')) {
        if (first)
            disk.path = part;
        else if (part == "ro")
            disk.read_only = true;
        else if (part.starts_with("serial="))
            disk.serial = part.substr(7);
        else if (part.starts_with("iops="))
            disk.limit.ops_per_second = parse_iops(part.substr(5), "--disk");
        else if (part.starts_with("bw="))
            disk.limit.bytes_per_second = parse_bandwidth(part.substr(3), "--disk");
        else
            throw std::runtime_error(fmt::format(
                "disk option '{}' is not one of ro, serial=S, iops=N, bw=B (in '{}')", part, text));
        first = false;
    }
    if (disk.path.empty())
        throw std::runtime_error(fmt::format("disk '{}' names no image file", text));
    if (disk.serial.size() > 20)
        throw std::runtime_error(
            fmt::format("disk serial '{}' is longer than virtio's 20 bytes", disk.serial));
    return disk;
}

cpu::EngineKind parse_engine(const std::string& text)
{
    if (text == "jit")
        return cpu::EngineKind::Jit;
    if (text == "interp")
        return cpu::EngineKind::Interpreter;
    throw std::runtime_error(fmt::format("unknown engine '{}': use jit or interp", text));
}

std::string format_disk_option(const machine::DiskConfig& disk)
{
    std::string text = disk.path.string();
    if (disk.read_only)
        text += ",ro";
    if (!disk.serial.empty())
        text += ",serial=" + disk.serial;
    if (disk.limit.ops_per_second)
        text += fmt::format(",iops={}", disk.limit.ops_per_second);
    if (disk.limit.bytes_per_second)
        text += ",bw=" + format_bandwidth(disk.limit.bytes_per_second);
    return text;
}

void VmSpecBuilder::apply(const nlohmann::json& settings, const std::filesystem::path& folder,
    const std::string& context, const KeyName& key_name)
{
    if (!settings.is_object())
        throw std::runtime_error(context + "must hold a JSON object");
    auto resolve = [&](const std::string& file_name) { return folder / file_name; };
    // Strings or lists of strings, as the flags that repeat give them.
    auto strings = [](const nlohmann::json& value) {
        std::vector<std::string> items;
        if (value.is_string())
            items.push_back(value.get<std::string>());
        else
            for (const auto& item : value.get<std::vector<nlohmann::json>>())
                items.push_back(item.get<std::string>());
        return items;
    };
    std::string key;
    try {
        for (const auto& [name, value] : settings.items()) {
            key = name;
            if (key == "kernel") {
                m_spec.kernel = resolve(value.get<std::string>());
            } else if (key == "initrd") {
                m_spec.initrds.clear();
                for (const auto& path : strings(value))
                    m_spec.initrds.push_back(resolve(path));
            } else if (key == "append") {
                m_spec.append = value.get<std::string>();
            } else if (key == "cpus") {
                m_spec.cpus = value.get<unsigned>();
            } else if (key == "mem") {
                m_spec.memory = value.is_number() ? value.get<uint64_t>() << 20
                                                  : parse_memory_size(value.get<std::string>());
            } else if (key == "bios") {
                m_spec.bios = resolve(value.get<std::string>());
            } else if (key == "disks") {
                m_spec.disks.clear();
                for (const auto& text : strings(value)) {
                    machine::DiskConfig disk = parse_disk_option(text);
                    disk.path = resolve(disk.path.string());
                    m_spec.disks.push_back(disk);
                }
            } else if (key == "nets") {
                m_spec.nets.clear();
                for (const auto& text : strings(value))
                    m_spec.nets.push_back(parse_net_option(text));
            } else if (key == "vsock") {
                m_spec.vsock.reset();
                if (!value.is_null()) {
                    machine::VsockConfig vsock = parse_vsock_option(value.get<std::string>());
                    vsock.uds = resolve(vsock.uds.string());
                    m_spec.vsock = vsock;
                }
            } else if (key == "fs") {
                m_spec.shares.clear();
                for (const auto& text : strings(value)) {
                    machine::FsShareConfig share = parse_fs_option(text);
                    share.directory = resolve(share.directory.string());
                    m_spec.shares.push_back(share);
                }
                check_fs_tags(m_spec.shares);
            } else if (key == "balloon") {
                m_spec.balloon = value.get<bool>();
            } else if (key == "raw_kernel") {
                m_spec.raw_kernel = value.get<bool>();
            } else if (key == "engine") {
                m_spec.engine = parse_engine(value.get<std::string>());
            } else if (key == "trace") {
                m_options.trace = value.get<bool>();
            } else if (key == "verbose") {
                m_options.verbose = value.get<bool>();
            } else {
                throw std::runtime_error(fmt::format("unknown key '{}'", key));
            }
        }
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(fmt::format(
            "{}{}: a value has the wrong type: {}", context, key_name(key), error.what()));
    } catch (const std::runtime_error& error) {
        const std::string what = error.what();
        // Option parsers name their flag themselves ("--net mac '...'").
        if (what.starts_with("unknown key") || what.starts_with("--"))
            throw std::runtime_error(context + what);
        throw std::runtime_error(fmt::format("{}{}: {}", context, key_name(key), what));
    }
}

void VmSpecBuilder::apply_file(const std::filesystem::path& path)
{
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error(fmt::format("cannot open config file '{}'", path.string()));
    nlohmann::json json;
    try {
        json = nlohmann::json::parse(file);
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(
            fmt::format("config file '{}' is not valid JSON: {}", path.string(), error.what()));
    }
    apply(json, path.parent_path(), fmt::format("config file '{}': ", path.string()),
        [](const std::string& key) { return fmt::format("key '{}'", key); });
}

machine::VmSpec VmSpecBuilder::spec() const
{
    using machine::VmSpec;
    if (m_spec.kernel.empty())
        throw std::runtime_error(
            "no kernel: give --kernel FILE (or \"kernel\" in the --config file)");
    if (m_spec.cpus == 0 || m_spec.cpus > VmSpec::kMaxCpus)
        throw std::runtime_error(fmt::format("--cpus must be between 1 and {}", VmSpec::kMaxCpus));
    if (m_spec.memory < VmSpec::kMinMemory)
        throw std::runtime_error(
            fmt::format("--mem must be at least {} MiB", VmSpec::kMinMemory >> 20));
    if (m_spec.memory % 4096 != 0)
        throw std::runtime_error("--mem must be a whole number of 4 KiB pages");
    const unsigned fixed = m_spec.fixed_virtio_devices();
    if (m_spec.disks.size() + m_spec.nets.size() + fixed > VmSpec::kVirtioSlots)
        throw std::runtime_error(fmt::format(
            "at most {} virtio devices fit the machine: {} disks, {} networks, {} shares{}{} "
            "and the console and entropy devices are {}",
            VmSpec::kVirtioSlots, m_spec.disks.size(), m_spec.nets.size(), m_spec.shares.size(),
            m_spec.balloon ? ", the balloon" : "", m_spec.vsock ? ", the vsock device" : "",
            m_spec.disks.size() + m_spec.nets.size() + fixed));
    return m_spec;
}

nlohmann::json spec_to_json(const machine::VmSpec& spec)
{
    auto absolute = [](const std::filesystem::path& path) {
        return std::filesystem::absolute(path).lexically_normal().string();
    };
    nlohmann::json json;
    json["kernel"] = absolute(spec.kernel);
    json["raw_kernel"] = spec.raw_kernel;
    json["initrd"] = nlohmann::json::array();
    for (const auto& path : spec.initrds)
        json["initrd"].push_back(absolute(path));
    json["append"] = spec.append;
    json["cpus"] = spec.cpus;
    json["mem"] = fmt::format("{}K", spec.memory >> 10);
    if (spec.bios)
        json["bios"] = absolute(*spec.bios);
    json["disks"] = nlohmann::json::array();
    for (machine::DiskConfig disk : spec.disks) {
        disk.path = absolute(disk.path);
        json["disks"].push_back(format_disk_option(disk));
    }
    json["nets"] = nlohmann::json::array();
    for (const auto& net : spec.nets)
        json["nets"].push_back(format_net_option(net));
    json["engine"] = spec.engine == cpu::EngineKind::Jit ? "jit" : "interp";
    json["balloon"] = spec.balloon;
    if (spec.vsock) {
        machine::VsockConfig vsock = *spec.vsock;
        vsock.uds = absolute(vsock.uds);
        json["vsock"] = format_vsock_option(vsock);
    }
    // Only when there are shares, so an older rvisor still reads a VM's settings without them.
    for (machine::FsShareConfig share : spec.shares) {
        share.directory = absolute(share.directory);
        json["fs"].push_back(format_fs_option(share));
    }
    return json;
}

} // namespace rvisor::vmm
