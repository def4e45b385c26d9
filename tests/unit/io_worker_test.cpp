#include "devices/virtio/io_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;
using rvisor::devices::virtio::IoWorker;

namespace {

// Polls until `done`, for up to ten seconds (a slow host, not a deadline under test).
template <typename Condition> bool eventually(Condition done)
{
    for (int i = 0; i < 10'000; ++i) {
        if (done())
            return true;
        std::this_thread::sleep_for(1ms);
    }
    return done();
}

struct IoWorkerTest : ::testing::Test {
    std::atomic<int> runs { 0 };
    // Slow enough that a wait which returned early would see no run yet.
    IoWorker worker { [this] {
        std::this_thread::sleep_for(5ms);
        ++runs;
    } };
};

} // namespace

TEST_F(IoWorkerTest, ATimeThatHasComeRunsTheWork)
{
    worker.wake_at(std::chrono::steady_clock::now());
    EXPECT_TRUE(eventually([&] { return runs == 1; }));
}

TEST_F(IoWorkerTest, ATimeFarAwayDoesNotRunTheWorkButAWakeDoes)
{
    worker.wake_at(std::chrono::steady_clock::now() + 1h);
    worker.wake();
    EXPECT_TRUE(eventually([&] { return runs == 1; }));
    // The time asked for was dropped when the work ran: it asks again if it must.
    worker.wake_at(std::chrono::steady_clock::now());
    EXPECT_TRUE(eventually([&] { return runs == 2; }));
}

TEST_F(IoWorkerTest, WorkWaitingForItsTimeRunsOnResume)
{
    worker.wake_at(std::chrono::steady_clock::now() + 1h);
    worker.pause();
    worker.wake_at(std::chrono::steady_clock::now()); // held while paused
    EXPECT_EQ(runs, 0);
    worker.resume();
    EXPECT_TRUE(eventually([&] { return runs == 1; }));
}

TEST_F(IoWorkerTest, CancelDropsTheTime)
{
    worker.wake_at(std::chrono::steady_clock::now() + 50ms);
    worker.cancel();
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(runs, 0);
}

TEST_F(IoWorkerTest, WaitUntilIdleReturnsOnceTheWorkWokenForIsDone)
{
    worker.wake();
    worker.wait_until_idle();
    EXPECT_EQ(runs, 1);
    worker.wait_until_idle();
    EXPECT_EQ(runs, 1) << "an idle worker is not run again";
}

TEST_F(IoWorkerTest, WaitUntilIdleDoesNotWaitForWorkAPauseHoldsBack)
{
    worker.pause();
    worker.wake();
    worker.wait_until_idle();
    EXPECT_EQ(runs, 0);
    worker.resume();
    worker.wait_until_idle();
    EXPECT_EQ(runs, 1);
}
