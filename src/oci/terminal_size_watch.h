#pragma once
// Follows the size of a process's terminal after it starts. The terminal is a pty whose master
// the caller holds (conmon, a containerd shim): they resize the master when their own terminal
// changes, which the kernel announces (SIGWINCH) only to the pty's controlling session, and the
// runtime holds the slave without being one. So the size is read every kInterval and each
// change goes to the guest (the agent's TtyWinResize).
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace rvisor::oci {

class TerminalSizeWatch {
public:
    static constexpr std::chrono::milliseconds kInterval { 100 };

    // Watches `terminal` (duplicated: the caller keeps its own) from its size now; `resized`
    // gets every later size that is not 0 x 0, on the watch's own thread.
    TerminalSizeWatch(int terminal, std::function<void(unsigned rows, unsigned cols)> resized);
    // Stops watching.
    ~TerminalSizeWatch();
    TerminalSizeWatch(const TerminalSizeWatch&) = delete;
    TerminalSizeWatch& operator=(const TerminalSizeWatch&) = delete;

private:
    void watch(unsigned rows, unsigned cols);

    int m_terminal;
    std::function<void(unsigned, unsigned)> m_resized;
    std::mutex m_mutex;
    std::condition_variable m_stop_requested;
    bool m_stopping = false;
    std::thread m_thread;
};

} // namespace rvisor::oci
