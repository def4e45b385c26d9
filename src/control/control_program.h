#pragma once
// The control program (`rvisor serve`, docs/control.md): many VMs, each in its own rvisor
// process, managed from one place, as CP managed CMS machines and Firecracker's control planes
// manage microVMs. Everything it knows of a VM lives in the state directory, so a restarted
// control program finds its VMs again:
//
//   STATE_DIR/vms/ID/record.json   who the VM is (pid and start time, size, origin)
//   STATE_DIR/vms/ID/config.json   its settings, as `rvisor run --config` takes them
//   STATE_DIR/vms/ID/api.sock      the VM process's own API (docs/api.md)
//   STATE_DIR/vms/ID/console.log   its console output, bounded (and console.log.1)
//   STATE_DIR/vms/ID/console.sock  its console, live, for one attached client
//   STATE_DIR/vms/ID/stderr.log    what the VM process reported
//   STATE_DIR/vms/ID/exit.json     how it ended, written by the VM process as it exits
//
// Every method throws api::ApiError with the HTTP status its API answers with.
#include <nlohmann/json.hpp>

#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace rvisor::control {

class ControlProgram {
public:
    // Uses `state_dir` (made, mode 0700, if missing) and adopts the VMs found in it. `rvisor`
    // is the program each VM runs in (this executable).
    ControlProgram(std::filesystem::path state_dir, std::filesystem::path rvisor);
    // VMs run on without the control program.
    ~ControlProgram();
    ControlProgram(const ControlProgram&) = delete;
    ControlProgram& operator=(const ControlProgram&) = delete;

    // POST /vms: {"id", "config": {…}} boots a VM, {"id", "restore": {"snapshot_path",
    // "mem_file_path"}} restores one; returns {"id", "state", "pid"} once it runs.
    nlohmann::json create(const nlohmann::json& body);
    nlohmann::json list();
    nlohmann::json show(const std::string& id);
    // PATCH /vms/{id}: a body of PATCH /vm (api/vm_patch.h), checked, for the VM's own API.
    void update(const std::string& id, const nlohmann::json& patch);
    // GET and PATCH /vms/{id}/balloon: the VM's own /balloon (docs/api.md).
    nlohmann::json balloon(const std::string& id);
    void set_balloon(const std::string& id, const nlohmann::json& patch);
    void snapshot(
        const std::string& id, const std::string& state_file, const std::string& memory_file);
    std::string console(const std::string& id);
    // Stops the VM if it runs, and removes everything it held.
    void remove(const std::string& id);
    // Prometheus text exposition.
    std::string metrics();

private:
    struct Vm {
        std::string id;
        pid_t pid = 0;
        uint64_t start_time = 0;
        unsigned cpus = 0;
        uint64_t mem_mib = 0;
        std::string origin; // "config" or "restore"
        int64_t created = 0; // Unix time
        bool busy = false; // being created or deleted: nothing else may touch it
    };

    std::filesystem::path vm_dir(const std::string& id) const;
    void adopt_existing();
    Vm& idle_vm(const std::string& id); // under m_mutex: a VM not busy, or throws 404/409
    Vm claim(const std::string& id); // a copy of idle_vm(id)
    // The API socket of a VM whose process runs; ApiError 409 naming its state otherwise.
    std::filesystem::path live_api_socket(const std::string& id);
    // The state, and what the VM's own API said of itself (GET /, docs/api.md) if it answered.
    struct Status {
        std::string state;
        nlohmann::json info;
    };
    bool alive(const Vm& vm) const;
    Status status_of(const Vm& vm) const;
    std::string state_of(const Vm& vm) const;
    void write_record(const Vm& vm) const;
    void wait_until_serving(const Vm& vm);
    void stop_process(const Vm& vm);
    void monitor();

    std::filesystem::path m_state_dir;
    std::filesystem::path m_rvisor;
    std::mutex m_mutex;
    std::map<std::string, Vm> m_vms;
    std::condition_variable m_stop_signal;
    bool m_stopping = false;
    std::thread m_monitor;
};

} // namespace rvisor::control
