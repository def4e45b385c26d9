#include "control/control_program.h"
#include "host/atomic_file.h"

#include "api/request_body.h"
#include "api/unix_http_client.h"
#include "api/vm_control.h"
#include "control/vm_process.h"
#include "host/console_log.h"
#include "vmm/vm_spec_builder.h"
#include "vmm/vsock_option.h"

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <regex>
#include <sys/stat.h>

namespace rvisor::control {

namespace {

using api::ApiError;
using nlohmann::json;

constexpr uint32_t kRecordFormat = 1;
// Bounds that only catch a VM that hangs: a boot reaches its API socket in milliseconds.
constexpr auto kStartTimeout = std::chrono::seconds(60);
constexpr auto kStopTimeout = std::chrono::seconds(10);
constexpr auto kQueryTimeout = std::chrono::seconds(10);

void check_id(const std::string& id)
{
    static const std::regex pattern("[A-Za-z0-9_-]{1,64}");
    if (!std::regex_match(id, pattern))
        throw ApiError(400, "The id \"" + id + "\" must be 1 to 64 of A-Z, a-z, 0-9, _ and -.");
}

void write_json_file(const std::filesystem::path& path, const json& value)
{
    host::write_file_atomically(path, value.dump(2) + "\n");
}

json read_json_file(const std::filesystem::path& path)
{
    std::ifstream in(path);
    if (!in)
        return nullptr;
    return json::parse(in, nullptr, false);
}

// The last line the VM process wrote on stderr, without rvisor's prefix: why it did not start.
std::string last_error_line(const std::filesystem::path& path)
{
    std::ifstream in(path);
    std::string last;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty())
            last = line;
    }
    constexpr std::string_view prefix = "rvisor: error: ";
    if (last.starts_with(prefix))
        last.erase(0, prefix.size());
    return last.empty() ? "the VM process exited before it served its API" : last;
}

// A VM's settings from a create request: validated here as `rvisor run` would, so that a bad
// setting is a 400 at once rather than a VM process that dies.
json checked_config(const json& config)
{
    if (!config.is_object())
        throw ApiError(400, "The field \"config\" must be an object.");
    vmm::VmSpecBuilder builder;
    try {
        builder.apply(
            config, {}, "config: ", [](const std::string& key) { return "key '" + key + "'"; });
        const machine::VmSpec spec = builder.spec();
        auto relative = [](const std::filesystem::path& path) { return path.is_relative(); };
        std::vector<std::filesystem::path> paths { spec.kernel };
        paths.insert(paths.end(), spec.initrds.begin(), spec.initrds.end());
        if (spec.bios)
            paths.push_back(*spec.bios);
        for (const auto& disk : spec.disks)
            paths.push_back(disk.path);
        for (const auto& path : paths) {
            if (relative(path))
                throw ApiError(400, "config: the path '" + path.string() + "' must be absolute.");
        }
        json settings = vmm::spec_to_json(spec);
        // Density: a VM the control program runs gives the memory its guest frees back.
        if (!config.contains("balloon"))
            settings["balloon"] = true;
        if (builder.options().verbose)
            settings["verbose"] = true;
        return settings;
    } catch (const ApiError&) {
        throw;
    } catch (const std::exception& error) {
        throw ApiError(400, error.what());
    }
}

std::string prometheus_label(const std::string& text)
{
    std::string out;
    for (char c : text) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c;
    }
    return out;
}

} // namespace

ControlProgram::ControlProgram(std::filesystem::path state_dir, std::filesystem::path rvisor)
    : m_state_dir(std::move(state_dir))
    , m_rvisor(std::move(rvisor))
{
    std::error_code error;
    std::filesystem::create_directories(m_state_dir / "vms", error);
    if (error)
        throw std::runtime_error(fmt::format(
            "cannot make the state directory '{}': {}", m_state_dir.string(), error.message()));
    ::chmod(m_state_dir.c_str(), 0700);
    adopt_existing();
    m_monitor = std::thread([this] { monitor(); });
}

ControlProgram::~ControlProgram()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_stop_signal.notify_all();
    m_monitor.join();
}

std::filesystem::path ControlProgram::vm_dir(const std::string& id) const
{
    return m_state_dir / "vms" / id;
}

