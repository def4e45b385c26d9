#pragma once
// `rvisor serve` (the control program) and `rvisor vm …` (its command-line client),
// docs/control.md.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace rvisor::cli {

class ControlCommands {
public:
    explicit ControlCommands(CLI::App& app);
    // The exit status of the command the user chose, or nullopt when it was none of these.
    std::optional<int> run();

private:
    int serve();
    int client();

    CLI::App* m_serve = nullptr;
    CLI::App* m_vm = nullptr;
    std::string m_socket;
    std::string m_state_dir;
    std::string m_http;
    // `vm` subcommands, by name, with their arguments.
    std::vector<CLI::App*> m_actions;
    std::string m_id, m_config, m_snapshot, m_memory_file;
    std::optional<uint64_t> m_balloon_mib;
};

} // namespace rvisor::cli
