#include "oci/terminal_size_watch.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using rvisor::oci::TerminalSizeWatch;

namespace {

// A pty pair, as the runtime makes one for a console socket.
struct Pty {
    Pty()
    {
        master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0)
            throw std::runtime_error("no pty");
        slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
            throw std::runtime_error("no pty slave");
    }
    ~Pty()
    {
        ::close(slave);
        ::close(master);
    }
    void resize(unsigned short rows, unsigned short cols) const
    {
        const winsize size { rows, cols, 0, 0 };
        ASSERT_EQ(::ioctl(master, TIOCSWINSZ, &size), 0);
    }
    int master = -1;
    int slave = -1;
};

class Sizes {
public:
    void add(unsigned rows, unsigned cols)
    {
        std::lock_guard lock(m_mutex);
        m_seen.emplace_back(rows, cols);
    }
    std::vector<std::pair<unsigned, unsigned>> seen()
    {
        std::lock_guard lock(m_mutex);
        return m_seen;
    }
    // Waits for `count` sizes, or a hang's worth of time.
    bool wait_for(size_t count)
    {
        for (auto waited = 0ms; waited < 10s; waited += 5ms) {
            if (seen().size() >= count)
                return true;
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

private:
    std::mutex m_mutex;
    std::vector<std::pair<unsigned, unsigned>> m_seen;
};

} // namespace

TEST(OciTerminalSizeWatch, EachResizeOfTheMasterIsReported)
{
    Pty pty;
    pty.resize(30, 90); // before the watch: its starting size, not a change
    Sizes sizes;
    {
        TerminalSizeWatch watch(
            pty.slave, [&](unsigned rows, unsigned cols) { sizes.add(rows, cols); });
        pty.resize(40, 100);
        ASSERT_TRUE(sizes.wait_for(1));
        pty.resize(41, 101);
        ASSERT_TRUE(sizes.wait_for(2));
    }
    EXPECT_EQ(
        sizes.seen(), (std::vector<std::pair<unsigned, unsigned>> { { 40, 100 }, { 41, 101 } }));
}

TEST(OciTerminalSizeWatch, AFileThatIsNotATerminalIsRefused)
{
    const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    EXPECT_THROW(TerminalSizeWatch(null, [](unsigned, unsigned) {}), std::runtime_error);
    ::close(null);
}
