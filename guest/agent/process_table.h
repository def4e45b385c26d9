// The agent's processes by exec_id: their descriptors, their exit, and who waits for it.
#pragma once

#include "process_launch.h"
#include "protocol.h"
#include "unique_fd.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

namespace rvisor::agent {

class ProcessTable {
public:
    std::optional<CallError> create(const CreateProcess& request);
    std::optional<CallError> start(const std::string& exec_id);
    // Blocks until the process has exited and every attached output stream reached its end.
    std::variant<ExitStatus, CallError> wait(const std::string& exec_id);
    std::optional<CallError> signal(const std::string& exec_id, int signal, bool all);
    std::optional<CallError> close_stdin(const std::string& exec_id);
    std::optional<CallError> resize_terminal(
        const std::string& exec_id, uint16_t rows, uint16_t cols);
    ProcessList list();

    // The descriptor an OpenStdio stream copies; the stream owns it. For stdin, socket is the
    // stream's connection, which CloseStdin shuts down to end the copy.
    std::variant<UniqueFd, CallError> attach_output(const std::string& exec_id, StdioStream stream);
    std::variant<UniqueFd, CallError> attach_input(const std::string& exec_id, int socket);
    void output_finished(const std::string& exec_id);
    void input_finished(const std::string& exec_id);

    // From the reaper: pid is gone with this wait status (an orphan's is dropped).
    void record_exit(pid_t pid, int wait_status);

private:
    struct Process {
        LaunchedProcess launched;
        bool started = false;
        bool stdout_attached = false;
        bool stderr_attached = false;
        bool stdin_attached = false;
        int stdin_socket = -1; // the stdin stream's connection while it copies
        int streams_draining = 0; // attached output streams not yet at their end
        std::optional<int> wait_status;
    };

    Process* find(const std::string& exec_id);
    static CallError unknown(const std::string& exec_id);

    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<std::string, Process, std::less<>> m_processes;
};

} // namespace rvisor::agent
