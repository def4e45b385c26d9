#include "api/unix_http_client.h"

#include "host/unix_socket.h"

#include <httplib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace rvisor::api {

namespace {

// httplib 0.11.4's client dials only TCP; connecting is its one overridable step, so this
// client dials a Unix socket and leaves the HTTP to httplib.
class UnixSocketClient final : public httplib::ClientImpl {
public:
    explicit UnixSocketClient(std::filesystem::path socket)
        : httplib::ClientImpl("localhost")
        , m_socket(std::move(socket))
    {
    }

protected:
    bool create_and_connect_socket(Socket& socket, httplib::Error& error) override
    {
        const int fd = host::connect_unix_socket(m_socket);
        if (fd < 0) {
            m_connect_error = std::strerror(errno);
            error = httplib::Error::Connection;
            return false;
        }
        socket.sock = fd;
        return true;
    }

public:
    // Why the last connection failed, when it did.
    const std::string& connect_error() const { return m_connect_error; }

private:
    std::filesystem::path m_socket;
    std::string m_connect_error;
};

} // namespace

std::string HttpReply::fault_message() const
{
    const auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_object() && parsed.contains("fault_message")
        && parsed["fault_message"].is_string())
        return parsed["fault_message"].get<std::string>();
    return body;
}

HttpReply unix_http_request(const std::filesystem::path& socket, const std::string& method,
    const std::string& path, const std::optional<nlohmann::json>& body,
    std::chrono::seconds timeout)
{
    UnixSocketClient client(socket);
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    client.set_write_timeout(timeout);
    httplib::Request request;
    request.method = method;
    request.path = path;
    if (body) {
        request.body = body->dump();
        request.set_header("Content-Type", "application/json");
    }
    const httplib::Result result = client.send(request);
    if (!result) {
        const bool refused = result.error() == httplib::Error::Connection;
        throw std::runtime_error("cannot reach the API socket " + socket.string() + ": "
            + (refused && !client.connect_error().empty() ? client.connect_error()
                                                          : httplib::to_string(result.error())));
    }
    return { result->status, result->body };
}

} // namespace rvisor::api
