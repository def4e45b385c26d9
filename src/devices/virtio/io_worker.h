#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace rvisor::devices::virtio {

// A host thread that runs a device's queue work off the harts' threads, so a hart that
// notifies a queue goes straight back to the guest while the disk is busy. Wake-ups coalesce:
// the work runs again after the last wake(), and looks at everything waiting when it does.
class IoWorker {
public:
    explicit IoWorker(std::function<void()> work);
    ~IoWorker();
    IoWorker(const IoWorker&) = delete;
    IoWorker& operator=(const IoWorker&) = delete;

    void wake();
    // Runs the work again at `time` unless something wakes it sooner: for work that must wait
    // (a rate limit) and leaves its requests queued meanwhile. The earliest time asked for wins.
    void wake_at(std::chrono::steady_clock::time_point time);
    // Drops a pending wake-up and waits until the work in progress, if any, has returned. The
    // work sees cancelling() meanwhile and should stop between requests.
    void cancel();
    bool cancelling() const { return m_cancelling.load(std::memory_order_relaxed); }
    // Waits until the work in progress, if any, has returned (it sees cancelling() and stops
    // between requests), and holds wake-ups back until resume(), which runs the work again if
    // anything woke it, was left undone or was waiting for its time.
    void pause();
    void resume();
    // Waits until no wake-up is pending and the work has returned, so that everything the work
    // was woken for is done: for tests and fuzzers, which look at the rings only then. Held-back
    // wake-ups of a paused worker do not count.
    void wait_until_idle();

private:
    void run();

    std::function<void()> m_work;
    std::mutex m_mutex;
    std::condition_variable m_wakeup;
    std::condition_variable m_idle;
    bool m_pending { false };
    bool m_busy { false };
    bool m_exiting { false };
    bool m_paused { false };
    std::optional<std::chrono::steady_clock::time_point> m_wake_time;
    std::atomic<bool> m_cancelling { false };
    // Last: the thread starts once everything it uses exists.
    std::thread m_thread;
};

} // namespace rvisor::devices::virtio
