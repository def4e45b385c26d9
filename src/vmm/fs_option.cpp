#include "vmm/fs_option.h"
#include "vmm/option_parts.h"

#include <fmt/format.h>

#include <set>
#include <stdexcept>

namespace rvisor::vmm {

namespace {

// virtio 1.2 section 5.11.4: the tag is 36 bytes, NUL-padded only when shorter.
constexpr size_t kMaxTagBytes = 36;

} // namespace

machine::FsShareConfig parse_fs_option(const std::string& text)
{
    machine::FsShareConfig config;
    bool first = true;
    bool has_tag = false;
    for (const std::string& part : split_option(text, ',')) {
        if (first)
            config.directory = part;
        else if (part == "ro")
            config.read_only = true;
        else if (part.starts_with("tag=")) {
            config.tag = part.substr(4);
            has_tag = true;
        } else
            throw std::runtime_error(
                fmt::format("--fs option '{}' is not one of tag=TAG, ro (in '{}')", part, text));
        first = false;
    }
    if (config.directory.empty())
        throw std::runtime_error(fmt::format("--fs '{}' names no directory", text));
    if (!has_tag)
        throw std::runtime_error(fmt::format(
            "--fs '{}' needs tag=TAG, the name the guest mounts with mount -t virtiofs", text));
    if (config.tag.empty() || config.tag.size() > kMaxTagBytes)
        throw std::runtime_error(
            fmt::format("--fs tag '{}' must be 1 to {} bytes", config.tag, kMaxTagBytes));
    return config;
}

std::string format_fs_option(const machine::FsShareConfig& config)
{
    return fmt::format(
        "{},tag={}{}", config.directory.string(), config.tag, config.read_only ? ",ro" : "");
}

void check_fs_tags(const std::vector<machine::FsShareConfig>& shares)
{
    std::set<std::string> tags;
    for (const auto& share : shares)
        if (!tags.insert(share.tag).second)
            throw std::runtime_error(
                fmt::format("--fs tag '{}' is given to two shares; each needs its own", share.tag));
}

} // namespace rvisor::vmm
