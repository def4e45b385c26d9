#include "vmm/config_file.h"
#include "vmm/net_option.h"

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
    size_t start = 0;
    bool first = true;
    while (start <= text.size()) {
        size_t comma = text.find(',', start);
        if (comma == std::string::npos)
            comma = text.size();
        const std::string part = text.substr(start, comma - start);
        if (first)
            disk.path = part;
        else if (part == "ro")
            disk.read_only = true;
        else if (part.starts_with("serial="))
            disk.serial = part.substr(7);
        else
            throw std::runtime_error(
                fmt::format("disk option '{}' is not one of ro, serial=S (in '{}')", part, text));
        first = false;
        start = comma + 1;
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

machine::MachineConfig load_config_file(const std::filesystem::path& path)
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
    if (!json.is_object())
        throw std::runtime_error(
            fmt::format("config file '{}' must hold a JSON object", path.string()));

    const std::filesystem::path folder = path.parent_path();
    auto resolve = [&](const std::string& file_name) { return folder / file_name; };
    machine::MachineConfig config;
    try {
        for (const auto& [key, value] : json.items()) {
            if (key == "kernel") {
                config.kernel = resolve(value.get<std::string>());
            } else if (key == "initrd") {
                if (value.is_string())
                    config.initrds.push_back(resolve(value.get<std::string>()));
                else
                    for (const auto& item : value)
                        config.initrds.push_back(resolve(item.get<std::string>()));
            } else if (key == "append") {
                config.append = value.get<std::string>();
            } else if (key == "cpus") {
                config.cpus = value.get<unsigned>();
            } else if (key == "mem") {
                config.memory = value.is_number() ? value.get<uint64_t>() << 20
                                                  : parse_memory_size(value.get<std::string>());
            } else if (key == "bios") {
                config.bios = resolve(value.get<std::string>());
            } else if (key == "disks") {
                for (const auto& item : value) {
                    machine::DiskConfig disk = parse_disk_option(item.get<std::string>());
                    disk.path = resolve(disk.path.string());
                    config.disks.push_back(disk);
                }
            } else if (key == "nets") {
                for (const auto& item : value)
                    config.nets.push_back(parse_net_option(item.get<std::string>()));
            } else if (key == "raw_kernel") {
                config.raw_kernel = value.get<bool>();
            } else if (key == "trace") {
                config.trace = value.get<bool>();
            } else if (key == "engine") {
                config.engine = parse_engine(value.get<std::string>());
            } else {
                throw std::runtime_error(fmt::format("unknown key '{}'", key));
            }
        }
    } catch (const nlohmann::json::exception& error) {
        throw std::runtime_error(fmt::format(
            "config file '{}': a value has the wrong type: {}", path.string(), error.what()));
    } catch (const std::runtime_error& error) {
        throw std::runtime_error(fmt::format("config file '{}': {}", path.string(), error.what()));
    }
    return config;
}

} // namespace rvisor::vmm
