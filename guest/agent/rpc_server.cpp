#include "rpc_server.h"

#include "accept_connection.h"

#include <cerrno>
#include <sys/socket.h>
#include <system_error>
#include <thread>

namespace rvisor::agent {

namespace {

bool read_exact(int fd, void* buffer, size_t size)
{
    auto* at = static_cast<char*>(buffer);
    while (size > 0) {
        ssize_t got = recv(fd, at, size, 0);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return false;
        at += got;
        size -= static_cast<size_t>(got);
    }
    return true;
}

bool send_frame(int fd, const std::string& payload)
{
    std::string bytes = frame(payload);
    const char* at = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
        ssize_t put = send(fd, at, left, MSG_NOSIGNAL);
        if (put < 0 && errno == EINTR)
            continue;
        if (put <= 0)
            return false;
        at += put;
        left -= static_cast<size_t>(put);
    }
    return true;
}

} // namespace

void RpcServer::serve()
{
    for (;;) {
        const int connection = accept_connection(m_listener.get(), "accept");
        try {
            std::thread([this, connection] { serve_connection(UniqueFd(connection)); }).detach();
        } catch (const std::system_error&) {
            close(connection); // no thread to serve it: the host sees the connection close
        }
    }
}

void RpcServer::serve_connection(UniqueFd connection)
{
    std::string payload;
    for (;;) {
        uint8_t header[kFrameHeaderSize];
        if (!read_exact(connection.get(), header, sizeof header))
            return;
        uint32_t length = frame_length(header);
        if (length > kMaxFrameSize) {
            // The frame's bytes cannot be skipped safely: say why, then close.
            send_frame(connection.get(),
                encode_error(std::nullopt,
                    { EMSGSIZE, "a frame of " + std::to_string(length) + " bytes is over 1 MiB" }));
            return;
        }
        payload.resize(length);
        if (!read_exact(connection.get(), payload.data(), length))
            return;
        DecodedRequest decoded = decode_request(payload);
        if (auto* error = std::get_if<DecodeError>(&decoded)) {
            if (!send_frame(connection.get(),
                    encode_error(error->id, { error->error_number, error->message })))
                return;
            continue;
        }
        const Request& request = std::get<Request>(decoded);
        Outcome outcome = m_handlers.handle(request.call, connection.get());
        std::string reply = std::holds_alternative<CallError>(outcome.reply)
            ? encode_error(request.id, std::get<CallError>(outcome.reply))
            : encode_result(request.id, std::get<Result>(outcome.reply));
        bool sent = send_frame(connection.get(), reply);
        if (outcome.after_reply) {
            // Run even when the reply could not be sent: a stream must still drain its output.
            outcome.after_reply(connection.get());
            return;
        }
        if (!sent)
            return;
    }
}

} // namespace rvisor::agent