void ControlProgram::monitor()
{
    // The VMs this process started are its children: collect them as they exit. Liveness is
    // judged from /proc, so adopted VMs (whose parent is someone else) need nothing here.
    std::unique_lock lock(m_mutex);
    while (!m_stopping) {
        lock.unlock();
        reap_children();
        lock.lock();
        m_stop_signal.wait_for(lock, std::chrono::milliseconds(100), [&] { return m_stopping; });
    }
}

void ControlProgram::adopt_existing()
{
    for (const auto& entry : std::filesystem::directory_iterator(m_state_dir / "vms")) {
        const json record = read_json_file(entry.path() / "record.json");
        if (!record.is_object() || record.value("format", 0u) != kRecordFormat) {
            // A create that never finished, or a record of another format: nothing to adopt.
            if (!record.is_object())
                std::filesystem::remove_all(entry.path());
            else
                fmt::print(stderr, "rvisor: skipping '{}': record format {} is not {}\n",
                    entry.path().string(), record.value("format", 0u), kRecordFormat);
            continue;
        }
        Vm vm;
        vm.id = record.value("id", "");
        vm.pid = record.value("pid", 0);
        vm.start_time = record.value("start_time", uint64_t { 0 });
        vm.cpus = record.value("cpus", 0u);
        vm.mem_mib = record.value("mem_mib", uint64_t { 0 });
        vm.origin = record.value("origin", "");
        vm.created = record.value("created", int64_t { 0 });
        if (vm.id == entry.path().filename().string())
            m_vms.emplace(vm.id, vm);
    }
}

void ControlProgram::write_record(const Vm& vm) const
{
    write_json_file(vm_dir(vm.id) / "record.json",
        { { "format", kRecordFormat }, { "id", vm.id }, { "pid", vm.pid },
            { "start_time", vm.start_time }, { "cpus", vm.cpus }, { "mem_mib", vm.mem_mib },
            { "origin", vm.origin }, { "created", vm.created } });
}

bool ControlProgram::alive(const Vm& vm) const
{
    const auto start_time = process_start_time(vm.pid);
    return start_time && *start_time == vm.start_time;
}

ControlProgram::Status ControlProgram::status_of(const Vm& vm) const
{
    if (!alive(vm)) {
        // The VM process writes exit.json on every way out but a kill or a crash.
        const json exit = read_json_file(vm_dir(vm.id) / "exit.json");
        return { exit.is_object() ? "Stopped" : "Crashed", json::object() };
    }
    try {
        const auto reply
            = api::unix_http_request(vm_dir(vm.id) / "api.sock", "GET", "/", {}, kQueryTimeout);
        json body = json::parse(reply.body, nullptr, false);
        if (reply.status == 200 && body.is_object() && body.contains("state")
            && body["state"].is_string())
            return { body["state"].get<std::string>(), std::move(body) };
    } catch (const std::exception&) {
    }
    return { "Unresponsive", json::object() };
}

std::string ControlProgram::state_of(const Vm& vm) const { return status_of(vm).state; }

ControlProgram::Vm& ControlProgram::idle_vm(const std::string& id)
{
    const auto it = m_vms.find(id);
    if (it == m_vms.end())
        throw ApiError(404, "There is no VM \"" + id + "\".");
    if (it->second.busy)
        throw ApiError(409, "The VM \"" + id + "\" is being created or deleted.");
    return it->second;
}

ControlProgram::Vm ControlProgram::claim(const std::string& id)
{
    std::lock_guard lock(m_mutex);
    return idle_vm(id);
}

