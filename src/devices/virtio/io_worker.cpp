#include "devices/virtio/io_worker.h"

namespace rvisor::devices::virtio {

IoWorker::IoWorker(std::function<void()> work)
    : m_work(std::move(work))
    , m_thread([this] { run(); })
{
}

IoWorker::~IoWorker()
{
    {
        std::lock_guard lock(m_mutex);
        m_exiting = true;
        m_cancelling = true;
    }
    m_wakeup.notify_one();
    m_thread.join();
}

void IoWorker::wake()
{
    {
        std::lock_guard lock(m_mutex);
        m_pending = true;
    }
    m_wakeup.notify_one();
}

void IoWorker::wake_at(std::chrono::steady_clock::time_point time)
{
    {
        std::lock_guard lock(m_mutex);
        if (m_wake_time && *m_wake_time <= time)
            return;
        m_wake_time = time;
    }
    m_wakeup.notify_one();
}

void IoWorker::cancel()
{
    std::unique_lock lock(m_mutex);
    m_pending = false;
    m_cancelling = true;
    m_idle.wait(lock, [this] { return !m_busy; });
    // After the wait: the work may have asked for a time on its way out.
    m_wake_time.reset();
    m_cancelling = false;
}

void IoWorker::pause()
{
    std::unique_lock lock(m_mutex);
    m_paused = true;
    // Work stopped between requests may have left requests waiting: run again on resume.
    m_pending = m_pending || m_busy;
    m_cancelling = true;
    m_idle.wait(lock, [this] { return !m_busy; });
    // Work waiting for its time looks again on resume, and waits afresh if it must.
    m_pending = m_pending || m_wake_time;
    m_wake_time.reset();
    m_cancelling = false;
}

void IoWorker::resume()
{
    {
        std::lock_guard lock(m_mutex);
        m_paused = false;
    }
    m_wakeup.notify_one();
}

void IoWorker::wait_until_idle()
{
    std::unique_lock lock(m_mutex);
    m_idle.wait(lock, [this] { return !m_busy && (!m_pending || m_paused); });
}

void IoWorker::run()
{
    std::unique_lock lock(m_mutex);
    for (;;) {
        const auto armed = m_paused ? std::nullopt : m_wake_time;
        // Also stops waiting when the time asked for changes, to wait for the new one.
        auto changed = [&] {
            return (m_pending && !m_paused) || m_exiting || (!m_paused && m_wake_time != armed);
        };
        if (armed) {
            if (!m_wakeup.wait_until(lock, *armed, changed))
                m_pending = true; // the time came
        } else {
            m_wakeup.wait(lock, changed);
        }
        if (m_exiting)
            return;
        if (!m_pending || m_paused)
            continue;
        m_pending = false;
        m_wake_time.reset();
        m_busy = true;
        lock.unlock();
        m_work();
        lock.lock();
        m_busy = false;
        m_idle.notify_all();
    }
}

} // namespace rvisor::devices::virtio
