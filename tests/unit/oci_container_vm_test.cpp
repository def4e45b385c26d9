#include "oci/container_vm.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

using rvisor::oci::ContainerSpec;
using rvisor::oci::ContainerVm;
using rvisor::oci::MountSpec;
using rvisor::oci::plan_container_vm;
using rvisor::oci::RuntimeImages;

namespace {

class OciContainerVmTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::filesystem::create_directories(m_dir / "rootfs");
        std::filesystem::create_directories(m_dir / "data");
        std::ofstream(m_dir / "hosts") << "127.0.0.1 localhost\n";
        m_spec.root = m_dir / "rootfs";
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    ContainerVm plan() { return plan_container_vm(m_spec, m_images, m_dir / "vsock.sock"); }
    std::string error()
    {
        try {
            plan();
        } catch (const std::runtime_error& raised) {
            return raised.what();
        }
        return "";
    }

    const std::filesystem::path m_dir = std::filesystem::temp_directory_path()
        / ("rvisor-container-vm-" + std::to_string(::getpid()));
    RuntimeImages m_images { "/usr/share/rvisor/Image", { "/usr/share/rvisor/agent.cpio" } };
    ContainerSpec m_spec;
};

} // namespace

TEST_F(OciContainerVmTest, DefaultsGiveOneHart256MiBTheRootAndTheAgentsSocket)
{
    const ContainerVm vm = plan();
    EXPECT_EQ(vm.spec.kernel, "/usr/share/rvisor/Image");
    EXPECT_EQ(vm.spec.initrds.size(), 1u);
    EXPECT_EQ(vm.spec.cpus, 1u);
    EXPECT_EQ(vm.spec.memory, 256ull << 20);
    ASSERT_TRUE(vm.spec.vsock);
    EXPECT_EQ(vm.spec.vsock->uds, m_dir / "vsock.sock");
    ASSERT_EQ(vm.spec.shares.size(), 1u);
    EXPECT_EQ(vm.spec.shares[0].directory, m_dir / "rootfs");
    EXPECT_EQ(vm.spec.shares[0].tag, vm.root_tag);
    EXPECT_FALSE(vm.spec.shares[0].read_only);
}

TEST_F(OciContainerVmTest, ResourcesSetHartsAndMemory)
{
    m_spec.root_readonly = true;
    m_spec.resources.memory_limit = (512ll << 20) + 100;
    m_spec.resources.cpu_quota = 150000;
    m_spec.resources.cpu_period = 100000;
    ContainerVm vm = plan();
    EXPECT_EQ(vm.spec.memory, 512ull << 20);
    EXPECT_EQ(vm.spec.cpus, 2u);
    EXPECT_TRUE(vm.spec.shares[0].read_only);
    m_spec.resources.cpu_quota.reset();
    m_spec.resources.cpuset_cpus = "0-2,5";
    EXPECT_EQ(plan().spec.cpus, 4u);
    m_spec.resources.cpuset_cpus = "0-4000000000";
    EXPECT_EQ(plan().spec.cpus, 32u);
    m_spec.resources.cpuset_cpus = "3-1";
    EXPECT_EQ(
        error(), "config.json: linux.resources.cpu.cpus '3-1' is not a cpu list such as 0-3,6");
    m_spec.resources.cpuset_cpus.clear();
    m_spec.resources.memory_limit = 1 << 20;
    EXPECT_EQ(error(),
        "config.json: linux.resources.memory.limit 1048576 is below the 16 MiB a VM needs");
}

TEST_F(OciContainerVmTest, TemplatesAreOnUnlessTheAnnotationSaysFalse)
{
    EXPECT_TRUE(plan().use_template);
    m_spec.annotations["io.rvisor.template"] = "false";
    EXPECT_FALSE(plan().use_template);
    m_spec.annotations["io.rvisor.template"] = "true";
    EXPECT_TRUE(plan().use_template);
    m_spec.annotations["io.rvisor.template"] = "no";
    EXPECT_EQ(error(), "annotation io.rvisor.template 'no' is neither true nor false");
}

TEST_F(OciContainerVmTest, AnnotationsOverride)
{
    m_spec.resources.memory_limit = 1ll << 30;
    m_spec.annotations = { { "io.rvisor.cpus", "3" }, { "io.rvisor.memory", "96M" },
        { "io.rvisor.kernel", "/k/Image" }, { "io.rvisor.initrd", "/k/initrd" } };
    const ContainerVm vm = plan();
    EXPECT_EQ(vm.spec.cpus, 3u);
    EXPECT_EQ(vm.spec.memory, 96ull << 20);
    EXPECT_EQ(vm.spec.kernel, "/k/Image");
    EXPECT_EQ(vm.spec.initrds, std::vector<std::filesystem::path> { "/k/initrd" });
    m_spec.annotations["io.rvisor.cpus"] = "33";
    EXPECT_EQ(error(), "annotation io.rvisor.cpus '33' is not a number of harts from 1 to 32");
}

