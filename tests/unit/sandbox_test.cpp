#include "host/sandbox.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

namespace {

using rvisor::host::close_inherited_descriptors;
using rvisor::host::enter_sandbox;

// The wait status of a child process that runs body, then exits 0. A child that returns 1
// found something wrong; one killed by SIGSYS made a system call the filter forbids.
int run_in_child(const std::function<void()>& body)
{
    const pid_t child = fork();
    if (child == 0) {
        body();
        _exit(0); // no atexit handlers: they might make system calls the sandbox forbids
    }
    int status = 0;
    EXPECT_EQ(waitpid(child, &status, 0), child);
    return status;
}

testing::AssertionResult killed_by_sigsys(int status)
{
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS)
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "not killed by SIGSYS: wait status " << status;
}

testing::AssertionResult exited_cleanly(int status)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return testing::AssertionSuccess();
    return testing::AssertionFailure() << "no clean exit: wait status " << status;
}

TEST(Sandbox, ForbiddenSystemCallKillsTheProcess)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    EXPECT_TRUE(killed_by_sigsys(run_in_child([] {
        enter_sandbox();
        execl("/bin/true", "true", nullptr);
        _exit(1);
    })));
}

TEST(Sandbox, AllowedSystemCallsWork)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    int pipe_fds[2];
    ASSERT_EQ(pipe(pipe_fds), 0);
    EXPECT_TRUE(exited_cleanly(run_in_child([&] {
        enter_sandbox();
        const char byte = getpid() > 0 ? 'y' : 'n';
        if (write(pipe_fds[1], &byte, 1) != 1)
            _exit(1);
    })));
    char byte = 0;
    EXPECT_EQ(read(pipe_fds[0], &byte, 1), 1);
    EXPECT_EQ(byte, 'y');
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

TEST(Sandbox, ThreadsStartButForkKills)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    // glibc starts threads with clone3, which the filter refuses as unknown so that glibc falls
    // back to clone with CLONE_THREAD, which it allows.
    EXPECT_TRUE(exited_cleanly(run_in_child([] {
        enter_sandbox();
        bool ran = false;
        std::thread([&] { ran = true; }).join();
        if (!ran)
            _exit(1);
    })));
    EXPECT_TRUE(killed_by_sigsys(run_in_child([] {
        enter_sandbox();
        fork();
        _exit(1);
    })));
}

TEST(Sandbox, SocketsOfOtherFamiliesKill)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    EXPECT_TRUE(killed_by_sigsys(run_in_child([] {
        enter_sandbox();
        const int inet = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (inet < 0)
            _exit(1);
        close(inet);
        socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, 0);
        _exit(1);
    })));
}

TEST(Sandbox, ThreadsThatRanBeforeAreFilteredToo)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    EXPECT_TRUE(killed_by_sigsys(run_in_child([] {
        int go[2];
        if (pipe(go) != 0)
            _exit(1);
        std::thread earlier([&] {
            char byte;
            if (read(go[0], &byte, 1) == 1)
                execl("/bin/true", "true", nullptr);
            _exit(1);
        });
        enter_sandbox();
        if (write(go[1], "x", 1) != 1)
            _exit(1);
        earlier.join();
    })));
}

TEST(Sandbox, OnlyTheIoctlsAVmMakesAreAllowed)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    EXPECT_TRUE(killed_by_sigsys(run_in_child([] {
        int pipe_fds[2];
        if (pipe(pipe_fds) != 0)
            _exit(1);
        enter_sandbox();
        termios mode {};
        if (ioctl(pipe_fds[0], TCGETS, &mode) != -1 || errno != ENOTTY)
            _exit(1); // allowed, and a pipe is no terminal
        const char byte = 'x';
        ioctl(pipe_fds[0], TIOCSTI, &byte); // a terminal's input, injected: forbidden
        _exit(1);
    })));
}

TEST(Sandbox, InheritedDescriptorsAreClosed)
{
    EXPECT_TRUE(exited_cleanly(run_in_child([] {
        const int inherited = open("/dev/null", O_RDONLY); // no O_CLOEXEC, as a leak would be
        if (inherited < 0 || dup2(inherited, 100) != 100)
            _exit(1);
        close_inherited_descriptors();
        const bool closed = fcntl(inherited, F_GETFD) == -1 && errno == EBADF
            && fcntl(100, F_GETFD) == -1 && errno == EBADF;
        if (!closed || fcntl(STDERR_FILENO, F_GETFD) == -1)
            _exit(1);
    })));
}

} // namespace

TEST(Sandbox, FileSharingCallsOnlyWithAShare)
{
    if (!rvisor::host::seccomp_filter_in_build())
        GTEST_SKIP() << "a sanitizer build has no seccomp filter (host/sandbox.h)";
    char directory[] = "/tmp/rvisor-sandbox-XXXXXX";
    ASSERT_NE(mkdtemp(directory), nullptr);
    const int parent = open(directory, O_PATH | O_DIRECTORY);
    ASSERT_GE(parent, 0);
    EXPECT_TRUE(killed_by_sigsys(run_in_child([&] {
        enter_sandbox();
        mkdirat(parent, "made", 0755);
        _exit(1);
    })));
    EXPECT_TRUE(exited_cleanly(run_in_child([&] {
        enter_sandbox({ .file_sharing = true });
        if (mkdirat(parent, "made", 0755) != 0 || unlinkat(parent, "made", AT_REMOVEDIR) != 0)
            _exit(1);
    })));
    close(parent);
    EXPECT_EQ(rmdir(directory), 0);
}
