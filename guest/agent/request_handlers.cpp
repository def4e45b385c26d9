#include "request_handlers.h"

#include "container_filesystem.h"
#include "network_setup.h"
#include "power.h"
#include "stdio_streams.h"
#include "tcp_listeners.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <linux/random.h>
#include <memory>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::agent {

namespace {

Outcome done(std::optional<CallError> error)
{
    if (error)
        return { *error, {} };
    return { Empty {}, {} };
}

CallError system_error(const char* what)
{
    int error_number = errno;
    return CallError { error_number,
        std::string(what) + " failed: " + std::strerror(error_number) };
}

} // namespace

Outcome RequestHandlers::handle(const Call& call, int socket)
{
    if (std::holds_alternative<Ping>(call))
        return { PingResult {}, {} };
    if (auto* c = std::get_if<CreateProcess>(&call))
        return done(m_processes.create(*c));
    if (auto* c = std::get_if<OpenStdio>(&call))
        return open_stdio(*c, socket);
    if (auto* c = std::get_if<StartProcess>(&call))
        return done(m_processes.start(c->exec_id));
    if (auto* c = std::get_if<WaitProcess>(&call)) {
        auto status = m_processes.wait(c->exec_id);
        if (auto* error = std::get_if<CallError>(&status))
            return { *error, {} };
        return { std::get<ExitStatus>(status), {} };
    }
    if (auto* c = std::get_if<SignalProcess>(&call))
        return done(m_processes.signal(c->exec_id, c->signal, c->all));
    if (auto* c = std::get_if<CloseStdin>(&call))
        return done(m_processes.close_stdin(c->exec_id));
    if (auto* c = std::get_if<TtyWinResize>(&call))
        return done(m_processes.resize_terminal(c->exec_id, c->rows, c->cols));
    if (std::holds_alternative<ListProcesses>(call))
        return { m_processes.list(), {} };
    if (auto* c = std::get_if<Refresh>(&call))
        return refresh(*c);
    if (auto* c = std::get_if<Mount>(&call))
        return done(mount_filesystem(*c));
    if (auto* c = std::get_if<WriteFile>(&call))
        return done(write_file(*c));
    if (auto* c = std::get_if<Symlink>(&call))
        return done(make_symlink(*c));
    if (auto* c = std::get_if<SetHostname>(&call)) {
        if (sethostname(c->hostname.data(), c->hostname.size()) != 0)
            return { system_error("sethostname"), {} };
        return { Empty {}, {} };
    }
    if (auto* c = std::get_if<ConfigureNetwork>(&call))
        return done(configure_network(*c));
    if (std::holds_alternative<ListListeners>(call))
        return { ListenerList { read_tcp_listeners() }, {} };
    return power_off();
}

Outcome RequestHandlers::open_stdio(const OpenStdio& request, int socket)
{
    // The descriptor is taken before the reply, so that a refusal is still an error reply; it
    // is shared because std::function must be copyable.
    ProcessTable& processes = m_processes;
    std::string exec_id = request.exec_id;
    if (request.stream == StdioStream::Stdin) {
        auto input = processes.attach_input(exec_id, socket);
        if (auto* error = std::get_if<CallError>(&input))
            return { *error, {} };
        auto fd = std::make_shared<UniqueFd>(std::move(std::get<UniqueFd>(input)));
        return { Empty {}, [fd, exec_id, &processes](int connection) {
                    copy_socket_to_input(connection, fd->get());
                    processes.input_finished(exec_id);
                    fd->reset(); // the process reads EOF
                } };
    }
    auto output = processes.attach_output(exec_id, request.stream);
    if (auto* error = std::get_if<CallError>(&output))
        return { *error, {} };
    auto fd = std::make_shared<UniqueFd>(std::move(std::get<UniqueFd>(output)));
    return { Empty {}, [fd, exec_id, &processes](int connection) {
                copy_output_to_socket(fd->get(), connection);
                fd->reset();
                processes.output_finished(exec_id);
            } };
}

Outcome RequestHandlers::refresh(const Refresh& request)
{
    // A clone restored from a snapshot wakes with the snapshot's clock and the same random
    // state as its siblings: the host gives it the time and fresh entropy.
    timespec now {};
    now.tv_sec = static_cast<time_t>(request.realtime_ns / 1000000000);
    now.tv_nsec = static_cast<long>(request.realtime_ns % 1000000000);
    if (clock_settime(CLOCK_REALTIME, &now) != 0)
        return { system_error("clock_settime"), {} };
    UniqueFd urandom(open("/dev/urandom", O_WRONLY | O_CLOEXEC));
    if (!urandom)
        return { system_error("opening /dev/urandom"), {} };
    std::vector<uint8_t> buffer(sizeof(rand_pool_info) + request.entropy.size());
    auto* pool = reinterpret_cast<rand_pool_info*>(buffer.data());
    pool->entropy_count = static_cast<int>(request.entropy.size() * 8);
    pool->buf_size = static_cast<int>(request.entropy.size());
    std::memcpy(
        buffer.data() + sizeof(rand_pool_info), request.entropy.data(), request.entropy.size());
    if (ioctl(urandom.get(), RNDADDENTROPY, pool) != 0)
        return { system_error("RNDADDENTROPY"), {} };
    // Entropy added to the input pool reaches the generator that urandom reads only at its next
    // reseed, up to a minute away: until then siblings would still read the same bytes.
    if (ioctl(urandom.get(), RNDRESEEDCRNG) != 0)
        return { system_error("RNDRESEEDCRNG"), {} };
    return { Empty {}, {} };
}

Outcome RequestHandlers::power_off()
{
    return { Empty {}, [](int socket) {
                // The reply is only queued: give the host up to a second to read it and close.
                shutdown(socket, SHUT_WR);
                pollfd closed { socket, POLLIN, 0 };
                char byte;
                while (poll(&closed, 1, 1000) == 1 && recv(socket, &byte, 1, 0) > 0) { }
                power_off_now();
            } };
}

} // namespace rvisor::agent
