#pragma once
// A function as POST /functions describes it (docs/serverless.md): a riscv64 root filesystem and
// the command that serves HTTP on $PORT, the VM it runs in, and how the platform scales it.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace rvisor::fn {

struct WarmupSpec {
    std::string path = "/";
    unsigned requests = 3;
};

struct FunctionSpec {
    std::string name; // the VM id pattern, [A-Za-z0-9_-]{1,64}
    // Exactly one: an absolute directory, or an image in the local container store (Podman's),
    // whose directory the platform finds at deploy.
    std::filesystem::path rootfs;
    std::string image;
    std::vector<std::string> command;
    std::map<std::string, std::string> env;
    uint16_t port = 8080;
    std::string readiness_path = "/";
    unsigned cpus = 1;
    uint64_t mem_mib = 128;
    unsigned concurrency = 1; // requests one instance takes at once
    unsigned min_instances = 0;
    unsigned max_instances = 16;
    unsigned max_queue = 1000; // requests waiting for an instance before 429
    unsigned idle_timeout_s = 30;
    unsigned timeout_s = 30; // readiness at deploy, and each request
    WarmupSpec warmup;
};

// The body of POST /functions (or PUT /functions/{name}, whose name comes from the path when
// `name` is given). Throws api::ApiError 400 naming the field that is missing, unknown, of the
// wrong type or out of range, or 400 when `rootfs` is not a directory.
FunctionSpec parse_function_spec(const nlohmann::json& body, const std::string& name = {});

// The spec as the body that parses back to it.
nlohmann::json function_spec_json(const FunctionSpec& spec);

// Whether `name` matches the VM id pattern.
bool valid_function_name(const std::string& name);

} // namespace rvisor::fn