void ControlProgram::wait_until_serving(const Vm& vm)
{
    const auto socket = vm_dir(vm.id) / "api.sock";
    const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!alive(vm))
            throw ApiError(400, last_error_line(vm_dir(vm.id) / "stderr.log"));
        if (std::filesystem::exists(socket)) {
            try {
                if (api::unix_http_request(socket, "GET", "/", {}, kQueryTimeout).status == 200)
                    return;
            } catch (const std::exception&) {
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    throw ApiError(500, "The VM did not serve its API within a minute.");
}

json ControlProgram::create(const json& body)
{
    static constexpr std::string_view fields[] = { "id", "config", "restore" };
    api::check_known_fields(body, fields);
    if (!body.contains("id") || !body["id"].is_string())
        throw ApiError(400, "The field \"id\" is required and must be a string.");
    const std::string id = body["id"].get<std::string>();
    check_id(id);
    if (body.contains("config") == body.contains("restore"))
        throw ApiError(400, "Give exactly one of \"config\" and \"restore\".");

    std::vector<std::string> args;
    const auto dir = vm_dir(id);
    Vm vm;
    vm.id = id;
    json config;
    if (body.contains("config")) {
        config = checked_config(body["config"]);
        vm.origin = "config";
        vm.cpus = config.value("cpus", 1u);
        vm.mem_mib = vmm::parse_memory_size(config.value("mem", "512M")) >> 20;
        args = { "run", "--config", (dir / "config.json").string() };
    } else {
        const json& restore = body["restore"];
        if (!restore.is_object())
            throw ApiError(400, "The field \"restore\" must be an object.");
        static const api::Field restore_fields[] = {
            { "snapshot_path", true, {} },
            { "mem_file_path", true, {} },
            { "vsock", false, {} },
        };
        const auto fields = api::parse_string_fields(restore.dump(), restore_fields);
        for (const char* name : { "snapshot_path", "mem_file_path" }) {
            if (std::filesystem::path(fields.at(name)).is_relative())
                throw ApiError(
                    400, "The field \"" + std::string(name) + "\" must be an absolute path.");
        }
        vm.origin = "restore";
        args = { "restore", "--snapshot", fields.at("snapshot_path"), "--mem-file",
            fields.at("mem_file_path") };
        // A clone of a VM with a vsock device needs a cid and socket of its own.
        if (const auto vsock = fields.find("vsock"); vsock != fields.end()) {
            machine::VsockConfig config;
            try {
                config = vmm::parse_vsock_option(vsock->second);
            } catch (const std::runtime_error& error) {
                throw ApiError(400, error.what());
            }
            if (config.uds.is_relative())
                throw ApiError(400, "The field \"vsock\" must name an absolute uds path.");
            args.insert(args.end(), { "--vsock", vsock->second });
        }
    }
    args.insert(args.end(),
        { "--api-sock", (dir / "api.sock").string(), "--console-log",
            (dir / "console.log").string(), "--console-sock", (dir / "console.sock").string(),
            "--exit-file", (dir / "exit.json").string() });

    {
        std::lock_guard lock(m_mutex);
        if (m_vms.contains(id))
            throw ApiError(409, "A VM \"" + id + "\" exists already.");
        m_vms.emplace(id, vm).first->second.busy = true;
    }
    try {
        std::filesystem::remove_all(dir); // what a crashed control program left half-made
        std::filesystem::create_directory(dir);
        ::chmod(dir.c_str(), 0700);
        if (!config.is_null())
            write_json_file(dir / "config.json", config);
        vm.pid = spawn_detached(m_rvisor, args, dir / "stderr.log");
        vm.start_time = process_start_time(vm.pid).value_or(0);
        vm.created = std::time(nullptr);
        try {
            wait_until_serving(vm);
        } catch (...) {
            stop_process(vm);
            throw;
        }
        if (vm.origin == "restore") {
            const json info = json::parse(
                api::unix_http_request(dir / "api.sock", "GET", "/", {}, kQueryTimeout).body);
            vm.cpus = info.value("cpus", 0u);
            vm.mem_mib = info.value("mem_mib", uint64_t { 0 });
        }
        write_record(vm);
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
        std::lock_guard lock(m_mutex);
        m_vms.erase(id);
        throw;
    }
    {
        std::lock_guard lock(m_mutex);
        m_vms[id] = vm;
    }
    return { { "id", id }, { "state", state_of(vm) }, { "pid", vm.pid } };
}

json ControlProgram::list()
{
    std::vector<Vm> vms;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [id, vm] : m_vms) {
            if (!vm.busy)
                vms.push_back(vm);
        }
    }
    json out = json::array();
    for (const auto& vm : vms)
        out.push_back({ { "id", vm.id }, { "state", state_of(vm) }, { "pid", vm.pid } });
    return out;
}

