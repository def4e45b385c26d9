#pragma once
// `rvisor fn …`: the function platform's command-line client (docs/serverless.md), over the
// control program's API socket, and through its gateway for `invoke`.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::cli {

class FunctionCommands {
public:
    explicit FunctionCommands(CLI::App& app);
    // The exit status of the command the user chose, or nullopt when it was none of these.
    std::optional<int> run();

private:
    int deploy();
    int invoke();

    CLI::App* m_fn = nullptr;
    std::vector<CLI::App*> m_actions;
    std::string m_socket;
    std::string m_name;
    std::string m_rootfs;
    std::string m_image;
    uint16_t m_port = 8080;
    std::vector<std::string> m_env;
    std::vector<std::string> m_command;
    std::optional<unsigned> m_concurrency, m_min, m_max, m_idle_timeout, m_timeout, m_cpus;
    std::optional<uint64_t> m_mem_mib;
    std::string m_path = "/";
    std::string m_data;
    std::string m_method;
};

} // namespace rvisor::cli
