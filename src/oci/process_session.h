#pragma once
// One process of a container's VM, seen from the host: created through the agent (stopped
// before exec), its stdio joined to the host descriptors a caller gave, or its terminal to a pty
// whose master goes over a console socket as runc sends it (the process follows resizes of it);
// started; waited for until its output is delivered. The monitor runs the container's first
// process through one; `exec` runs each further process through another.
#include "oci/bundle.h"
#include "oci/stdio_relay.h"
#include "oci/terminal_size_watch.h"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::oci {

class ProcessSession {
public:
    ProcessSession(std::filesystem::path vsock, std::string exec_id);

    // CreateProcess, then the stdio: `stdio` are the host's stdin, stdout and stderr for a
    // process without a terminal; with one they are pointed at /dev/null (the caller may wait
    // for their end). Throws std::runtime_error or AgentError.
    void create(const ProcessSpec& process,
        const std::optional<std::filesystem::path>& console_socket, const int (&stdio)[3]);
    void start();
    // The exit status (the code, or 128+N after signal N), once every byte of output has been
    // delivered; 255 when the VM or its agent went away first.
    int wait();
    void signal(int number, bool all);

private:
    void resize_terminal(unsigned rows, unsigned cols);

    std::filesystem::path m_vsock;
    std::string m_exec_id;
    std::vector<std::unique_ptr<StdioRelay>> m_output;
    std::unique_ptr<StdioRelay> m_input;
    // With a terminal, until the process has exited: the caller's resizes reach the guest.
    std::unique_ptr<TerminalSizeWatch> m_size_watch;
};

} // namespace rvisor::oci
