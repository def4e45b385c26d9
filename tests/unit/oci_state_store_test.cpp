#include "oci/container_status.h"
#include "oci/state_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

using rvisor::oci::ContainerCommand;
using rvisor::oci::ContainerId;
using rvisor::oci::ContainerState;
using rvisor::oci::ContainerStatus;
using rvisor::oci::require_status;
using rvisor::oci::StateStore;

namespace {

std::string error_of(const std::function<void()>& body)
{
    try {
        body();
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

class OciStateStoreTest : public testing::Test {
protected:
    void TearDown() override { std::filesystem::remove_all(m_root); }

    const std::filesystem::path m_root = std::filesystem::temp_directory_path()
        / ("rvisor-oci-root-" + std::to_string(::getpid()));
    bool m_monitor_alive = true;
    StateStore m_store { m_root, [this](pid_t, uint64_t) { return m_monitor_alive; } };
};

} // namespace

TEST(OciContainerIdTest, RuncsRule)
{
    for (const char* good : { "a", "web-1", "A_b+c.d", "0123456789abcdef" })
        EXPECT_NO_THROW(ContainerId { good }) << good;
    EXPECT_EQ(error_of([] { ContainerId { "" }; }), "container id is empty");
    EXPECT_EQ(error_of([] { ContainerId { ".." }; }),
        "invalid container id '..': use letters, digits and _ + . - (not . or ..)");
    EXPECT_NE(error_of([] { ContainerId { "a/b" }; }), "");
    EXPECT_NE(error_of([] { ContainerId { "a b" }; }), "");
    EXPECT_NE(error_of([] { ContainerId { std::string(65, 'a') }; }), "");
}

TEST(OciContainerStatusTest, OneRulePerCommand)
{
    using enum ContainerStatus;
    EXPECT_NO_THROW(require_status("c", Created, ContainerCommand::Start));
    EXPECT_EQ(error_of([] { require_status("c", Running, ContainerCommand::Start); }),
        "cannot start container c: it is running");
    EXPECT_EQ(error_of([] { require_status("c", Stopped, ContainerCommand::Kill); }),
        "cannot kill container c: container not running (it is stopped)");
    EXPECT_EQ(error_of([] { require_status("c", Created, ContainerCommand::Exec); }),
        "cannot exec in container c: container not running (it is created)");
    EXPECT_EQ(error_of([] { require_status("c", Running, ContainerCommand::Delete); }),
        "cannot delete container c: it is running");
    EXPECT_NO_THROW(require_status("c", Running, ContainerCommand::ForceDelete));
    EXPECT_NO_THROW(require_status("c", Creating, ContainerCommand::ForceDelete));
    EXPECT_NO_THROW(require_status("c", Paused, ContainerCommand::Resume));
    EXPECT_NO_THROW(require_status("c", Stopped, ContainerCommand::Delete));
}

TEST_F(OciStateStoreTest, SaveLoadAndTheOciState)
{
    const ContainerId id("box");
    {
        auto lock = m_store.create(id);
        ContainerState state;
        state.id = "box";
        state.bundle = "/b";
        state.status = ContainerStatus::Running;
        state.pid = 1234;
        state.pid_start_time = 99;
        state.created = "2026-12-07T01:00:00Z";
        state.annotations["k"] = "v";
        m_store.save(state);
    }
    const ContainerState loaded = m_store.load(id);
    EXPECT_EQ(loaded.status, ContainerStatus::Running);
    EXPECT_EQ(loaded.pid, 1234);
    const auto oci = loaded.to_oci_state();
    EXPECT_EQ(oci["status"], "running");
    EXPECT_EQ(oci["pid"], 1234);
    EXPECT_EQ(oci["bundle"], "/b");
    EXPECT_EQ(oci["annotations"]["k"], "v");
    EXPECT_EQ(oci["ociVersion"], "1.0.2");
    // The monitor gone: stopped, pid 0.
    m_monitor_alive = false;
    EXPECT_EQ(m_store.load(id).status, ContainerStatus::Stopped);
    EXPECT_EQ(m_store.load(id).to_oci_state()["pid"], 0);
    EXPECT_EQ(m_store.ids(), std::vector<std::string> { "box" });
    m_store.remove(id);
    EXPECT_TRUE(m_store.ids().empty());
}

TEST_F(OciStateStoreTest, TheWordsEnginesLookFor)
{
    const ContainerId id("c1");
    EXPECT_EQ(error_of([&] { m_store.load(id); }), "container c1 does not exist");
    EXPECT_EQ(error_of([&] { m_store.lock(id); }), "container c1 does not exist");
    auto lock = m_store.create(id);
    EXPECT_EQ(error_of([&] { m_store.create(id); }), "container c1 already exists");
    // A create that died before saving leaves a Creating container that only delete --force
    // clears.
    EXPECT_EQ(m_store.load(id).status, ContainerStatus::Creating);
}

TEST_F(OciStateStoreTest, DamagedAndNewerRecordsAreRefusedWithTheReason)
{
    const ContainerId id("c2");
    auto lock = m_store.create(id);
    std::ofstream(m_root / "c2" / "state.json") << "{\"version\": 2}";
    EXPECT_NE(error_of([&] { m_store.load(id); })
                  .find("format version 2 is not one this "
                        "rvisor-oci reads (1 to 1)"),
        std::string::npos);
    std::ofstream(m_root / "c2" / "state.json") << "{nonsense";
    EXPECT_NE(error_of([&] { m_store.load(id); }).find("is damaged"), std::string::npos);
}

TEST_F(OciStateStoreTest, SocketsOfLongIdsGoToAShortDirectoryOfTheirOwn)
{
    const ContainerId short_id("c1");
    EXPECT_EQ(m_store.socket_directory(short_id), m_store.directory(short_id));

    // As long as Docker's: a 64-character id under /var/run/docker/runtime-runc/moby.
    const auto root = m_root / "var/run/docker/runtime-runc/moby";
    const StateStore docker(root);
    const ContainerId long_id(std::string(64, 'a'));
    const auto sockets = docker.socket_directory(long_id);
    EXPECT_NE(sockets, docker.directory(long_id));
    EXPECT_EQ(sockets.parent_path(), root / "@sockets");
    EXPECT_LE((sockets / "vsock.sock_4294967295").string().size(), 107u);
    EXPECT_NE(docker.socket_directory(ContainerId(std::string(64, 'b'))), sockets);
}

TEST_F(OciStateStoreTest, ALongIdsSocketDirectoryComesAndGoesWithIt)
{
    const ContainerId id(std::string(64, 'f'));
    const auto sockets = m_store.socket_directory(id);
    if (sockets == m_store.directory(id))
        GTEST_SKIP() << "the temporary directory is short enough for sockets in place";
    std::filesystem::create_directories(sockets);
    std::ofstream(sockets / "stale") << "a container of this id never deleted";
    {
        const auto lock = m_store.create(id);
        EXPECT_TRUE(std::filesystem::is_directory(sockets));
        EXPECT_FALSE(std::filesystem::exists(sockets / "stale"));
    }
    EXPECT_EQ(m_store.ids(), std::vector<std::string> { id.str() });
    m_store.remove(id);
    EXPECT_FALSE(std::filesystem::exists(sockets));
}
