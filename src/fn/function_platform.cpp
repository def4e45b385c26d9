#include "fn/function_platform.h"

#include "api/vm_control.h"
#include "fn/deployer.h"
#include "fn/image_root.h"
#include "fn/instance_pool.h"
#include "fn/oci_image_layout.h"
#include "fn/request_forwarding.h"
#include "fn/restored_instance.h"
#include "fn/unpacked_images.h"
#include "host/atomic_file.h"
#include "host/console_log.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <vector>

namespace rvisor::fn {

namespace {

using namespace std::chrono_literals;
using api::ApiError;
using nlohmann::json;

constexpr uint32_t kFunctionFormat = 1;
constexpr auto kMaintenanceInterval = 250ms;
// Instance logs kept per function, the newest: an instance's output outlives it for a while.
constexpr size_t kKeptInstanceLogs = 32;

std::string read_file(const std::filesystem::path& path)
{
    std::ifstream file(path);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

// The number of an instance log, K.log.
uint64_t log_number(const std::filesystem::path& path)
{
    try {
        return std::stoull(path.stem().string());
    } catch (const std::exception&) {
        return 0;
    }
}

std::vector<std::filesystem::path> instance_logs(const std::filesystem::path& directory)
{
    std::vector<std::filesystem::path> logs;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error))
        if (entry.path().extension() == ".log")
            logs.push_back(entry.path());
    std::sort(logs.begin(), logs.end(),
        [](const auto& a, const auto& b) { return log_number(a) < log_number(b); });
    return logs;
}

// Lets a revision's root go: an image's mount, or its unpacked layout.
void release_root(
    const FunctionSpec& spec, const std::filesystem::path& rootfs, UnpackedImages& unpacked_images)
{
    if (spec.image.empty())
        return;
    if (is_oci_layout_reference(spec.image))
        unpacked_images.release(rootfs);
    else
        unmount_image(spec.image);
}

} // namespace

// One deployed revision: its snapshot and the instances cloned from it. Requests hold it while
// they run, so a revision replaced or deleted goes (with its instances and, once retired, its
// files) when the last of its requests is answered.
struct FunctionPlatform::Version {
    FunctionSpec spec;
    unsigned number = 0;
    std::filesystem::path rootfs;
    std::filesystem::path directory;
    Revision files;
    std::unique_ptr<InstancePool> pool;
    // Shared: a retired revision may outlive the platform in a request still being answered.
    std::shared_ptr<UnpackedImages> unpacked_images;
    std::atomic<bool> retired { false };

    ~Version()
    {
        pool.reset();
        if (retired) {
            std::error_code ignored;
            std::filesystem::remove_all(directory, ignored);
            release_root(spec, rootfs, *unpacked_images);
        }
    }
};

struct FunctionPlatform::Function {
    std::string name;
    std::mutex mutex;
    std::shared_ptr<Version> current; // none while the first revision deploys
    std::string state = "Deploying"; // any other than Ready refuses a change
    std::atomic<uint64_t> invocations { 0 };
    std::atomic<uint64_t> cold_starts { 0 };
    std::atomic<uint64_t> errors { 0 };
    LatencyHistogram cold;
    LatencyHistogram warm;

    std::shared_ptr<Version> serving()
    {
        std::lock_guard lock(mutex);
        return current;
    }
};

FunctionPlatform::FunctionPlatform(std::filesystem::path state_dir, std::filesystem::path rvisor,
    oci::RuntimeImages images, std::string images_missing)
    : m_state_dir(std::move(state_dir))
    , m_rvisor(std::move(rvisor))
    , m_images(std::move(images))
    , m_images_missing(std::move(images_missing))
    , m_unpacked_images(std::make_shared<UnpackedImages>(m_state_dir / "images"))
    , m_next_instance(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
                                                .count()))
{
    // Instances die with the control program that started them; their directories stay.
    std::error_code ignored;
    std::filesystem::remove_all(m_state_dir / "instances", ignored);
    std::filesystem::create_directories(m_state_dir / "functions");
    std::filesystem::create_directories(m_state_dir / "instances");
    load_existing();
    m_maintainer = std::thread([this] { maintain(); });
}

