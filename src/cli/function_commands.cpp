#include "cli/function_commands.h"

#include "api/unix_http_client.h"
#include "cli/default_socket.h"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace rvisor::cli {

namespace {

using nlohmann::json;

std::string read_data(const std::string& data)
{
    if (!data.starts_with('@'))
        return data;
    std::ifstream file(data.substr(1), std::ios::binary);
    if (!file)
        throw std::runtime_error(fmt::format("cannot read {}", data.substr(1)));
    return std::string(std::istreambuf_iterator<char>(file), {});
}

} // namespace

FunctionCommands::FunctionCommands(CLI::App& app)
{
    m_fn = app.add_subcommand("fn", "deploy and invoke functions (docs/serverless.md)");
    m_fn->add_option("--api-sock", m_socket, "the control program's socket");
    m_fn->require_subcommand(1);
    auto action = [&](const char* name, const char* help) {
        CLI::App* command = m_fn->add_subcommand(name, help);
        command->add_option("--api-sock", m_socket,
            "the control program's socket (default $XDG_RUNTIME_DIR/rvisor.sock)");
        m_actions.push_back(command);
        return command;
    };
    auto* deploy = action("deploy", "deploy a function: boot, warm up and snapshot it");
    deploy->add_option("NAME", m_name, "the function's name")->required();
    auto* rootfs = deploy->add_option("--rootfs", m_rootfs, "its riscv64 root directory");
    auto* image = deploy->add_option("--image", m_image,
        "its image in the local container store, or oci:/DIR[:TAG], an OCI image layout");
    rootfs->excludes(image);
    deploy->add_option("--port", m_port, "the port its server listens on, $PORT (default 8080)");
    deploy->add_option("--env", m_env, "K=V in its environment; repeat for more");
    deploy->add_option("--concurrency", m_concurrency, "requests one instance takes at once");
    deploy->add_option("--min-instances", m_min, "instances kept ready (default 0)");
    deploy->add_option("--max-instances", m_max, "instances at most (default 16)");
    deploy->add_option("--idle-timeout", m_idle_timeout, "seconds before an idle instance stops");
    deploy->add_option("--timeout", m_timeout, "seconds for readiness and for each request");
    deploy->add_option("--cpus", m_cpus, "harts per instance (default 1)");
    deploy->add_option("--mem", m_mem_mib, "MiB of RAM per instance (default 128)");
    deploy->add_option("CMD", m_command, "its command, after --")->required();
    action("list", "list the functions: name, state, instances");
    for (const auto& [name, help] : { std::pair { "show", "describe a function" },
             { "logs", "print a function's output: its deploy's, then its instances'" },
             { "delete", "drain a function, stop its instances and delete its snapshots" } })
        action(name, help)->add_option("NAME", m_name, "the function's name")->required();
    auto* invoke = action("invoke", "send a request through the gateway and print the reply");
    invoke->add_option("NAME", m_name, "the function's name")->required();
    invoke->add_option("PATH", m_path, "the path below /fn/NAME (default /)");
    invoke->add_option("--data", m_data, "a body to POST: TEXT, or @FILE for a file's bytes");
    invoke->add_option("--method", m_method, "the method (default GET, or POST with --data)");
}

std::optional<int> FunctionCommands::run()
{
    if (!*m_fn)
        return std::nullopt;
    if (m_socket.empty())
        m_socket = default_socket();
    CLI::App* chosen = nullptr;
    for (CLI::App* command : m_actions)
        if (*command)
            chosen = command;
    const std::string name = chosen->get_name();
    if (name == "deploy")
        return deploy();
    if (name == "invoke")
        return invoke();
    std::string method = "GET", path = "/functions";
    if (name != "list")
        path += "/" + m_name;
    if (name == "logs")
        path += "/logs";
    if (name == "delete")
        method = "DELETE";
    const api::HttpReply reply = api::unix_http_request(m_socket, method, path);
    if (reply.status >= 400)
        throw std::runtime_error(reply.fault_message());
    if (name == "list") {
        fmt::print("{:<24} {:<12} {}\n", "NAME", "STATE", "INSTANCES");
        for (const auto& function : json::parse(reply.body))
            fmt::print("{:<24} {:<12} {}\n", function.value("name", ""),
                function.value("state", ""), function.value("instances", 0));
    } else if (name == "show") {
        fmt::print("{}\n", json::parse(reply.body).dump(2));
    } else if (name == "logs") {
        fmt::print("{}", reply.body);
    }
    return 0;
}

int FunctionCommands::deploy()
{
    json body = { { "name", m_name }, { "command", m_command }, { "port", m_port } };
    if (!m_image.empty())
        body["image"] = m_image;
    else if (!m_rootfs.empty())
        body["rootfs"] = std::filesystem::absolute(m_rootfs).lexically_normal().string();
    else
        throw std::runtime_error("fn deploy needs --rootfs DIR or --image REF");
    json env = json::object();
    for (const std::string& pair : m_env) {
        const size_t equals = pair.find('=');
        if (equals == std::string::npos || equals == 0)
            throw std::runtime_error(fmt::format("--env {}: give NAME=VALUE", pair));
        env[pair.substr(0, equals)] = pair.substr(equals + 1);
    }
    body["env"] = env;
    const std::pair<const char*, std::optional<unsigned>> numbers[]
        = { { "concurrency", m_concurrency }, { "min_instances", m_min },
              { "max_instances", m_max }, { "idle_timeout_s", m_idle_timeout },
              { "timeout_s", m_timeout }, { "cpus", m_cpus } };
    for (const auto& [field, value] : numbers)
        if (value)
            body[field] = *value;
    if (m_mem_mib)
        body["mem_mib"] = *m_mem_mib;
    const api::HttpReply reply
        = api::unix_http_request(m_socket, "POST", "/functions", body, std::chrono::seconds(3600));
    if (reply.status >= 400)
        throw std::runtime_error(reply.fault_message());
    fmt::print("{}\n", json::parse(reply.body).dump(2));
    return 0;
}

int FunctionCommands::invoke()
{
    const api::HttpReply reply = api::unix_http_request(m_socket, "GET", "/functions/" + m_name);
    if (reply.status >= 400)
        throw std::runtime_error(reply.fault_message());
    const json function = json::parse(reply.body);
    if (!function.contains("url"))
        throw std::runtime_error(
            "the control program serves no gateway: start it with `rvisor serve --http ADDR:PORT`");
    // url is "http://HOST:PORT/fn/NAME/".
    const std::string url = function.at("url");
    const size_t path_start = url.find("/fn/");
    httplib::Client client(url.substr(0, path_start));
    client.set_read_timeout(std::chrono::seconds(3600));
    const std::string target
        = fmt::format("/fn/{}{}{}", m_name, m_path.starts_with('/') ? "" : "/", m_path);
    std::string method = m_method;
    if (method.empty())
        method = m_data.empty() ? "GET" : "POST";
    httplib::Request request;
    request.method = method;
    request.path = target;
    if (!m_data.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        request.body = read_data(m_data);
        request.set_header("Content-Type", "application/octet-stream");
    }
    const httplib::Result result = client.send(request);
    if (!result)
        throw std::runtime_error(fmt::format(
            "the gateway at {} did not answer: {}", url, httplib::to_string(result.error())));
    fmt::print("{}", result->body);
    if (result->status >= 400) {
        fmt::print(stderr, "rvisor: the function answered {}\n", result->status);
        return 1;
    }
    return 0;
}

} // namespace rvisor::cli
