#include "oci/monitor_client.h"

#include "api/unix_http_client.h"
#include "host/unix_socket.h"

#include <fmt/format.h>

#include <stdexcept>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::oci {

void send_to_monitor(const std::filesystem::path& socket, const nlohmann::json& request)
{
    const int fd = host::connect_unix_socket(socket);
    if (fd < 0)
        throw std::runtime_error("container not running: its monitor does not answer");
    const std::string line = request.dump() + "\n";
    std::string reply;
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
        char byte = 0;
        while (reply.size() < 65536 && ::read(fd, &byte, 1) == 1 && byte != '\n')
            reply += byte;
    }
    ::close(fd);
    const nlohmann::json answer = nlohmann::json::parse(reply, nullptr, false);
    if (!answer.is_object())
        throw std::runtime_error("container not running: its monitor closed the connection");
    if (answer.contains("error"))
        throw std::runtime_error(answer["error"].is_string() ? answer["error"].get<std::string>()
                                                             : "the monitor refused");
}

nlohmann::json describe_vm(const std::filesystem::path& api_socket, const std::string& doing)
{
    const auto reply = api::unix_http_request(api_socket, "GET", "/");
    if (reply.status != 200)
        throw std::runtime_error(fmt::format("{}: {}", doing, reply.fault_message()));
    return nlohmann::json::parse(reply.body);
}

} // namespace rvisor::oci