FunctionPlatform::~FunctionPlatform()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_stop_signal.notify_all();
    m_maintainer.join();
}

void FunctionPlatform::set_gateway(const std::string& base_url) { m_gateway = base_url; }

std::filesystem::path FunctionPlatform::function_dir(const std::string& name) const
{
    return m_state_dir / "functions" / name;
}

std::shared_ptr<FunctionPlatform::Function> FunctionPlatform::find(const std::string& name)
{
    std::lock_guard lock(m_mutex);
    const auto found = m_functions.find(name);
    if (found == m_functions.end())
        throw ApiError(404, fmt::format("There is no function \"{}\".", name));
    return found->second;
}

std::vector<std::shared_ptr<FunctionPlatform::Function>> FunctionPlatform::functions_now()
{
    std::lock_guard lock(m_mutex);
    std::vector<std::shared_ptr<Function>> functions;
    for (const auto& [name, function] : m_functions)
        functions.push_back(function);
    return functions;
}

std::filesystem::path FunctionPlatform::find_rootfs(const FunctionSpec& spec) const
{
    if (spec.image.empty())
        return spec.rootfs;
    return is_oci_layout_reference(spec.image) ? m_unpacked_images->acquire(spec.image)
                                               : mount_image(spec.image);
}

std::shared_ptr<FunctionPlatform::Version> FunctionPlatform::make_version(
    const FunctionSpec& spec, unsigned number, const std::filesystem::path& rootfs, bool deployed)
{
    auto version = std::make_shared<Version>();
    version->spec = spec;
    version->number = number;
    version->rootfs = rootfs;
    version->unpacked_images = m_unpacked_images;
    version->directory = function_dir(spec.name) / fmt::format("r{}", number);
    if (!deployed) {
        if (!m_images_missing.empty())
            throw ApiError(503, fmt::format("Functions cannot be deployed: {}", m_images_missing));
        std::error_code ignored;
        std::filesystem::remove_all(version->directory, ignored);
        version->files = deploy_revision({ m_rvisor, m_images, spec, rootfs, version->directory });
    } else {
        version->files = { version->directory / "vm.state", version->directory / "vm.mem",
            { rootfs, oci::kRootTag, true }, {} };
    }
    const std::filesystem::path logs = function_dir(spec.name) / "logs";
    std::filesystem::create_directories(logs);
    const InstanceSetup base { m_rvisor, version->files.state_file, version->files.memory_file,
        version->files.root_share, spec.port, {}, {} };
    version->pool = std::make_unique<InstancePool>(
        PoolLimits { spec.concurrency, spec.min_instances, spec.max_instances, spec.max_queue,
            std::chrono::seconds(spec.idle_timeout_s) },
        [this, base, logs]() -> std::unique_ptr<FunctionInstance> {
            const uint64_t number = m_next_instance++;
            InstanceSetup setup = base;
            setup.directory = m_state_dir / "instances" / std::to_string(number);
            setup.console_log = logs / fmt::format("{}.log", number);
            return std::make_unique<RestoredInstance>(setup);
        });
    return version;
}

std::shared_ptr<FunctionPlatform::Version> FunctionPlatform::make_revision(
    const FunctionSpec& spec, unsigned number)
{
    const std::filesystem::path rootfs = find_rootfs(spec);
    try {
        return make_version(spec, number, rootfs, false);
    } catch (...) {
        release_root(spec, rootfs, *m_unpacked_images);
        throw;
    }
}

void FunctionPlatform::save(const Function& function, const Version& version) const
{
    const json record = { { "format", kFunctionFormat }, { "revision", version.number },
        { "rootfs", version.rootfs.string() }, { "spec", function_spec_json(version.spec) } };
    try {
        host::write_file_atomically(
            function_dir(function.name) / "function.json", record.dump(2) + "\n");
    } catch (const std::runtime_error& error) {
        throw ApiError(500, error.what());
    }
}

