#include "oci/vm_template.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

using rvisor::oci::PendingTemplate;
using rvisor::oci::template_identity;
using rvisor::oci::TemplateCache;
using rvisor::oci::VmTemplate;

namespace {

class OciVmTemplateTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::filesystem::create_directories(m_dir / "root");
        std::ofstream(m_dir / "Image") << "kernel";
        std::ofstream(m_dir / "rvisor") << "vmm";
        m_spec.kernel = m_dir / "Image";
        m_spec.vsock = rvisor::machine::VsockConfig { 3, m_dir / "a" / "vsock.sock" };
        m_spec.shares.push_back({ m_dir / "a" / "rootfs", "rootfs", false });
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::string identity() const { return template_identity(m_spec, m_dir / "rvisor"); }

    // A template written as the monitor writes one: the snapshot's two files, then publish().
    static bool write(PendingTemplate& pending, const std::string& marker)
    {
        const VmTemplate files = pending.files();
        std::ofstream(files.state_file) << marker;
        std::ofstream(files.memory_file) << marker;
        return pending.publish();
    }
    static std::string read(const std::filesystem::path& path)
    {
        std::ifstream file(path);
        return { std::istreambuf_iterator<char>(file), {} };
    }

    const std::filesystem::path m_dir = std::filesystem::temp_directory_path()
        / ("rvisor-vm-template-" + std::to_string(::getpid()));
    rvisor::machine::VmSpec m_spec;
};

} // namespace

TEST_F(OciVmTemplateTest, IdentityLeavesOutEachContainersOwnPaths)
{
    const std::string first = identity();
    m_spec.vsock->uds = m_dir / "b" / "vsock.sock";
    m_spec.shares[0].directory = m_dir / "b" / "rootfs";
    m_spec.shares[0].read_only = true;
    EXPECT_EQ(identity(), first);
}

TEST_F(OciVmTemplateTest, IdentityFollowsTheMachineAndItsFiles)
{
    const std::string first = identity();
    auto changes = [&](auto change) {
        const rvisor::machine::VmSpec saved = m_spec;
        change();
        const bool changed = identity() != first;
        m_spec = saved;
        return changed;
    };
    EXPECT_TRUE(changes([&] { m_spec.memory *= 2; }));
    EXPECT_TRUE(changes([&] { m_spec.cpus = 2; }));
    EXPECT_TRUE(changes([&] { m_spec.append = "quiet"; }));
    EXPECT_TRUE(changes([&] { m_spec.shares.push_back({ m_dir, "bind0", false }); }));
    EXPECT_TRUE(changes([&] { m_spec.shares[0].tag = "root"; }));
    EXPECT_TRUE(changes([&] { m_spec.initrds.push_back(m_dir / "Image"); }));
    // A rebuilt kernel (another size) retires the templates made with the old one.
    EXPECT_TRUE(changes([&] { std::ofstream(m_dir / "Image") << "a longer kernel"; }));
    EXPECT_TRUE(changes([&] { std::ofstream(m_dir / "rvisor") << "another vmm"; }));
}

TEST_F(OciVmTemplateTest, PublishedTemplatesAreFoundByTheirIdentity)
{
    const TemplateCache cache(m_dir / "root");
    EXPECT_FALSE(cache.find(identity()));
    PendingTemplate pending = cache.prepare(identity());
    EXPECT_FALSE(cache.find(identity())) << "a template is found before it is published";
    EXPECT_TRUE(write(pending, "first"));
    const auto found = cache.find(identity());
    ASSERT_TRUE(found);
    EXPECT_EQ(read(found->state_file), "first");
    EXPECT_EQ(found->state_file.parent_path().parent_path(), m_dir / "root" / "@templates");

    m_spec.cpus = 4;
    EXPECT_FALSE(cache.find(identity()));
}

TEST_F(OciVmTemplateTest, TheFirstOfTwoRacingTemplatesStays)
{
    const TemplateCache cache(m_dir / "root");
    {
        PendingTemplate first = cache.prepare(identity());
        // Another monitor (another process: pending directories are per process).
        const pid_t other = ::fork();
        if (other == 0) {
            PendingTemplate second = cache.prepare(identity());
            ::_exit(write(second, "second") ? 0 : 1);
        }
        int status = 0;
        ASSERT_EQ(::waitpid(other, &status, 0), other);
        ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        EXPECT_FALSE(write(first, "first"));
    }
    EXPECT_EQ(read(cache.find(identity())->state_file), "second");
    size_t entries = 0;
    for ([[maybe_unused]] const auto& entry :
        std::filesystem::directory_iterator(m_dir / "root" / "@templates"))
        ++entries;
    EXPECT_EQ(entries, 1u) << "the losing copy was left behind";
}

TEST_F(OciVmTemplateTest, AnotherIdentityUnderTheSameNameIsNotUsed)
{
    const TemplateCache cache(m_dir / "root");
    PendingTemplate pending = cache.prepare(identity());
    ASSERT_TRUE(write(pending, "t"));
    const auto found = cache.find(identity());
    ASSERT_TRUE(found);
    // As if two identities hashed alike: identity.json settles it.
    std::ofstream(found->state_file.parent_path() / "identity.json") << "{}\n";
    EXPECT_FALSE(cache.find(identity()));
}

TEST_F(OciVmTemplateTest, LeftoversOfDeadWritersAreRemoved)
{
    const TemplateCache cache(m_dir / "root");
    const pid_t dead = ::fork();
    if (dead == 0)
        ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    const auto leftover = m_dir / "root" / "@templates" / (".pending-0123-" + std::to_string(dead));
    std::filesystem::create_directories(leftover);
    const auto alive
        = m_dir / "root" / "@templates" / (".pending-0123-" + std::to_string(::getppid()));
    std::filesystem::create_directories(alive);
    PendingTemplate pending = cache.prepare(identity());
    EXPECT_FALSE(std::filesystem::exists(leftover));
    EXPECT_TRUE(std::filesystem::exists(alive)) << "a live writer's directory was removed";
}

TEST_F(OciVmTemplateTest, TemplatesOfRebuiltFilesAreRemoved)
{
    const TemplateCache cache(m_dir / "root");
    PendingTemplate old_kernel = cache.prepare(identity());
    ASSERT_TRUE(write(old_kernel, "old"));
    m_spec.memory *= 2;
    PendingTemplate other_shape = cache.prepare(identity());
    ASSERT_TRUE(write(other_shape, "other"));
    const auto kept = cache.find(identity());
    ASSERT_TRUE(kept);

    m_spec.memory /= 2;
    const std::string before = identity();
    std::ofstream(m_dir / "Image") << "the kernel, rebuilt";
    const auto retired = cache.find(before);
    ASSERT_TRUE(retired) << "found by the identity it was made with";
    PendingTemplate fresh = cache.prepare(identity());
    EXPECT_FALSE(std::filesystem::exists(retired->state_file.parent_path()));
    EXPECT_FALSE(std::filesystem::exists(kept->state_file.parent_path()))
        << "the other shape used the same kernel: it is retired too";
}

TEST_F(OciVmTemplateTest, AnUnpublishedTemplateIsRemoved)
{
    const TemplateCache cache(m_dir / "root");
    std::filesystem::path directory;
    {
        PendingTemplate pending = cache.prepare(identity());
        directory = pending.files().state_file.parent_path();
        EXPECT_TRUE(std::filesystem::is_directory(directory));
    }
    EXPECT_FALSE(std::filesystem::exists(directory));
}
