#include "fn/function_spec.h"

#include "api/request_body.h"
#include "api/vm_control.h"

#include <fmt/format.h>

#include <limits>
#include <regex>
#include <string_view>

namespace rvisor::fn {

namespace {

using api::ApiError;
using nlohmann::json;

constexpr std::string_view kFields[] = { "name", "rootfs", "image", "command", "env", "port",
    "readiness_path", "cpus", "mem_mib", "concurrency", "min_instances", "max_instances",
    "max_queue", "idle_timeout_s", "timeout_s", "warmup" };
constexpr std::string_view kWarmupFields[] = { "path", "requests" };

[[noreturn]] void refuse(const std::string& message) { throw ApiError(400, message); }

uint64_t number_field(const json& body, const char* name, uint64_t low, uint64_t high,
    uint64_t fallback, const char* where = "")
{
    if (!body.contains(name))
        return fallback;
    const json& value = body.at(name);
    if (!value.is_number_unsigned() || value.get<uint64_t>() < low || value.get<uint64_t>() > high)
        refuse(fmt::format(
            "The field \"{}{}\" must be a whole number from {} to {}.", where, name, low, high));
    return value.get<uint64_t>();
}

std::string string_field(const json& body, const char* name, const char* where = "")
{
    const json& value = body.at(name);
    if (!value.is_string() || value.get<std::string>().empty())
        refuse(fmt::format("The field \"{}{}\" must be a string that is not empty.", where, name));
    return value.get<std::string>();
}

// A path the function serves: what follows /fn/NAME, so it begins with '/'.
std::string path_field(const json& body, const char* name, const char* where = "")
{
    if (!body.contains(name))
        return "/";
    std::string path = string_field(body, name, where);
    if (!path.starts_with('/') || path.find_first_of(" \r\n") != std::string::npos)
        refuse(fmt::format(
            "The field \"{}{}\" must be a path beginning with / and without spaces.", where, name));
    return path;
}

} // namespace

bool valid_function_name(const std::string& name)
{
    static const std::regex pattern("[A-Za-z0-9_-]{1,64}");
    return std::regex_match(name, pattern);
}

FunctionSpec parse_function_spec(const json& body, const std::string& name)
{
    if (!body.is_object())
        refuse("The body must be a JSON object.");
    api::check_known_fields(body, kFields);
    FunctionSpec spec;
    if (!name.empty() && body.contains("name") && body.at("name") != name)
        refuse(fmt::format("The field \"name\" must be the path's name, \"{}\".", name));
    if (name.empty() && !body.contains("name"))
        refuse("The field \"name\" is required.");
    spec.name = name.empty() ? string_field(body, "name") : name;
    if (!valid_function_name(spec.name))
        refuse(
            fmt::format("The name \"{}\" must be 1 to 64 of A-Z, a-z, 0-9, _ and -.", spec.name));

    if (body.contains("rootfs") == body.contains("image"))
        refuse("Exactly one of the fields \"rootfs\" and \"image\" is required.");
    if (body.contains("rootfs")) {
        spec.rootfs = string_field(body, "rootfs");
        if (!spec.rootfs.is_absolute())
            refuse("The field \"rootfs\" must be an absolute path.");
        std::error_code error;
        if (!std::filesystem::is_directory(spec.rootfs, error))
            refuse(fmt::format("The rootfs {} is not a directory.", spec.rootfs.string()));
    } else {
        spec.image = string_field(body, "image");
    }

    if (!body.contains("command"))
        refuse("The field \"command\" is required.");
    const json& command = body.at("command");
    if (!command.is_array() || command.empty())
        refuse("The field \"command\" must be a list of strings naming a program.");
    for (const json& arg : command) {
        if (!arg.is_string() || arg.get<std::string>().find('\0') != std::string::npos)
            refuse("The field \"command\" must be a list of strings naming a program.");
        spec.command.push_back(arg.get<std::string>());
    }
    if (spec.command[0].empty())
        refuse("The field \"command\" must name a program first.");

    if (body.contains("env")) {
        const json& env = body.at("env");
        if (!env.is_object())
            refuse("The field \"env\" must be an object of strings.");
        for (const auto& [key, value] : env.items()) {
            if (key.empty() || key.find('=') != std::string::npos
                || key.find('\0') != std::string::npos || !value.is_string())
                refuse(fmt::format(
                    "The variable \"env.{}\" must have a name without '=' and a string value.",
                    key));
            spec.env[key] = value.get<std::string>();
        }
    }
    spec.port = static_cast<uint16_t>(number_field(body, "port", 1, 65535, spec.port));
    spec.readiness_path = path_field(body, "readiness_path");
    spec.cpus = static_cast<unsigned>(number_field(body, "cpus", 1, 32, spec.cpus));
    spec.mem_mib = number_field(body, "mem_mib", 32, 16384, spec.mem_mib);
    spec.concurrency
        = static_cast<unsigned>(number_field(body, "concurrency", 1, 1000, spec.concurrency));
    spec.max_instances
        = static_cast<unsigned>(number_field(body, "max_instances", 1, 1000, spec.max_instances));
    spec.min_instances = static_cast<unsigned>(
        number_field(body, "min_instances", 0, spec.max_instances, spec.min_instances));
    spec.max_queue
        = static_cast<unsigned>(number_field(body, "max_queue", 0, 100000, spec.max_queue));
    spec.idle_timeout_s = static_cast<unsigned>(
        number_field(body, "idle_timeout_s", 1, 86400, spec.idle_timeout_s));
    spec.timeout_s
        = static_cast<unsigned>(number_field(body, "timeout_s", 1, 3600, spec.timeout_s));
    if (body.contains("warmup")) {
        const json& warmup = body.at("warmup");
        if (!warmup.is_object())
            refuse("The field \"warmup\" must be an object.");
        api::check_known_fields(warmup, kWarmupFields);
        spec.warmup.path = path_field(warmup, "path", "warmup.");
        spec.warmup.requests = static_cast<unsigned>(
            number_field(warmup, "requests", 0, 1000, spec.warmup.requests, "warmup."));
    }
    return spec;
}

json function_spec_json(const FunctionSpec& spec)
{
    json body = {
        { "name", spec.name },
        { "command", spec.command },
        { "env", spec.env },
        { "port", spec.port },
        { "readiness_path", spec.readiness_path },
        { "cpus", spec.cpus },
        { "mem_mib", spec.mem_mib },
        { "concurrency", spec.concurrency },
        { "min_instances", spec.min_instances },
        { "max_instances", spec.max_instances },
        { "max_queue", spec.max_queue },
        { "idle_timeout_s", spec.idle_timeout_s },
        { "timeout_s", spec.timeout_s },
        { "warmup", { { "path", spec.warmup.path }, { "requests", spec.warmup.requests } } },
    };
    if (spec.image.empty())
        body["rootfs"] = spec.rootfs.string();
    else
        body["image"] = spec.image;
    return body;
}

} // namespace rvisor::fn
