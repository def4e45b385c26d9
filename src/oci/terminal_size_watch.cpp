#include "oci/terminal_size_watch.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <stdexcept>

namespace rvisor::oci {

namespace {

bool size_of(int terminal, unsigned& rows, unsigned& cols)
{
    winsize size {};
    if (::ioctl(terminal, TIOCGWINSZ, &size) != 0)
        return false;
    rows = size.ws_row;
    cols = size.ws_col;
    return true;
}

} // namespace

TerminalSizeWatch::TerminalSizeWatch(
    int terminal, std::function<void(unsigned rows, unsigned cols)> resized)
    : m_terminal(::fcntl(terminal, F_DUPFD_CLOEXEC, 0))
    , m_resized(std::move(resized))
{
    unsigned rows = 0, cols = 0;
    if (m_terminal < 0 || !size_of(m_terminal, rows, cols)) {
        if (m_terminal >= 0)
            ::close(m_terminal);
        throw std::runtime_error("the process's terminal has no size to follow");
    }
    m_thread = std::thread([this, rows, cols] { watch(rows, cols); });
}

TerminalSizeWatch::~TerminalSizeWatch()
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_stop_requested.notify_all();
    m_thread.join();
    ::close(m_terminal);
}

void TerminalSizeWatch::watch(unsigned rows, unsigned cols)
{
    std::unique_lock lock(m_mutex);
    while (!m_stop_requested.wait_for(lock, kInterval, [this] { return m_stopping; })) {
        unsigned now_rows = 0, now_cols = 0;
        if (!size_of(m_terminal, now_rows, now_cols))
            return;
        if ((now_rows == rows && now_cols == cols) || (now_rows == 0 && now_cols == 0))
            continue;
        rows = now_rows;
        cols = now_cols;
        lock.unlock();
        m_resized(rows, cols);
        lock.lock();
    }
}

} // namespace rvisor::oci
