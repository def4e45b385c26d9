#pragma once
// What the runtime records of one container between its commands, and the OCI state document
// `rvisor-oci state` prints from it.
#include "oci/container_status.h"

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace rvisor::oci {

struct ContainerState {
    std::string id;
    std::filesystem::path bundle;
    ContainerStatus status = ContainerStatus::Creating;
    // The monitor: the process in --pid-file, whose lifetime is the container's. With its start
    // time it names one process for good, where a pid alone may be reused.
    pid_t pid = 0;
    uint64_t pid_start_time = 0;
    std::string created; // RFC 3339, UTC
    std::map<std::string, std::string> annotations;

    // The record in state.json, with its format version.
    nlohmann::json to_record() const;
    // Throws std::runtime_error naming what is wrong, or the version when it is newer than this
    // rvisor-oci reads.
    static ContainerState from_record(const nlohmann::json& record);

    // The OCI runtime spec's state: ociVersion, id, status, pid (0 once stopped), bundle,
    // annotations, created.
    nlohmann::json to_oci_state() const;
};

// The runtime spec version rvisor-oci implements.
inline constexpr const char* kOciVersion = "1.0.2";

} // namespace rvisor::oci
