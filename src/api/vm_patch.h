#pragma once
// The bodies of PATCH /vm and PATCH /balloon (docs/api.md). PATCH /vm, which the control
// program's PATCH /vms/{id} forwards:
//   {"state": "Paused" | "Resumed",
//    "disks": [{"index": 0, "iops": 500, "bw": 10485760}],
//    "nets": [{"index": 0, "bw": 1048576}]}
// Every field is optional; limits are whole numbers a second, 0 for no limit.
#include "api/vm_control.h"

#include <optional>
#include <string>
#include <vector>

namespace rvisor::api {

struct VmPatch {
    std::optional<std::string> state;
    std::vector<DeviceLimitChange> disks;
    std::vector<DeviceLimitChange> nets;
};

// Throws ApiError 400 naming the field that is wrong.
VmPatch parse_vm_patch(const std::string& text);

// The body of PATCH /balloon, {"amount_mib": N}: N. Throws ApiError 400 naming what is wrong.
uint64_t parse_balloon_patch(const std::string& text);

} // namespace rvisor::api