void FunctionPlatform::load_existing()
{
    for (const auto& entry : std::filesystem::directory_iterator(m_state_dir / "functions")) {
        const std::string name = entry.path().filename().string();
        try {
            const json record = json::parse(read_file(entry.path() / "function.json"));
            if (record.at("format") != kFunctionFormat)
                throw std::runtime_error(
                    fmt::format("its function.json has format {}, this rvisor reads {}",
                        record.at("format").dump(), kFunctionFormat));
            const FunctionSpec spec = parse_function_spec(record.at("spec"));
            const unsigned number = record.at("revision").get<unsigned>();
            if (!std::filesystem::exists(entry.path() / fmt::format("r{}", number) / "vm.state"))
                throw std::runtime_error(fmt::format("its revision {} has no snapshot", number));
            auto function = std::make_shared<Function>();
            function->name = name;
            // An image's mount may not have outlived the last control program (a reboot); an
            // unpacked layout stays in the state directory.
            const std::filesystem::path recorded = record.at("rootfs").get<std::string>();
            const bool unpacked = is_oci_layout_reference(spec.image);
            std::filesystem::path rootfs = recorded;
            if (unpacked)
                m_unpacked_images->adopt(recorded);
            else if (!spec.image.empty())
                rootfs = mount_image(spec.image);
            try {
                function->current = make_version(spec, number, rootfs, true);
            } catch (...) {
                if (unpacked)
                    m_unpacked_images->release(recorded);
                throw;
            }
            function->state = "Ready";
            // Revisions left by a deploy or an update the last control program did not finish.
            for (const auto& other : std::filesystem::directory_iterator(entry.path()))
                if (other.is_directory() && other.path().filename().string().starts_with('r')
                    && other.path() != function->current->directory)
                    std::filesystem::remove_all(other.path());
            m_functions[name] = function;
        } catch (const std::exception& error) {
            std::cerr << fmt::format(
                "rvisor serve: the function {} is left out: {}\n", name, error.what());
        }
    }
    m_unpacked_images->remove_unheld();
}

json FunctionPlatform::deploy(const json& body)
{
    const FunctionSpec spec = parse_function_spec(body);
    auto function = std::make_shared<Function>();
    function->name = spec.name;
    {
        std::lock_guard lock(m_mutex);
        if (m_functions.contains(spec.name))
            throw ApiError(409,
                fmt::format("A function named \"{}\" exists; PUT /functions/{} deploys a new "
                            "revision of it.",
                    spec.name, spec.name));
        m_functions[spec.name] = function;
    }
    std::shared_ptr<Version> version;
    try {
        version = make_revision(spec, 1);
        save(*function, *version);
    } catch (...) {
        if (version)
            version->retired = true;
        {
            std::lock_guard lock(m_mutex);
            m_functions.erase(spec.name);
        }
        std::error_code ignored;
        std::filesystem::remove_all(function_dir(spec.name), ignored);
        throw;
    }
    {
        std::lock_guard lock(function->mutex);
        function->current = version;
        function->state = "Ready";
    }
    return describe(*function);
}

json FunctionPlatform::update(const std::string& name, const json& body)
{
    const FunctionSpec spec = parse_function_spec(body, name);
    const std::shared_ptr<Function> function = find(name);
    unsigned number = 0;
    {
        std::lock_guard lock(function->mutex);
        if (function->state != "Ready")
            throw ApiError(409, fmt::format("The function \"{}\" is {}.", name, function->state));
        function->state = "Updating";
        number = function->current->number + 1;
    }
    std::shared_ptr<Version> version, old;
    try {
        version = make_revision(spec, number);
        save(*function, *version);
    } catch (...) {
        if (version)
            version->retired = true;
        std::lock_guard lock(function->mutex);
        function->state = "Ready";
        throw;
    }
    {
        std::lock_guard lock(function->mutex);
        old = std::exchange(function->current, version);
        function->state = "Ready";
    }
    // New requests go to the new revision; those the old one holds finish there.
    old->retired = true;
    old->pool->close(std::chrono::seconds(old->spec.timeout_s));
    return describe(*function);
}

