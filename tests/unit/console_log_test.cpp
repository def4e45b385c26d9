// The detached console: a bounded log and a socket one client attaches to.
#include "host/console_log.h"
#include "host/console_socket.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

using rvisor::host::ConsoleLog;
using rvisor::host::ConsoleSocket;

class ConsoleFilesTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        folder = std::filesystem::temp_directory_path()
            / ("rvisor-console-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(folder);
    }
    void TearDown() override { std::filesystem::remove_all(folder); }

    int connect_to(const std::filesystem::path& path)
    {
        sockaddr_un address {};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, path.c_str());
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        EXPECT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
        return fd;
    }

    std::filesystem::path folder;
};

void write_text(ConsoleLog& log, const std::string& text)
{
    log.write(reinterpret_cast<const uint8_t*>(text.data()), text.size());
}

TEST_F(ConsoleFilesTest, LogKeepsTheNewestOutputWithinTwiceItsLimit)
{
    const auto path = folder / "console.log";
    {
        ConsoleLog log(path, 100);
        for (int line = 0; line < 50; ++line)
            write_text(log, "line " + std::to_string(line) + "\n");
    }
    const std::string kept = ConsoleLog::read(path);
    EXPECT_LE(kept.size(), 200u);
    EXPECT_GE(kept.size(), 100u);
    EXPECT_TRUE(kept.ends_with("line 49\n")) << kept;
    EXPECT_EQ(kept.find("line 0\n"), std::string::npos) << kept;
    // Oldest first: the rotated part comes before the newest.
    EXPECT_LT(kept.find("line 40\n"), kept.find("line 49\n"));
    EXPECT_EQ(ConsoleLog::read(folder / "never-written.log"), "");
}

TEST_F(ConsoleFilesTest, LogAppendsToWhatAnEarlierProcessWrote)
{
    const auto path = folder / "console.log";
    {
        ConsoleLog first(path);
        write_text(first, "before ");
    }
    ConsoleLog second(path);
    write_text(second, "after");
    EXPECT_EQ(ConsoleLog::read(path), "before after");
    EXPECT_THROW(ConsoleLog(folder / "missing" / "console.log"), std::runtime_error);
}

TEST_F(ConsoleFilesTest, SocketJoinsOneClientAndTheNextTakesOver)
{
    const auto path = folder / "console.sock";
    ConsoleSocket console(path);
    const uint8_t unseen[] = { 'x' };
    console.write(unseen, 1); // nobody attached: dropped, not queued

    const int first = connect_to(path);
    EXPECT_TRUE(console.read(5000).empty()); // the attach itself
    const uint8_t hello[] = { 'h', 'i' };
    console.write(hello, 2);
    char received[8] = {};
    ASSERT_EQ(::recv(first, received, sizeof received, 0), 2);
    EXPECT_EQ(std::string(received, 2), "hi");
    ASSERT_EQ(::send(first, "ls\n", 3, 0), 3);
    std::vector<uint8_t> typed;
    while (typed.size() < 3) {
        auto more = console.read(5000);
        typed.insert(typed.end(), more.begin(), more.end());
    }
    EXPECT_EQ(std::string(typed.begin(), typed.end()), "ls\n");

    const int second = connect_to(path);
    EXPECT_TRUE(console.read(5000).empty());
    EXPECT_EQ(::recv(first, received, sizeof received, 0), 0); // the first was let go
    console.write(hello, 2);
    EXPECT_EQ(::recv(second, received, sizeof received, 0), 2);
    ::close(first);
    ::close(second);
}

} // namespace
