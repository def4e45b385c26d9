#pragma once
// What the API server asks of the VM it serves. The server is a thin translation from HTTP
// requests to these calls (Firecracker's api_server shape); the VM side (vmm::Vm) decides what
// each means and whether it is allowed now.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace rvisor::api {

// A request the VM refuses: `status` is the HTTP status to answer with (400 bad value,
// 409 wrong state, 500 the host failed), what() the fault_message.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, const std::string& message)
        : std::runtime_error(message)
        , m_status(status)
    {
    }
    int status() const { return m_status; }

private:
    int m_status;
};

// New rate limits for one disk or network, by its index among the VM's disks or networks: a
// limit left out stays as it is, 0 lifts it.
struct DeviceLimitChange {
    uint64_t index = 0;
    std::optional<uint64_t> ops_per_second; // disks only
    std::optional<uint64_t> bytes_per_second;
};

class VmControl {
public:
    virtual ~VmControl() = default;
    // GET /: at least {"state": "Running" | "Paused", "cpus": N, "mem_mib": M}.
    virtual nlohmann::json describe() = 0;
    // PATCH /vm {"state": "Paused"} and {"state": "Resumed"}. Pausing a paused VM and resuming
    // a running one succeed and change nothing, as in Firecracker.
    virtual void pause() = 0;
    virtual void resume() = 0;
    // PATCH /vm {"disks": […], "nets": […]}: all of them or, when an index names no device
    // (ApiError 400), none. Running or paused.
    virtual void change_rate_limits(
        std::span<const DeviceLimitChange> disks, std::span<const DeviceLimitChange> nets)
        = 0;
    // GET /balloon: {"amount_mib": target, "actual_mib": what the guest gave,
    // "deflate_on_oom": true}; ApiError 400 when the VM has no balloon.
    virtual nlohmann::json describe_balloon() = 0;
    // PATCH /balloon {"amount_mib": N}: asks the guest for N MiB of its RAM (0 gives it all
    // back). ApiError 400 without a balloon or for more than the guest can give.
    virtual void set_balloon(uint64_t amount_mib) = 0;
    // PUT /snapshot/create; only while paused (ApiError 409 otherwise).
    virtual void create_snapshot(
        const std::filesystem::path& state_file, const std::filesystem::path& memory_file)
        = 0;
    // PUT /actions {"action_type": "Shutdown"}: the VM stops and the process exits 0 once the
    // response has been sent.
    virtual void shutdown() = 0;
};

} // namespace rvisor::api
