#include "host/unix_socket.h"
#include "oci/agent_client.h"
#include "oci/stream_join_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using rvisor::oci::AgentError;
using rvisor::oci::join_guest_stream;
using namespace std::chrono_literals;

namespace {

// A stand-in for the VM's vsock socket and the agent behind it: answers each connection's
// CONNECT and request lines with `answers`, then echoes what it reads.
class FakeVsock {
public:
    explicit FakeVsock(std::string answers)
        : m_answers(std::move(answers))
    {
        m_socket = rvisor::host::create_listening_socket(m_path);
        m_thread = std::thread([this] { serve(); });
    }
    ~FakeVsock()
    {
        ::shutdown(m_socket.fd, SHUT_RDWR);
        m_thread.join();
        rvisor::host::remove_listening_socket(m_path, m_socket);
    }
    const std::filesystem::path& path() const { return m_path; }
    const std::string& received() const { return m_received; }

private:
    void serve()
    {
        const int connection = ::accept(m_socket.fd, nullptr, nullptr);
        if (connection < 0)
            return;
        // Both lines come before the first answer is needed.
        std::string lines;
        char byte = 0;
        while (
            std::count(lines.begin(), lines.end(), '\n') < 1 && ::read(connection, &byte, 1) == 1)
            lines += byte;
        ::send(connection, m_answers.data(), m_answers.find('\n') + 1, MSG_NOSIGNAL);
        while (
            std::count(lines.begin(), lines.end(), '\n') < 2 && ::read(connection, &byte, 1) == 1)
            lines += byte;
        m_received = lines;
        const std::string rest = m_answers.substr(m_answers.find('\n') + 1);
        ::send(connection, rest.data(), rest.size(), MSG_NOSIGNAL);
        char buffer[256];
        ssize_t count = 0;
        while ((count = ::read(connection, buffer, sizeof buffer)) > 0)
            ::send(connection, buffer, static_cast<size_t>(count), MSG_NOSIGNAL);
        ::close(connection);
    }

    const std::filesystem::path m_path = std::filesystem::temp_directory_path()
        / ("rvisor-stream-join-" + std::to_string(::getpid()) + ".sock");
    std::string m_answers;
    rvisor::host::ListeningSocket m_socket;
    std::thread m_thread;
    std::string m_received;
};

} // namespace

TEST(OciStreamJoinClient, AJoinedStreamCarriesBytes)
{
    FakeVsock vsock("OK 1073741824\nOK\n");
    const int stream = join_guest_stream(vsock.path(), 8080, 5s);
    ASSERT_GE(stream, 0);
    ASSERT_EQ(::send(stream, "ping", 4, MSG_NOSIGNAL), 4);
    char echoed[4] = {};
    EXPECT_EQ(::recv(stream, echoed, sizeof echoed, MSG_WAITALL), 4);
    EXPECT_EQ(std::string(echoed, 4), "ping");
    ::close(stream);
    EXPECT_EQ(vsock.received(), "CONNECT 1025\nTCP 8080\n");
}

TEST(OciStreamJoinClient, TheAgentsRefusalIsAnAgentError)
{
    FakeVsock vsock("OK 1073741824\nERROR 111 connecting to 127.0.0.1 port 81 failed\n");
    try {
        join_guest_stream(vsock.path(), 81, 5s);
        FAIL() << "joined";
    } catch (const AgentError& error) {
        EXPECT_EQ(error.error_number(), ECONNREFUSED);
        EXPECT_STREQ(error.what(), "connecting to 127.0.0.1 port 81 failed");
    }
}

TEST(OciStreamJoinClient, AVmThatNeverAnswersTimesOut)
{
    // The vsock socket's OK, then silence where the agent's line should be.
    FakeVsock vsock("OK 1073741824\n");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_THROW(join_guest_stream(vsock.path(), 80, 300ms), std::runtime_error);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
    EXPECT_THROW(
        join_guest_stream(std::filesystem::temp_directory_path() / "no-such-vsock.sock", 80, 300ms),
        std::runtime_error);
}