TEST_F(OciContainerVmTest, DirectoryBindsAreSharesFilesGoToTheAgent)
{
    m_spec.mounts = {
        MountSpec { "/proc", "proc", "proc", {} },
        MountSpec { "/data", "bind", (m_dir / "data").string(), { "rbind", "ro" } },
        MountSpec { "/etc/hosts", "bind", (m_dir / "hosts").string(), { "bind" } },
    };
    const ContainerVm vm = plan();
    ASSERT_EQ(vm.shared_mounts.size(), 1u);
    EXPECT_EQ(vm.shared_mounts[0].destination, "/data");
    EXPECT_TRUE(vm.shared_mounts[0].read_only);
    ASSERT_EQ(vm.spec.shares.size(), 2u);
    EXPECT_EQ(vm.spec.shares[1].tag, vm.shared_mounts[0].tag);
    ASSERT_EQ(vm.file_mounts.size(), 1u);
    EXPECT_EQ(vm.file_mounts[0].destination, "/etc/hosts");
    m_spec.mounts.push_back(MountSpec { "/x", "bind", (m_dir / "missing").string(), {} });
    EXPECT_EQ(error(),
        "config.json: the bind mount source " + (m_dir / "missing").string() + " does not exist");
    m_spec.mounts.pop_back();
    // Console, entropy, balloon, vsock and the root take 5 of the 16 slots.
    for (int i = 0; i < 10; ++i)
        m_spec.mounts.push_back(
            MountSpec { "/d" + std::to_string(i), "bind", (m_dir / "data").string(), {} });
    // The network device takes a slot: without one, a twelfth share fits.
    EXPECT_EQ(error(), "config.json: 11 directory bind mounts do not fit the VM (at most 10)");
    m_spec.namespaces = { { "network", "" } };
    EXPECT_EQ(plan().shared_mounts.size(), 11u);
    m_spec.mounts.push_back(MountSpec { "/d10", "bind", (m_dir / "data").string(), {} });
    EXPECT_EQ(error(), "config.json: 12 directory bind mounts do not fit the VM (at most 11)");
}

TEST_F(OciContainerVmTest, HostNetworkingGivesAUserNicInTheRuntimesNamespace)
{
    m_spec.namespaces = { { "pid", "" }, { "mount", "" } };
    const ContainerVm vm = plan();
    ASSERT_TRUE(vm.network);
    EXPECT_FALSE(vm.network->namespace_path);
    ASSERT_EQ(vm.spec.nets.size(), 1u);
    EXPECT_EQ(vm.spec.nets[0].kind, rvisor::machine::NetConfig::Kind::User);
    EXPECT_TRUE(vm.spec.nets[0].dns);
    EXPECT_TRUE(vm.spec.nets[0].hostfwds.empty());
}

TEST_F(OciContainerVmTest, ANewEmptyNetworkNamespaceGivesNoNic)
{
    m_spec.namespaces = { { "network", "" } };
    const ContainerVm vm = plan();
    EXPECT_FALSE(vm.network);
    EXPECT_TRUE(vm.spec.nets.empty());
}

TEST_F(OciContainerVmTest, ANamedNetworkNamespaceIsCheckedAndJoined)
{
    // This process's own namespace is a network namespace anyone may open.
    m_spec.namespaces = { { "network", "/proc/self/ns/net" } };
    const ContainerVm vm = plan();
    ASSERT_TRUE(vm.network);
    EXPECT_EQ(vm.network->namespace_path, "/proc/self/ns/net");
    EXPECT_EQ(vm.spec.nets.size(), 1u);
    m_spec.namespaces = { { "network", (m_dir / "no-such-netns").string() } };
    EXPECT_EQ(error(),
        "config.json: the network namespace " + (m_dir / "no-such-netns").string()
            + " does not exist");
    m_spec.namespaces = { { "network", (m_dir / "hosts").string() } };
    EXPECT_EQ(
        error(), "config.json: " + (m_dir / "hosts").string() + " is not a network namespace");
    m_spec.namespaces = { { "network", "/proc/self/ns/uts" } };
    EXPECT_EQ(error(), "config.json: /proc/self/ns/uts is not a network namespace");
}
