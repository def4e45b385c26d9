#include "oci/container_status.h"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

namespace rvisor::oci {

namespace {

using enum ContainerStatus;

constexpr std::array<std::string_view, 5> kNames { "creating", "created", "running", "paused",
    "stopped" };

struct Rule {
    ContainerCommand command;
    std::string_view verb;
    std::array<bool, 5> allowed; // indexed by ContainerStatus
};

// Creating is never acted on: it is a create in progress, or one that died half-way, which only
// a forced delete clears.
constexpr Rule kRules[] = {
    { ContainerCommand::Start, "start", { false, true, false, false, false } },
    { ContainerCommand::Kill, "kill", { false, true, true, true, false } },
    { ContainerCommand::Exec, "exec in", { false, false, true, false, false } },
    { ContainerCommand::Pause, "pause", { false, false, true, false, false } },
    { ContainerCommand::Resume, "resume", { false, false, false, true, false } },
    { ContainerCommand::Update, "update", { false, true, true, true, false } },
    { ContainerCommand::Events, "show the events of", { false, true, true, true, false } },
    { ContainerCommand::Delete, "delete", { false, true, false, false, true } },
    { ContainerCommand::ForceDelete, "delete", { true, true, true, true, true } },
};

} // namespace

std::string_view status_name(ContainerStatus status) { return kNames[static_cast<size_t>(status)]; }

std::optional<ContainerStatus> parse_status(std::string_view name)
{
    for (size_t i = 0; i < kNames.size(); ++i)
        if (kNames[i] == name)
            return static_cast<ContainerStatus>(i);
    return std::nullopt;
}

void require_status(std::string_view id, ContainerStatus status, ContainerCommand command)
{
    for (const Rule& rule : kRules) {
        if (rule.command != command)
            continue;
        if (rule.allowed[static_cast<size_t>(status)])
            return;
        // Engines match the words "container not running" when a signal or exec finds the
        // process gone.
        const bool not_running = status != Running && status != Paused;
        if (not_running && (command == ContainerCommand::Kill || command == ContainerCommand::Exec))
            throw std::runtime_error(fmt::format("cannot {} container {}: container not running "
                                                 "(it is {})",
                rule.verb, id, status_name(status)));
        throw std::runtime_error(
            fmt::format("cannot {} container {}: it is {}", rule.verb, id, status_name(status)));
    }
    throw std::logic_error("a container command without a rule");
}

} // namespace rvisor::oci
