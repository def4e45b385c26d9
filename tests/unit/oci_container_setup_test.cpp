#include "oci/container_setup.h"
#include "oci/signal_name.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

using rvisor::oci::AgentCall;
using rvisor::oci::container_setup_calls;
using rvisor::oci::ContainerSpec;
using rvisor::oci::MountSpec;
using rvisor::oci::parse_signal;
using rvisor::oci::plan_container_vm;

TEST(OciSignalNameTest, NamesAndNumbers)
{
    EXPECT_EQ(parse_signal("9"), SIGKILL);
    EXPECT_EQ(parse_signal("TERM"), SIGTERM);
    EXPECT_EQ(parse_signal("SIGUSR1"), SIGUSR1);
    EXPECT_EQ(parse_signal("sigwinch"), SIGWINCH);
    EXPECT_THROW(parse_signal("0"), std::runtime_error);
    EXPECT_THROW(parse_signal("65"), std::runtime_error);
    EXPECT_THROW(parse_signal("SIGNOPE"), std::runtime_error);
    EXPECT_THROW(parse_signal(""), std::runtime_error);
}

TEST(OciContainerSetupTest, TheRootThenEachMountInOrderThenTheHostname)
{
    const auto dir = std::filesystem::temp_directory_path()
        / ("rvisor-container-setup-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "rootfs");
    std::filesystem::create_directories(dir / "data");
    std::ofstream(dir / "hosts") << "10.0.0.1 there\n";
    ContainerSpec spec;
    spec.root = dir / "rootfs";
    spec.root_readonly = true;
    spec.hostname = "box";
    spec.namespaces = { { "network", "" } }; // no network: no calls for it
    spec.mounts = {
        MountSpec { "/proc", "proc", "proc", { "nosuid" } },
        MountSpec { "/tmp", "tmpfs", "tmpfs", { "nosuid", "tmpcopyup" } },
        MountSpec { "/dev/pts", "devpts", "devpts", { "newinstance" } },
        MountSpec { "/dev/shm", "bind", "/var/lib/whatever/shm", { "bind" } },
        MountSpec { "/data", "bind", (dir / "data").string(), { "rbind", "ro" } },
        MountSpec { "/etc/hosts", "bind", (dir / "hosts").string(), { "bind" } },
        MountSpec { "/dev/mqueue", "mqueue", "mqueue", {} },
        MountSpec { "/sys/fs/cgroup", "cgroup", "cgroup", { "ro", "nosuid" } },
    };
    const auto vm = plan_container_vm(spec, { "/k", { "/i" } }, dir / "v.sock");
    const std::vector<AgentCall> calls = container_setup_calls(spec, vm);
    std::filesystem::remove_all(dir);

    ASSERT_EQ(calls.size(), 11u);
    EXPECT_EQ(calls[0].params["source"], vm.root_tag);
    EXPECT_EQ(calls[0].params["fstype"], "virtiofs");
    EXPECT_EQ(calls[0].params["options"], nlohmann::json({ "ro" }));
    EXPECT_EQ(calls[1].params["target"], "/run/rvisor/rootfs/proc");
    // runc's own options are not the guest's.
    EXPECT_EQ(calls[2].params["options"], nlohmann::json({ "nosuid" }));
    EXPECT_EQ(calls[3].params["source"], "/dev/pts");
    EXPECT_EQ(calls[4].params["fstype"], "tmpfs");
    EXPECT_EQ(calls[5].params["source"], vm.shared_mounts.at(0).tag);
    EXPECT_EQ(calls[5].params["options"], nlohmann::json({ "ro" }));
    EXPECT_EQ(calls[6].method, "WriteFile");
    EXPECT_EQ(calls[6].params["content"], "MTAuMC4wLjEgdGhlcmUK");
    EXPECT_EQ(calls[7].params["source"], calls[6].params["path"]);
    EXPECT_EQ(calls[7].params["target"], "/run/rvisor/rootfs/etc/hosts");
    EXPECT_TRUE(calls[8].optional);
    EXPECT_EQ(calls[9].params["fstype"], "cgroup2");
    EXPECT_TRUE(calls[9].optional);
    EXPECT_EQ(calls[10].method, "SetHostname");
    EXPECT_EQ(calls[10].params["hostname"], "box");
}

TEST(OciContainerSetupTest, PrivateRootWritesGoToAnOverlayOverTheReadOnlyShare)
{
    ContainerSpec spec;
    spec.root = "/nowhere/rootfs";
    spec.namespaces = { { "network", "" } };
    auto vm = plan_container_vm(spec, { "/k", { "/i" } }, "/nowhere/v.sock");
    vm.private_root_writes = true;
    const std::vector<AgentCall> calls = container_setup_calls(spec, vm);

    ASSERT_EQ(calls.size(), 3u);
    EXPECT_EQ(calls[0].params["source"], vm.root_tag);
    EXPECT_EQ(calls[0].params["options"], nlohmann::json({ "ro" }));
    EXPECT_EQ(calls[1].params["fstype"], "tmpfs");
    EXPECT_EQ(calls[2].params["fstype"], "overlay");
    EXPECT_EQ(calls[2].params["target"], "/run/rvisor/rootfs");
    const std::string lower = calls[0].params["target"];
    const std::string layer = calls[1].params["target"];
    EXPECT_EQ(calls[2].params["options"],
        nlohmann::json(
            { "lowerdir=" + lower, "upperdir=" + layer + "/upper", "workdir=" + layer + "/work" }));
}

TEST(OciContainerSetupTest, DefaultDevicesAndLinksGoIntoTheContainersDev)
{
    const auto dir = std::filesystem::temp_directory_path()
        / ("rvisor-container-devices-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "rootfs");
    ContainerSpec spec;
    spec.root = dir / "rootfs";
    auto targets = [&] {
        const auto vm = plan_container_vm(spec, { "/k", { "/i" } }, dir / "v.sock");
        std::vector<std::string> found;
        for (const AgentCall& call : container_setup_calls(spec, vm)) {
            if (call.method == "Symlink")
                found.push_back(call.params["path"].get<std::string>() + " -> "
                    + call.params["target"].get<std::string>());
            else if (call.params.contains("source")
                && call.params["source"].get<std::string>().starts_with("/dev/"))
                found.push_back(call.params["source"].get<std::string>() + " on "
                    + call.params["target"].get<std::string>());
        }
        return found;
    };
    // No /dev of the container's own: nothing is made in its shared root.
    EXPECT_TRUE(targets().empty());

    spec.mounts = { MountSpec { "/dev", "tmpfs", "tmpfs", { "mode=755" } },
        MountSpec { "/dev/tty", "bind", "/dev/null", { "bind" } } };
    const std::vector<std::string> expected = { "/dev/null on /run/rvisor/rootfs/dev/null",
        "/dev/zero on /run/rvisor/rootfs/dev/zero", "/dev/full on /run/rvisor/rootfs/dev/full",
        "/dev/random on /run/rvisor/rootfs/dev/random",
        "/dev/urandom on /run/rvisor/rootfs/dev/urandom",
        "/run/rvisor/rootfs/dev/fd -> /proc/self/fd",
        "/run/rvisor/rootfs/dev/stdin -> /proc/self/fd/0",
        "/run/rvisor/rootfs/dev/stdout -> /proc/self/fd/1",
        "/run/rvisor/rootfs/dev/stderr -> /proc/self/fd/2",
        "/run/rvisor/rootfs/dev/ptmx -> pts/ptmx" };
    // The bundle's own /dev/tty mount stands; no default device is bound over it.
    const std::vector<std::string> found = targets();
    std::filesystem::remove_all(dir);
    EXPECT_EQ(found, expected);
}

TEST(OciContainerSetupTest, ANetworkIsConfiguredAndTheImagesResolvConfOverlaid)
{
    const auto dir = std::filesystem::temp_directory_path()
        / ("rvisor-container-setup-net-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "rootfs/etc");
    std::ofstream(dir / "rootfs/etc/resolv.conf") << "nameserver 192.168.1.1\n";
    std::ofstream(dir / "resolv.conf") << "nameserver 8.8.8.8\n";
    ContainerSpec spec;
    spec.root = dir / "rootfs";
    const auto vm = plan_container_vm(spec, { "/k", { "/i" } }, dir / "v.sock");
    const std::vector<AgentCall> calls = container_setup_calls(spec, vm);
    ASSERT_EQ(calls.size(), 4u);
    EXPECT_EQ(calls[1].method, "ConfigureNetwork");
    EXPECT_EQ(calls[1].params,
        nlohmann::json({ { "interface", "eth0" }, { "address", "10.0.2.15" },
            { "prefix_length", 24 }, { "gateway", "10.0.2.2" } }));
    EXPECT_EQ(calls[2].method, "WriteFile");
    EXPECT_EQ(calls[2].params["content"], "bmFtZXNlcnZlciAxMC4wLjIuMwo="); // nameserver 10.0.2.3
    EXPECT_EQ(calls[3].params["source"], calls[2].params["path"]);
    EXPECT_EQ(calls[3].params["target"], "/run/rvisor/rootfs/etc/resolv.conf");

    // The engine's own resolv.conf is left as it is.
    spec.mounts
        = { MountSpec { "/etc/resolv.conf", "bind", (dir / "resolv.conf").string(), { "bind" } } };
    const auto bound
        = container_setup_calls(spec, plan_container_vm(spec, { "/k", { "/i" } }, dir / "v.sock"));
    ASSERT_EQ(bound.size(), 4u);
    EXPECT_EQ(bound[3].method, "ConfigureNetwork");
    // An image without the file gets none made in its root.
    spec.mounts.clear();
    std::filesystem::remove(dir / "rootfs/etc/resolv.conf");
    EXPECT_EQ(container_setup_calls(spec, vm).size(), 2u);
    std::filesystem::remove_all(dir);
}