void FunctionPlatform::remove(const std::string& name)
{
    const std::shared_ptr<Function> function = find(name);
    std::shared_ptr<Version> version;
    {
        std::lock_guard lock(function->mutex);
        if (function->state != "Ready")
            throw ApiError(409, fmt::format("The function \"{}\" is {}.", name, function->state));
        function->state = "Deleting";
        version = std::exchange(function->current, nullptr);
    }
    {
        std::lock_guard lock(m_mutex);
        m_functions.erase(name);
    }
    version->retired = true;
    version->pool->close(std::chrono::seconds(version->spec.timeout_s));
    version.reset();
    std::error_code ignored;
    std::filesystem::remove_all(function_dir(name), ignored);
}

json FunctionPlatform::describe(Function& function)
{
    std::shared_ptr<Version> version;
    std::string state;
    {
        std::lock_guard lock(function.mutex);
        version = function.current;
        state = function.state;
    }
    json body = { { "name", function.name }, { "state", state }, { "instances", 0 },
        { "invocations", function.invocations.load() },
        { "cold_starts", function.cold_starts.load() }, { "errors", function.errors.load() } };
    if (version) {
        const PoolStats stats = version->pool->stats();
        body["instances"] = stats.instances;
        body["in_flight"] = stats.in_flight;
        body["queued"] = stats.queued;
        body["revision"] = version->number;
        if (version->files.times.snapshot > 0) {
            const DeployTimes& times = version->files.times;
            body["deploy_ms"] = { { "agent", times.agent }, { "ready", times.ready },
                { "warm", times.warm }, { "snapshot", times.snapshot } };
        }
        body["spec"] = function_spec_json(version->spec);
    }
    if (!m_gateway.empty())
        body["url"] = fmt::format("{}/fn/{}/", m_gateway, function.name);
    return body;
}

json FunctionPlatform::list()
{
    const std::vector<std::shared_ptr<Function>> functions = functions_now();
    json entries = json::array();
    for (const auto& function : functions) {
        const json full = describe(*function);
        entries.push_back({ { "name", full.at("name") }, { "state", full.at("state") },
            { "instances", full.at("instances") } });
    }
    return entries;
}

json FunctionPlatform::show(const std::string& name) { return describe(*find(name)); }

std::string FunctionPlatform::logs(const std::string& name)
{
    const std::shared_ptr<Function> function = find(name);
    std::string text;
    if (const auto version = function->serving())
        text = host::ConsoleLog::read(version->directory / "console.log");
    for (const auto& log : instance_logs(function_dir(name) / "logs"))
        text += fmt::format(
            "--- instance {} ---\n{}", log.stem().string(), host::ConsoleLog::read(log));
    return text;
}

std::string FunctionPlatform::metrics()
{
    const std::vector<std::shared_ptr<Function>> functions = functions_now();
    struct Family {
        const char* name;
        const char* type;
        const char* help;
        std::string series;
    };
    Family families[] = {
        { "rvisor_function_invocations_total", "counter", "Requests that reached an instance.",
            {} },
        { "rvisor_function_cold_starts_total", "counter", "Requests that started their instance.",
            {} },
        { "rvisor_function_errors_total", "counter", "Requests answered with a gateway error.",
            {} },
        { "rvisor_function_instances", "gauge", "Instances running.", {} },
        { "rvisor_function_in_flight", "gauge", "Requests being served.", {} },
        { "rvisor_function_queue_depth", "gauge", "Requests waiting for an instance.", {} },
        { "rvisor_function_request_seconds", "histogram",
            "Request in to response out, by whether the request started its instance.", {} },
    };
    for (const auto& function : functions) {
        const std::string label = fmt::format("name=\"{}\"", function->name);
        PoolStats stats;
        if (const auto version = function->serving())
            stats = version->pool->stats();
        const uint64_t values[] = { function->invocations.load(), function->cold_starts.load(),
            function->errors.load(), stats.instances, stats.in_flight, stats.queued };
        for (size_t i = 0; i < std::size(values); ++i)
            families[i].series += fmt::format("{}{{{}}} {}\n", families[i].name, label, values[i]);
        families[6].series
            += function->cold.exposition(families[6].name, label + ",start=\"cold\"");
        families[6].series
            += function->warm.exposition(families[6].name, label + ",start=\"warm\"");
    }
    std::string text;
    for (const Family& family : families)
        text += fmt::format("# HELP {} {}\n# TYPE {} {}\n{}", family.name, family.help, family.name,
            family.type, family.series);
    return text;
}