json ControlProgram::show(const std::string& id)
{
    const Vm vm = claim(id);
    const Status status = status_of(vm);
    json out = { { "id", vm.id }, { "state", status.state }, { "pid", vm.pid }, { "cpus", vm.cpus },
        { "mem_mib", vm.mem_mib }, { "origin", vm.origin }, { "created", vm.created },
        { "rss_kib", 0 }, { "cpu_seconds", 0.0 }, { "disk_read_bytes", 0 },
        { "disk_write_bytes", 0 }, { "console_socket", (vm_dir(id) / "console.sock").string() } };
    if (const auto usage = alive(vm) ? process_usage(vm.pid) : std::nullopt) {
        out["rss_kib"] = usage->rss_kib;
        out["cpu_seconds"] = usage->cpu_seconds;
        out["disk_read_bytes"] = usage->read_bytes;
        out["disk_write_bytes"] = usage->write_bytes;
    }
    out["net_rx_bytes"] = status.info.value("net_rx_bytes", uint64_t { 0 });
    out["net_tx_bytes"] = status.info.value("net_tx_bytes", uint64_t { 0 });
    const json exit = read_json_file(vm_dir(id) / "exit.json");
    if (exit.is_object() && exit.contains("exit_status"))
        out["exit_status"] = exit["exit_status"];
    return out;
}

namespace {

// A request forwarded to a VM's own API: its errors (409 wrong state, 400 a bad path) are
// the caller's. Returns the VM's reply body.
std::string forward(const std::filesystem::path& socket, const std::string& method,
    const std::string& path, const std::optional<json>& body)
{
    api::HttpReply reply;
    try {
        reply = api::unix_http_request(socket, method, path, body);
    } catch (const std::exception& error) {
        throw ApiError(500, error.what());
    }
    if (reply.status >= 400)
        throw ApiError(reply.status, reply.fault_message());
    return reply.body;
}

} // namespace

std::filesystem::path ControlProgram::live_api_socket(const std::string& id)
{
    const Vm vm = claim(id);
    if (!alive(vm))
        throw ApiError(409, "The VM \"" + id + "\" is " + state_of(vm) + ".");
    return vm_dir(id) / "api.sock";
}

void ControlProgram::update(const std::string& id, const json& patch)
{
    const std::filesystem::path socket = live_api_socket(id);
    forward(socket, "PATCH", "/vm", patch);
}

json ControlProgram::balloon(const std::string& id)
{
    const std::filesystem::path socket = live_api_socket(id);
    return json::parse(forward(socket, "GET", "/balloon", std::nullopt));
}

void ControlProgram::set_balloon(const std::string& id, const json& patch)
{
    const std::filesystem::path socket = live_api_socket(id);
    forward(socket, "PATCH", "/balloon", patch);
}

void ControlProgram::snapshot(
    const std::string& id, const std::string& state_file, const std::string& memory_file)
{
    const std::filesystem::path socket = live_api_socket(id);
    for (const auto& path : { state_file, memory_file }) {
        if (std::filesystem::path(path).is_relative())
            throw ApiError(400, "The snapshot path '" + path + "' must be absolute.");
    }
    forward(socket, "PUT", "/snapshot/create",
        json { { "snapshot_path", state_file }, { "mem_file_path", memory_file } });
}

std::string ControlProgram::console(const std::string& id)
{
    claim(id);
    return host::ConsoleLog::read(vm_dir(id) / "console.log");
}

