#include "oci/runc_delegation.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <unistd.h>

namespace rvisor::oci {

std::filesystem::path runc_root(const std::filesystem::path& root) { return root / "runc"; }

bool runc_holds(const std::filesystem::path& root, const std::string& id)
{
    std::error_code error;
    return std::filesystem::is_directory(runc_root(root) / id, error);
}

void exec_runc(const std::filesystem::path& root, const std::vector<std::string>& args)
{
    const char* variable = std::getenv("RVISOR_OCI_RUNC");
    const std::string runc = variable && *variable ? variable : "runc";
    std::vector<std::string> command { runc, "--root", runc_root(root).string() };
    // Our own --root (either form), among the global flags before the command, is replaced by
    // runc's; everything else passes unchanged.
    bool global = true;
    for (size_t i = 0; i < args.size(); ++i) {
        if (global && args[i] == "--root") {
            ++i;
            continue;
        }
        if (global && args[i].starts_with("--root="))
            continue;
        if (!args[i].starts_with("-") && (i == 0 || args[i - 1] != "--log")
            && (i == 0 || args[i - 1] != "--log-format"))
            global = false;
        command.push_back(args[i]);
    }
    std::vector<char*> argv;
    for (std::string& arg : command)
        argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    throw std::runtime_error(fmt::format(
        "this container's program is not RISC-V and runc cannot be run ({}: {}); install runc or "
        "set RVISOR_OCI_RUNC",
        runc, std::strerror(errno)));
}

} // namespace rvisor::oci
