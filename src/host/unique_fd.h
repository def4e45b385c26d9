#pragma once
// A host file descriptor with one owner, closed when the owner goes: the guest agent's own class
// (header-only and plain POSIX), so that the VMM and the agent have one.
#include "agent/unique_fd.h"

namespace rvisor::host {

using agent::UniqueFd;

} // namespace rvisor::host
