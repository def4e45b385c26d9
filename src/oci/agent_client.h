#pragma once
// The host's end of the guest agent's protocol (docs/agent-protocol.md): calls over the VM's
// vsock socket, each connection opened with `CONNECT 1024`. A call's connection is held for
// one call at a time; stdio streams get connections of their own.
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>

namespace rvisor::oci {

// A call the agent refused: its errno and its sentence.
class AgentError : public std::runtime_error {
public:
    AgentError(int error_number, const std::string& message)
        : std::runtime_error(message)
        , m_error_number(error_number)
    {
    }
    int error_number() const { return m_error_number; }

private:
    int m_error_number;
};

class AgentConnection {
public:
    // Connects to the agent through the vsock socket, trying again until `timeout` while the
    // guest is still booting (the socket missing, or no listener yet on the port), unless
    // `gone` says the VM will never answer. Throws std::runtime_error when the time is up.
    AgentConnection(const std::filesystem::path& vsock_socket, std::chrono::milliseconds timeout,
        const std::function<bool()>& gone = {});
    ~AgentConnection();
    AgentConnection(AgentConnection&& other) noexcept;
    AgentConnection(const AgentConnection&) = delete;
    AgentConnection& operator=(const AgentConnection&) = delete;
    AgentConnection& operator=(AgentConnection&&) = delete;

    // From now on a call whose request or reply takes longer than `timeout` fails (a
    // std::runtime_error) instead of waiting: for callers that must not hang on a paused or
    // hung VM.
    void set_timeout(std::chrono::milliseconds timeout);

    // One call: the result object, or AgentError; std::runtime_error when the connection breaks
    // or the reply is not the protocol's.
    nlohmann::json call(const std::string& method, const nlohmann::json& params = nullptr);
    // A call in two halves, so that several can be on their way at once (the agent answers
    // in order): send() returns the request's id, reply_to() waits for its reply and returns
    // or throws as call() does.
    uint64_t send(const std::string& method, const nlohmann::json& params = nullptr);
    nlohmann::json reply_to(const std::string& method, uint64_t id);

    // Turns the connection into the raw stream of a process's stdin, stdout or stderr and hands
    // over its descriptor; the connection is spent.
    int open_stdio(const std::string& exec_id, const std::string& stream);

private:
    int m_fd = -1;
    uint64_t m_next_id = 1;
};

// A clone wakes with its snapshot's clock and entropy pool, which every sibling shares: Refresh
// gives it the host's time and fresh entropy. Throws as AgentConnection::call does.
void refresh_clone(AgentConnection& agent);

} // namespace rvisor::oci