std::shared_ptr<InstancePool::Lease> FunctionPlatform::lease_instance(const std::string& name,
    Function& function, std::chrono::steady_clock::time_point start,
    std::shared_ptr<Version>& version)
{
    for (;;) {
        version = function.serving();
        if (!version)
            throw ApiError(503, fmt::format("The function \"{}\" is being deployed.", name));
        const auto deadline = start + std::chrono::seconds(version->spec.timeout_s);
        try {
            return std::make_shared<InstancePool::Lease>(version->pool->acquire(deadline));
        } catch (const ApiError& error) {
            // A revision being replaced: the request goes to the new one.
            if (error.status() != 503 || function.serving() == version)
                throw;
        }
    }
}

void FunctionPlatform::invoke(const std::string& name, const std::string& target,
    const httplib::Request& request, httplib::Response& response)
{
    const auto start = std::chrono::steady_clock::now();
    const std::shared_ptr<Function> function = find(name);
    std::shared_ptr<Version> version;
    std::shared_ptr<InstancePool::Lease> lease;
    host::UniqueFd stream;
    // A warm instance that does not take the request (it was killed, and its process not yet
    // seen to die) is retired, and the request tries once more, on another or a new instance.
    for (bool retried = false; !stream;) {
        try {
            lease = lease_instance(name, *function, start, version);
        } catch (const ApiError&) {
            ++function->errors;
            throw;
        }
        if (lease->cold())
            ++function->cold_starts;
        try {
            stream = lease->instance().open_stream(std::chrono::seconds(version->spec.timeout_s));
        } catch (const std::exception& error) {
            const bool cold = lease->cold();
            lease->retire();
            if (cold || retried) {
                ++function->invocations;
                ++function->errors;
                throw ApiError(502,
                    fmt::format(
                        "The function's instance did not take the request: {}", error.what()));
            }
            retried = true;
        }
    }
    ++function->invocations;
    const auto timeout = std::chrono::seconds(version->spec.timeout_s);
    // Answered, or failed, once the reply has been relayed: then the instance is free again.
    auto done = [function, version, lease, start](bool complete) {
        lease->release(!complete);
        if (!complete)
            ++function->errors;
        (lease->cold() ? function->cold : function->warm)
            .record(std::chrono::steady_clock::now() - start);
    };
    forward_request(std::move(stream), request, { target }, response, timeout, std::move(done));
}

void FunctionPlatform::maintain()
{
    std::unique_lock lock(m_mutex);
    auto last_pruning = std::chrono::steady_clock::now();
    while (!m_stop_signal.wait_for(lock, kMaintenanceInterval, [this] { return m_stopping; })) {
        lock.unlock();
        const std::vector<std::shared_ptr<Function>> functions = functions_now();
        const auto now = std::chrono::steady_clock::now();
        const bool prune = now - last_pruning > 10s;
        for (const auto& function : functions) {
            if (const auto version = function->serving())
                version->pool->maintain(now);
            if (prune) {
                auto logs = instance_logs(function_dir(function->name) / "logs");
                std::error_code ignored;
                for (size_t i = 0; i + kKeptInstanceLogs < logs.size(); ++i)
                    std::filesystem::remove(logs[i], ignored);
            }
        }
        if (prune)
            last_pruning = now;
        lock.lock();
    }
}

} // namespace rvisor::fn
