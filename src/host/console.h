#pragma once
#include "host/console_log.h"
#include "host/console_socket.h"
#include "host/raw_terminal.h"

// The user's terminal (or the pipes a script gave rvisor). On a terminal the input is raw and
// Ctrl-A is an escape, as in QEMU: Ctrl-A x quits, Ctrl-A h prints help, Ctrl-A Ctrl-A sends
// one Ctrl-A. From pipes, bytes pass straight through in both directions.
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace rvisor::host {

class Console {
public:
    Console(int input_fd, int output_fd);
    // Output to a bounded log instead of a descriptor (a VM without a terminal), and, with
    // `attach`, to the client attached there, whose typing is then the input.
    Console(int input_fd, ConsoleLog& log, ConsoleSocket* attach = nullptr);
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    // Thread-safe; called from hart threads for every byte the guest prints.
    void write(uint8_t byte);

    struct Input {
        std::vector<uint8_t> bytes; // for the guest
        bool quit = false; // Ctrl-A x
        bool closed = false; // end of input: no more will come
    };
    // Waits up to timeout_ms (-1: for as long as it takes) for input or for one of `wake_fds`
    // to become readable, then returns what input there is.
    Input read(int timeout_ms, std::span<const int> wake_fds = {});

private:
    int m_input_fd;
    int m_output_fd;
    bool m_input_open = true;
    bool m_escape_pending = false;
    RawTerminal m_terminal; // raw while the console lives, when input is a terminal
    ConsoleLog* m_log = nullptr;
    ConsoleSocket* m_attach = nullptr;
    std::mutex m_output_mutex;
};

} // namespace rvisor::host