void ControlProgram::stop_process(const Vm& vm)
{
    if (!alive(vm))
        return;
    // A clean shutdown first, so the VM's disks are flushed and closed; a kill if it hangs.
    try {
        api::unix_http_request(vm_dir(vm.id) / "api.sock", "PUT", "/actions",
            json { { "action_type", "Shutdown" } }, std::chrono::seconds(2));
    } catch (const std::exception&) {
    }
    const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
    while (alive(vm) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (alive(vm)) {
        ::kill(vm.pid, SIGKILL);
        while (alive(vm))
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void ControlProgram::remove(const std::string& id)
{
    Vm vm;
    {
        std::lock_guard lock(m_mutex);
        Vm& entry = idle_vm(id);
        entry.busy = true;
        vm = entry;
    }
    stop_process(vm);
    std::error_code ignored;
    std::filesystem::remove_all(vm_dir(id), ignored);
    std::lock_guard lock(m_mutex);
    m_vms.erase(id);
}

std::string ControlProgram::metrics()
{
    std::vector<Vm> vms;
    {
        std::lock_guard lock(m_mutex);
        for (const auto& [id, vm] : m_vms) {
            if (!vm.busy)
                vms.push_back(vm);
        }
    }
    struct Sample {
        std::string id;
        Status status;
        std::optional<ProcessUsage> usage;
        uint64_t memory_bytes;
    };
    std::vector<Sample> samples;
    std::map<std::string, int> by_state
        = { { "Running", 0 }, { "Paused", 0 }, { "Stopped", 0 }, { "Crashed", 0 } };
    for (const auto& vm : vms) {
        Sample sample { vm.id, status_of(vm), std::nullopt, vm.mem_mib << 20 };
        if (alive(vm))
            sample.usage = process_usage(vm.pid);
        ++by_state[sample.status.state];
        samples.push_back(std::move(sample));
    }

    std::string out;
    auto family = [&](const char* name, const char* type, const char* help) {
        out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
    };
    family("rvisor_vms", "gauge", "VMs by state.");
    for (const auto& [state, count] : by_state)
        out += fmt::format("rvisor_vms{{state=\"{}\"}} {}\n", state, count);
    family("rvisor_vm_state", "gauge", "1 for the state each VM is in.");
    for (const auto& s : samples)
        out += fmt::format("rvisor_vm_state{{id=\"{}\",state=\"{}\"}} 1\n", prometheus_label(s.id),
            s.status.state);
    family("rvisor_vm_memory_bytes", "gauge", "Guest RAM.");
    for (const auto& s : samples)
        out += fmt::format(
            "rvisor_vm_memory_bytes{{id=\"{}\"}} {}\n", prometheus_label(s.id), s.memory_bytes);
    struct UsageFamily {
        const char* name;
        const char* type;
        const char* help;
        double (*value)(const ProcessUsage&);
    };
    static constexpr UsageFamily usage_families[] = {
        { "rvisor_vm_cpu_seconds_total", "counter",
            "Host CPU time of the VM's process, user and system.",
            [](const ProcessUsage& u) { return u.cpu_seconds; } },
        { "rvisor_vm_rss_bytes", "gauge", "Resident memory of the VM's process.",
            [](const ProcessUsage& u) { return static_cast<double>(u.rss_kib * 1024); } },
        { "rvisor_vm_disk_read_bytes_total", "counter", "Bytes the VM's process read from storage.",
            [](const ProcessUsage& u) { return static_cast<double>(u.read_bytes); } },
        { "rvisor_vm_disk_write_bytes_total", "counter", "Bytes the VM's process wrote to storage.",
            [](const ProcessUsage& u) { return static_cast<double>(u.write_bytes); } },
    };
    for (const auto& usage_family : usage_families) {
        family(usage_family.name, usage_family.type, usage_family.help);
        for (const auto& s : samples) {
            if (s.usage)
                out += fmt::format("{}{{id=\"{}\"}} {}\n", usage_family.name,
                    prometheus_label(s.id), usage_family.value(*s.usage));
        }
    }
    struct TrafficFamily {
        const char* name;
        const char* key; // in the VM's GET /
        const char* help;
    };
    static constexpr TrafficFamily traffic_families[] = {
        { "rvisor_vm_net_rx_bytes_total", "net_rx_bytes", "Frame bytes the guest received." },
        { "rvisor_vm_net_tx_bytes_total", "net_tx_bytes", "Frame bytes the guest sent." },
    };
    for (const auto& traffic : traffic_families) {
        family(traffic.name, "counter", traffic.help);
        for (const auto& s : samples) {
            if (s.status.info.contains(traffic.key))
                out += fmt::format("{}{{id=\"{}\"}} {}\n", traffic.name, prometheus_label(s.id),
                    s.status.info.value(traffic.key, uint64_t { 0 }));
        }
    }
    return out;
}

} // namespace rvisor::control
