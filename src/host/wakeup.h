#pragma once
// Wake-ups for threads that sleep in poll(): an eventfd any thread (or a signal handler) can
// raise, so that nothing has to wake on a timer to look whether something changed.
#include <atomic>

namespace rvisor::host {

class Wakeup {
public:
    Wakeup(); // throws std::runtime_error with one sentence
    ~Wakeup();
    Wakeup(const Wakeup&) = delete;
    Wakeup& operator=(const Wakeup&) = delete;

    // Async-signal-safe: makes fd() readable until clear().
    void raise() const;
    void clear() const;
    int fd() const { return m_fd; }

private:
    int m_fd;
};

// A stop request from a signal handler (SIGINT, SIGTERM): which signal, and a wake-up for the
// loop that acts on it.
class StopSignal {
public:
    // Async-signal-safe.
    void raise(int signal)
    {
        m_signal.store(signal);
        m_wakeup.raise();
    }
    int signal() const { return m_signal.load(); }
    int fd() const { return m_wakeup.fd(); }

private:
    std::atomic<int> m_signal { 0 };
    Wakeup m_wakeup;
};

} // namespace rvisor::host
