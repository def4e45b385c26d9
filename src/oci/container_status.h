#pragma once
// A container's status (OCI runtime spec, "State") and which command may act in which, in one
// table: an illegal transition is a bug, a refusal is a sentence naming the status.
//
//   Creating --create done--> Created --start--> Running <--pause/resume--> Paused
//   Created, Running, Paused --the monitor exits (process ended, killed, VM gone)--> Stopped
#include <optional>
#include <string>
#include <string_view>

namespace rvisor::oci {

enum class ContainerStatus { Creating, Created, Running, Paused, Stopped };

// "creating", "created", "running", "paused", "stopped": the spec's words.
std::string_view status_name(ContainerStatus status);
std::optional<ContainerStatus> parse_status(std::string_view name);

enum class ContainerCommand {
    Start,
    Kill,
    Exec,
    Pause,
    Resume,
    Update,
    Events,
    Delete,
    ForceDelete
};

// Throws std::runtime_error, in the words engines look for ("container not running"), when
// `command` cannot act on a container in `status`.
void require_status(std::string_view id, ContainerStatus status, ContainerCommand command);

} // namespace rvisor::oci
