#include "agent/mount_options.h"

#include <gtest/gtest.h>
#include <sys/mount.h>

using namespace rvisor::agent;

TEST(AgentMountOptions, FlagsAndDataOfATmpfs)
{
    MountOptions options
        = parse_mount_options({ "nosuid", "nodev", "noexec", "relatime", "mode=1777", "size=1m" });
    EXPECT_EQ(options.flags, MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    EXPECT_EQ(options.data, "mode=1777,size=1m");
    EXPECT_TRUE(options.propagation.empty());
    EXPECT_FALSE(options.is_bind());
    EXPECT_FALSE(options.needs_bind_remount());
}

TEST(AgentMountOptions, DevptsOptionsAreData)
{
    MountOptions options = parse_mount_options(
        { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" });
    EXPECT_EQ(options.flags, MS_NOSUID | MS_NOEXEC);
    EXPECT_EQ(options.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
}

TEST(AgentMountOptions, ReadOnlyBindNeedsARemount)
{
    MountOptions options = parse_mount_options({ "bind", "ro" });
    EXPECT_TRUE(options.is_bind());
    EXPECT_TRUE(options.needs_bind_remount());
    EXPECT_EQ(options.bind_remount_flags(), MS_REMOUNT | MS_BIND | MS_RDONLY);
    EXPECT_EQ(options.data, "");
}

TEST(AgentMountOptions, PlainRecursiveBindNeedsNoRemount)
{
    MountOptions options = parse_mount_options({ "rbind", "rprivate" });
    EXPECT_EQ(options.flags, MS_BIND | MS_REC);
    EXPECT_FALSE(options.needs_bind_remount());
    EXPECT_EQ(options.propagation, (std::vector<unsigned long> { MS_PRIVATE | MS_REC }));
    // A recursive bind remounted read-only: the remount itself is of the one mount.
    MountOptions read_only = parse_mount_options({ "rbind", "ro", "nosuid" });
    EXPECT_EQ(read_only.bind_remount_flags(), MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID);
}

TEST(AgentMountOptions, LaterOptionsWin)
{
    EXPECT_EQ(parse_mount_options({ "ro", "rw" }).flags, 0u);
    EXPECT_EQ(parse_mount_options({ "rw", "ro" }).flags, MS_RDONLY);
    EXPECT_EQ(parse_mount_options({ "nosuid", "suid", "strictatime" }).flags, MS_STRICTATIME);
    EXPECT_EQ(parse_mount_options({ "defaults", "" }).flags, 0u);
    EXPECT_EQ(parse_mount_options({ "defaults", "" }).data, "");
}

TEST(AgentMountOptions, EveryPropagationInOrder)
{
    MountOptions options = parse_mount_options(
        { "private", "shared", "rslave", "runbindable", "rshared", "slave", "unbindable" });
    EXPECT_EQ(options.propagation,
        (std::vector<unsigned long> { MS_PRIVATE, MS_SHARED, MS_SLAVE | MS_REC,
            MS_UNBINDABLE | MS_REC, MS_SHARED | MS_REC, MS_SLAVE, MS_UNBINDABLE }));
    EXPECT_EQ(options.flags, 0u);
}
