#include "oci/process_session.h"

#include "oci/agent_client.h"
#include "oci/console_socket.h"
#include "oci/container_setup.h"

#include <chrono>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

namespace rvisor::oci {

namespace {

using namespace std::chrono_literals;

// The VM is up when a session starts; a connection that takes longer has lost its agent.
constexpr auto kAgentTimeout = 10s;

// A process with a terminal writes to its pty only: the caller's stdio goes, as runc's container
// holds none of it. containerd's runc shim reads create's and exec's stdout and stderr to their
// end, so while this process kept them, `ctr run -t` and `docker run -t` waited forever.
void release_stdio(const int (&stdio)[3])
{
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0)
        return;
    for (const int fd : stdio)
        ::dup2(null, fd);
    ::close(null);
}

} // namespace

ProcessSession::ProcessSession(std::filesystem::path vsock, std::string exec_id)
    : m_vsock(std::move(vsock))
    , m_exec_id(std::move(exec_id))
{
}

void ProcessSession::create(const ProcessSpec& process,
    const std::optional<std::filesystem::path>& console_socket, const int (&stdio)[3])
{
    AgentConnection(m_vsock, kAgentTimeout)
        .call("CreateProcess", create_process_params(m_exec_id, process));
    auto open = [&](const char* stream) {
        return AgentConnection(m_vsock, kAgentTimeout).open_stdio(m_exec_id, stream);
    };
    if (process.terminal) {
        if (!console_socket)
            throw std::runtime_error(
                "the process wants a terminal but no --console-socket was given to send it to");
        const int terminal = send_terminal(*console_socket);
        if (process.console_size) {
            // The pty the caller holds agrees with the guest's, and changes from there.
            const winsize size { static_cast<unsigned short>(process.console_size->height),
                static_cast<unsigned short>(process.console_size->width), 0, 0 };
            ::ioctl(terminal, TIOCSWINSZ, &size);
            resize_terminal(process.console_size->height, process.console_size->width);
        }
        m_size_watch
            = std::make_unique<TerminalSizeWatch>(terminal, [this](unsigned rows, unsigned cols) {
                  try {
                      resize_terminal(rows, cols);
                  } catch (const std::exception&) {
                      // The process or its VM is gone; wait() says how it ended.
                  }
              });
        m_output.push_back(std::make_unique<StdioRelay>(open("stdout"), terminal, false));
        m_input = std::make_unique<StdioRelay>(::dup(terminal), open("stdin"), true);
        release_stdio(stdio);
        return;
    }
    m_output.push_back(std::make_unique<StdioRelay>(open("stdout"), stdio[1], false));
    m_output.push_back(std::make_unique<StdioRelay>(open("stderr"), stdio[2], false));
    m_input = std::make_unique<StdioRelay>(stdio[0], open("stdin"), true);
}

void ProcessSession::resize_terminal(unsigned rows, unsigned cols)
{
    AgentConnection(m_vsock, kAgentTimeout)
        .call("TtyWinResize", { { "exec_id", m_exec_id }, { "rows", rows }, { "cols", cols } });
}

void ProcessSession::start()
{
    AgentConnection(m_vsock, kAgentTimeout).call("StartProcess", { { "exec_id", m_exec_id } });
}

int ProcessSession::wait()
{
    int status = 255;
    try {
        AgentConnection waiter(m_vsock, kAgentTimeout);
        status = waiter.call("WaitProcess", { { "exec_id", m_exec_id } }).value("exit_status", 255);
    } catch (const std::exception&) {
        // The VM or its agent is gone: nothing more will come from the process.
    }
    m_size_watch.reset();
    for (auto& relay : m_output)
        relay->join();
    return status;
}

void ProcessSession::signal(int number, bool all)
{
    AgentConnection(m_vsock, kAgentTimeout)
        .call("SignalProcess", { { "exec_id", m_exec_id }, { "signal", number }, { "all", all } });
}

} // namespace rvisor::oci
