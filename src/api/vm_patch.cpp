#include "api/vm_patch.h"

#include "api/request_body.h"
#include "host/rate_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string_view>

namespace rvisor::api {

namespace {

using nlohmann::json;

uint64_t whole_number(const json& value, const std::string& name, uint64_t max)
{
    if (!value.is_number_unsigned() || value.get<uint64_t>() > max)
        throw ApiError(
            400, fmt::format("The field \"{}\" must be a whole number from 0 to {}.", name, max));
    return value.get<uint64_t>();
}

// "disks" or "nets": a list of {"index", limits…}, each device named once.
std::vector<DeviceLimitChange> parse_changes(
    const json& list, const std::string& name, std::span<const std::string_view> limits)
{
    if (!list.is_array())
        throw ApiError(400, fmt::format("The field \"{}\" must be a list of objects.", name));
    std::vector<DeviceLimitChange> changes;
    for (size_t position = 0; position < list.size(); ++position) {
        const json& item = list[position];
        const std::string where = fmt::format("{}[{}]", name, position);
        if (!item.is_object())
            throw ApiError(400, fmt::format("The field \"{}\" must be an object.", where));
        std::vector<std::string_view> allowed { "index" };
        allowed.insert(allowed.end(), limits.begin(), limits.end());
        check_known_fields(item, allowed);
        if (!item.contains("index"))
            throw ApiError(400, fmt::format("The field \"{}.index\" is required.", where));
        DeviceLimitChange change;
        change.index
            = whole_number(item["index"], where + ".index", std::numeric_limits<uint32_t>::max());
        if (item.contains("iops"))
            change.ops_per_second
                = whole_number(item["iops"], where + ".iops", host::RateLimit::kMaxOpsPerSecond);
        if (item.contains("bw"))
            change.bytes_per_second
                = whole_number(item["bw"], where + ".bw", host::RateLimit::kMaxBytesPerSecond);
        const bool repeated = std::any_of(changes.begin(), changes.end(),
            [&](const DeviceLimitChange& other) { return other.index == change.index; });
        if (repeated)
            throw ApiError(400,
                fmt::format("The field \"{}\" names {} {} twice.", name,
                    name == "disks" ? "disk" : "network", change.index));
        changes.push_back(change);
    }
    return changes;
}

} // namespace

VmPatch parse_vm_patch(const std::string& text)
{
    const json body = parse_json_object(text);
    static constexpr std::array<std::string_view, 3> kFields { "state", "disks", "nets" };
    check_known_fields(body, kFields);
    if (body.empty())
        throw ApiError(400, "The request body must hold \"state\", \"disks\" or \"nets\".");
    VmPatch patch;
    if (body.contains("state")) {
        const json& state = body["state"];
        if (!state.is_string() || (state != "Paused" && state != "Resumed"))
            throw ApiError(400, "The field \"state\" must be one of \"Paused\", \"Resumed\".");
        patch.state = state.get<std::string>();
    }
    static constexpr std::array<std::string_view, 2> kDiskLimits { "iops", "bw" };
    static constexpr std::array<std::string_view, 1> kNetLimits { "bw" };
    if (body.contains("disks"))
        patch.disks = parse_changes(body["disks"], "disks", kDiskLimits);
    if (body.contains("nets"))
        patch.nets = parse_changes(body["nets"], "nets", kNetLimits);
    return patch;
}

uint64_t parse_balloon_patch(const std::string& text)
{
    const json body = parse_json_object(text);
    static constexpr std::array<std::string_view, 1> kFields { "amount_mib" };
    check_known_fields(body, kFields);
    if (!body.contains("amount_mib"))
        throw ApiError(400, "The field \"amount_mib\" is required.");
    // The device counts 4 KiB pages in 32 bits.
    return whole_number(body["amount_mib"], "amount_mib", (uint64_t { 1 } << 32) / 256 - 1);
}

} // namespace rvisor::api
