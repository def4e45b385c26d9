#include "vmm/fs_option.h"
#include "vmm/vm_spec_builder.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

using rvisor::machine::FsShareConfig;
using rvisor::vmm::format_fs_option;
using rvisor::vmm::parse_fs_option;

namespace {

// The message of the error parsing `text` raises, or "" when it parses.
std::string error_of(const std::string& text)
{
    try {
        parse_fs_option(text);
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST(FsOptionTest, PathAndTag)
{
    FsShareConfig config = parse_fs_option("/srv/rootfs,tag=rootfs");
    EXPECT_EQ(config.directory, "/srv/rootfs");
    EXPECT_EQ(config.tag, "rootfs");
    EXPECT_FALSE(config.read_only);
}

TEST(FsOptionTest, ReadOnlyInAnyPosition)
{
    EXPECT_TRUE(parse_fs_option("/srv/a,ro,tag=a").read_only);
    EXPECT_TRUE(parse_fs_option("/srv/a,tag=a,ro").read_only);
}

TEST(FsOptionTest, FormatReadsBack)
{
    for (const std::string text : { "/srv/a,tag=a", "/srv/a b,tag=x-y_z,ro" }) {
        FsShareConfig config = parse_fs_option(text);
        EXPECT_EQ(format_fs_option(config), text);
    }
}

TEST(FsOptionTest, MistakesAreNamed)
{
    EXPECT_EQ(error_of("/srv/a"),
        "--fs '/srv/a' needs tag=TAG, the name the guest mounts with mount -t virtiofs");
    EXPECT_EQ(error_of(",tag=a"), "--fs ',tag=a' names no directory");
    EXPECT_EQ(error_of("/srv/a,tag="), "--fs tag '' must be 1 to 36 bytes");
    EXPECT_EQ(error_of("/srv/a,tag=" + std::string(37, 't')),
        "--fs tag '" + std::string(37, 't') + "' must be 1 to 36 bytes");
    EXPECT_EQ(error_of("/srv/a,tag=a,rw"),
        "--fs option 'rw' is not one of tag=TAG, ro (in '/srv/a,tag=a,rw')");
    EXPECT_EQ(parse_fs_option("/srv/a,tag=" + std::string(36, 't')).tag, std::string(36, 't'));
}

TEST(FsOptionTest, ConfigKeyTakesOneOrManyAndRefusesTwoAlikeTags)
{
    rvisor::vmm::VmSpecBuilder builder;
    const auto key = [](const std::string& name) { return "--" + name; };
    builder.apply(
        { { "kernel", "/k" }, { "fs", { "a,tag=one", "/b,tag=two,ro" } } }, "/cfg", "", key);
    const auto spec = builder.spec();
    ASSERT_EQ(spec.shares.size(), 2u);
    EXPECT_EQ(spec.shares[0].directory, "/cfg/a");
    EXPECT_EQ(spec.shares[1].directory, "/b");
    EXPECT_TRUE(spec.shares[1].read_only);
    EXPECT_EQ(rvisor::vmm::spec_to_json(spec)["fs"],
        nlohmann::json({ "/cfg/a,tag=one", "/b,tag=two,ro" }));
    std::string error;
    try {
        builder.apply({ { "fs", { "/a,tag=t", "/b,tag=t" } } }, "/", "", key);
    } catch (const std::runtime_error& raised) {
        error = raised.what();
    }
    EXPECT_EQ(error, "--fs tag 't' is given to two shares; each needs its own");
}

TEST(FsOptionTest, SharesCountAgainstTheVirtioSlots)
{
    rvisor::vmm::VmSpecBuilder builder;
    nlohmann::json shares = nlohmann::json::array();
    // With the console and entropy devices, 14 shares fill the 16 slots; a 15th does not fit.
    for (int i = 0; i < 14; ++i)
        shares.push_back("/s,tag=t" + std::to_string(i));
    const auto apply = [&] {
        builder.apply({ { "kernel", "/k" }, { "fs", shares } }, "/", "",
            [](const std::string& name) { return "--" + name; });
    };
    apply();
    EXPECT_EQ(builder.spec().shares.size(), 14u);
    shares.push_back("/s,tag=t14");
    apply();
    EXPECT_THROW(builder.spec(), std::runtime_error);
}
