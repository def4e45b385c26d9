#include "devices/virtio/io_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

using rvisor::devices::virtio::IoWorker;

namespace {

struct IoWorkerTest : ::testing::Test {
    std::atomic<int> runs { 0 };
    // Slow enough that a wait which returned early would see no run yet.
    IoWorker worker { [this] {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        ++runs;
    } };
};

} // namespace

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
