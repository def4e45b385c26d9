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

void IoWorker::cancel()
{
    std::unique_lock lock(m_mutex);
    m_pending = false;
    m_cancelling = true;
    m_idle.wait(lock, [this] { return !m_busy; });
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
        m_wakeup.wait(lock, [this] { return (m_pending && !m_paused) || m_exiting; });
        if (m_exiting)
            return;
        m_pending = false;
        m_busy = true;
        lock.unlock();
        m_work();
        lock.lock();
        m_busy = false;
        m_idle.notify_all();
    }
}

} // namespace rvisor::devices::virtio
