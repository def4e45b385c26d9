#pragma once
// The --vsock flag: cid=N,uds=PATH. N is the guest's context id (3 to 2^32 - 2: 0 to 2 are the
// hypervisor, the local loopback and the host, and -1 means any); PATH is the Unix socket host
// programs connect to (docs/vsock.md).
#include "machine/vm_spec.h"

#include <string>

namespace rvisor::vmm {

// Throws std::runtime_error with one sentence naming the part of `text` that is wrong.
machine::VsockConfig parse_vsock_option(const std::string& text);

// The option text parse_vsock_option() reads back as `config`.
std::string format_vsock_option(const machine::VsockConfig& config);

} // namespace rvisor::vmm
