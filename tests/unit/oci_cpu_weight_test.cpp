#include "oci/cpu_weight.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using rvisor::oci::nice_for_cpu_shares;
using rvisor::oci::set_process_tree_nice;

TEST(OciCpuWeightTest, SharesMapToTheNiceLevelOfTheNearestWeight)
{
    EXPECT_EQ(nice_for_cpu_shares(1024), 0);
    EXPECT_EQ(nice_for_cpu_shares(512), 3); // weight 526
    EXPECT_EQ(nice_for_cpu_shares(256), 6); // weight 272
    EXPECT_EQ(nice_for_cpu_shares(2048), -3); // weight 1991
    EXPECT_EQ(nice_for_cpu_shares(2), 19);
    EXPECT_EQ(nice_for_cpu_shares(0), 19);
    EXPECT_EQ(nice_for_cpu_shares(262144), -20);
}

TEST(OciCpuWeightTest, EveryThreadOfTheTreeGetsTheLevel)
{
    // A child with a second thread, and a grandchild: all three threads are set.
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        if (::fork() == 0) {
            ::pause();
            ::_exit(0);
        }
        std::thread second([] { ::pause(); });
        second.detach();
        (void)::write(ready[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    set_process_tree_nice(child, 7);
    int threads = 0;
    const std::string tasks = "/proc/" + std::to_string(child) + "/task/";
    for (const auto& entry : std::filesystem::directory_iterator(tasks)) {
        const auto thread = static_cast<id_t>(std::stoul(entry.path().filename().string()));
        errno = 0;
        EXPECT_EQ(::getpriority(PRIO_PROCESS, thread), 7);
        ++threads;
        std::ifstream children(entry.path() / "children");
        pid_t grandchild = 0;
        while (children >> grandchild) {
            EXPECT_EQ(::getpriority(PRIO_PROCESS, static_cast<id_t>(grandchild)), 7);
            ++threads;
            ::kill(grandchild, SIGKILL);
        }
    }
    EXPECT_EQ(threads, 3);
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    EXPECT_THROW(set_process_tree_nice(child, 7), std::runtime_error);
}
