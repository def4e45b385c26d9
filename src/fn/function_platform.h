#pragma once
// The function platform of the control program (docs/serverless.md): deploys functions to
// snapshots, serves their invocations from instances restored from them, scales each to its
// load and to zero, and keeps what it knows in the state directory, so that a restarted control
// program serves the functions deployed before (from zero instances):
//
//   STATE_DIR/functions/NAME/function.json   the spec and the revision serving it
//   STATE_DIR/functions/NAME/rN/             revision N: vm.state, vm.mem, the deploy's
//                                            console.log, vm.json, vm.err
//   STATE_DIR/functions/NAME/logs/K.log      instance K's console: the function's output
//   STATE_DIR/instances/K/                   instance K's vsock socket and vm.err, while it runs
//   STATE_DIR/images/sha256-HEX/rootfs       an OCI image layout's root, unpacked once for the
//                                            revisions deployed from it (fn/unpacked_images.h)
//
// Every method throws api::ApiError with the HTTP status its API answers with.
#include "fn/function_spec.h"
#include "fn/instance_pool.h"
#include "fn/latency_histogram.h"
#include "fn/unpacked_images.h"
#include "oci/container_vm.h"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rvisor::fn {

class FunctionPlatform {
public:
    // `rvisor` is the program instances run in; `images` the kernel and agent initramfs, or,
    // when they could not be found, `images_missing` says why (deploys are then refused).
    FunctionPlatform(std::filesystem::path state_dir, std::filesystem::path rvisor,
        oci::RuntimeImages images, std::string images_missing = {});
    // Stops every instance; functions stay deployed.
    ~FunctionPlatform();
    FunctionPlatform(const FunctionPlatform&) = delete;
    FunctionPlatform& operator=(const FunctionPlatform&) = delete;

    // Where the gateway serves ("http://ADDR:PORT"), for show()'s "url".
    void set_gateway(const std::string& base_url);

    // POST /functions: returns show() once the function is ready.
    nlohmann::json deploy(const nlohmann::json& body);
    // PUT /functions/{name}: a new revision takes the traffic once ready; the old one drains.
    nlohmann::json update(const std::string& name, const nlohmann::json& body);
    nlohmann::json list();
    nlohmann::json show(const std::string& name);
    // DELETE /functions/{name}: drains, stops the instances, deletes the snapshots.
    void remove(const std::string& name);
    // The function's output: the deploy's, then each recent instance's.
    std::string logs(const std::string& name);
    // Prometheus text exposition of every function's series.
    std::string metrics();

    // The gateway: `request` for the function `name` with `target` (path below /fn/NAME and
    // query) answered into `response`, streamed.
    void invoke(const std::string& name, const std::string& target, const httplib::Request& request,
        httplib::Response& response);

private:
    struct Version;
    struct Function;

    std::shared_ptr<Function> find(const std::string& name);
    // An instance of the revision serving now, following a replacement that closes the one
    // asked first; sets `version` to the revision it came from. Throws api::ApiError.
    static std::shared_ptr<InstancePool::Lease> lease_instance(const std::string& name,
        Function& function, std::chrono::steady_clock::time_point start,
        std::shared_ptr<Version>& version);
    // Every function deployed, as the map holds them now.
    std::vector<std::shared_ptr<Function>> functions_now();
    std::filesystem::path function_dir(const std::string& name) const;
    // Revision `number` of the function: deployed now, or (`deployed`) by an earlier control
    // program, its snapshot in the revision's directory.
    std::shared_ptr<Version> make_version(const FunctionSpec& spec, unsigned number,
        const std::filesystem::path& rootfs, bool deployed);
    std::filesystem::path find_rootfs(const FunctionSpec& spec) const;
    // A new revision deployed from the spec's root (an image's mounted for it).
    std::shared_ptr<Version> make_revision(const FunctionSpec& spec, unsigned number);
    void save(const Function& function, const Version& version) const;
    void load_existing();
    nlohmann::json describe(Function& function);
    void maintain();

    const std::filesystem::path m_state_dir;
    const std::filesystem::path m_rvisor;
    const oci::RuntimeImages m_images;
    const std::string m_images_missing;
    const std::shared_ptr<UnpackedImages> m_unpacked_images;
    std::string m_gateway;
    std::mutex m_mutex;
    std::map<std::string, std::shared_ptr<Function>> m_functions;
    std::atomic<uint64_t> m_next_instance { 1 };
    std::condition_variable m_stop_signal;
    bool m_stopping = false;
    std::thread m_maintainer;
};

} // namespace rvisor::fn
