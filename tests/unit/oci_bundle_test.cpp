#include "oci/bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

using rvisor::oci::ContainerSpec;
using rvisor::oci::load_bundle;
using rvisor::oci::parse_container_spec;
using rvisor::oci::parse_process_spec;
using rvisor::oci::parse_resources_spec;

namespace {

// A config.json as Podman writes one, trimmed to what matters here.
constexpr const char* kConfig = R"({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 24, "width": 80},
    "user": {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 18},
    "args": ["/bin/sh", "-c", "echo hi"],
    "env": ["PATH=/usr/bin:/bin", "TERM=xterm"],
    "cwd": "/work",
    "capabilities": {"bounding": ["CAP_CHOWN"]},
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 512}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "box",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "rw"]},
    {"destination": "/etc/hosts", "source": "/run/hosts", "options": ["bind", "ro"]}
  ],
  "annotations": {"io.rvisor.cpus": "2"},
  "linux": {
    "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}],
    "resources": {"memory": {"limit": 268435456}, "cpu": {"quota": 150000, "period": 100000, "cpus": "0-1"}},
    "cgroupsPath": "machine.slice:libpod:abc",
    "seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}
  },
  "hooks": {"prestart": []}
})";

std::string error_of(const std::string& config)
{
    try {
        parse_container_spec(config, "/bundle");
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST(OciBundleTest, ReadsWhatTheRuntimeUses)
{
    const ContainerSpec spec = parse_container_spec(kConfig, "/bundle");
    EXPECT_EQ(spec.oci_version, "1.0.2-dev");
    EXPECT_EQ(spec.root, "/bundle/rootfs");
    EXPECT_TRUE(spec.root_readonly);
    ASSERT_TRUE(spec.process);
    EXPECT_TRUE(spec.process->terminal);
    ASSERT_TRUE(spec.process->console_size);
    EXPECT_EQ(spec.process->console_size->width, 80u);
    EXPECT_EQ(spec.process->user.uid, 1000u);
    EXPECT_EQ(spec.process->user.additional_gids, (std::vector<uint32_t> { 10, 20 }));
    EXPECT_EQ(spec.process->user.umask, 18u);
    EXPECT_EQ(spec.process->args.back(), "echo hi");
    EXPECT_EQ(spec.process->env.size(), 2u);
    EXPECT_EQ(spec.process->cwd, "/work");
    ASSERT_EQ(spec.process->rlimits.size(), 1u);
    EXPECT_EQ(spec.process->rlimits[0].soft, 512u);
    EXPECT_TRUE(spec.process->no_new_privileges);
    EXPECT_EQ(spec.hostname, "box");
    ASSERT_EQ(spec.mounts.size(), 3u);
    EXPECT_FALSE(spec.mounts[0].is_bind());
    EXPECT_TRUE(spec.mounts[1].is_bind());
    EXPECT_TRUE(spec.mounts[2].is_bind());
    EXPECT_EQ(spec.annotations.at("io.rvisor.cpus"), "2");
    ASSERT_NE(spec.namespace_of("network"), nullptr);
    EXPECT_EQ(spec.namespace_of("network")->path, "/run/netns/x");
    EXPECT_EQ(spec.namespace_of("ipc"), nullptr);
    EXPECT_EQ(spec.resources.memory_limit, 268435456);
    EXPECT_EQ(spec.resources.cpu_quota, 150000);
    EXPECT_EQ(spec.resources.cpu_period, 100000u);
    EXPECT_EQ(spec.resources.cpuset_cpus, "0-1");
    EXPECT_EQ(spec.cgroups_path, "machine.slice:libpod:abc");
}

TEST(OciBundleTest, ErrorsNameTheField)
{
    EXPECT_EQ(error_of("{"),
        "config.json is not valid JSON: parse error at line 1, column 2: syntax error while "
        "parsing object key "
        "- unexpected end of input; expected string literal");
    EXPECT_EQ(error_of(R"({"ociVersion": 1e99999})").substr(0, 52),
        "config.json is not valid JSON: number overflow parsi");
    EXPECT_EQ(error_of("[]"), "config.json: the document must be an object");
    EXPECT_EQ(error_of(R"({"root": {"path": "r"}})"), "config.json: ociVersion is missing");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": 7}})"),
        "config.json: root.path must be a string");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "process": {"args": ["sh"], "cwd": "/", "user": {"uid": "root", "gid": 0}}})"),
        "config.json: process.user.uid must be an integer");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "process": {"args": ["sh"], "cwd": "/", "user": {"uid": -1, "gid": 0}}})"),
        "config.json: process.user.uid must be an integer from 0 to 4294967295");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "process": {"args": [], "cwd": "/"}})"),
        "config.json: process.args is empty: name the program to run");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "process": {"args": ["sh"], "cwd": "work"}})"),
        "config.json: process.cwd 'work' must be an absolute path");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "mounts": [{"destination": "/a"}, {"destination": 3}]})"),
        "config.json: mounts[1].destination must be a string");
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"},
        "annotations": {"a": 1}})"),
        "config.json: annotations.a must be a string");
}

TEST(OciBundleTest, UnknownFieldsAreLeftAlone)
{
    EXPECT_EQ(error_of(R"({"ociVersion": "1.0.2", "root": {"path": "r"}, "vm": {"x": 1},
        "linux": {"intelRdt": {}, "resources": {"pids": {"limit": 5}}}})"),
        "");
}

TEST(OciBundleTest, ResourcesFileForUpdate)
{
    // As containerd sends it: every field, unset ones 0.
    const auto resources = parse_resources_spec(R"({"memory": {"limit": 134217728, "swap": 0,
        "reservation": 67108864}, "cpu": {"shares": 512, "quota": 0, "period": 0, "cpus": "",
        "mems": ""}, "pids": {"limit": 0}, "blockIO": {"weight": 300}, "devices": [],
        "hugepageLimits": [{"pageSize": "2MB", "limit": 0}]})");
    EXPECT_EQ(resources.memory_limit, 134217728);
    EXPECT_EQ(resources.cpu_shares, 512u);
    EXPECT_EQ(resources.cpu_quota, 0);
    EXPECT_EQ(resources.cpuset_cpus, "");
    EXPECT_EQ(resources.unhonoured,
        (std::vector<std::string> { "blockIO.weight", "hugepageLimits", "memory.reservation" }));
    try {
        parse_resources_spec(R"({"cpu": {"shares": -1}})");
        ADD_FAILURE() << "negative shares were taken";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(),
            "the resources file: cpu.shares must be an integer from 0 to 18446744073709551615");
    }
    EXPECT_THROW(parse_resources_spec("[]"), std::runtime_error);
    // config.json's resources read the same way.
    const ContainerSpec spec = parse_container_spec(R"({"ociVersion": "1.0.2", "root": {"path":
        "r"}, "linux": {"resources": {"cpu": {"shares": 2048, "quota": 150000}}}})",
        "/b");
    EXPECT_EQ(spec.resources.cpu_shares, 2048u);
    EXPECT_EQ(spec.resources.cpu_quota, 150000);
}

TEST(OciBundleTest, ProcessFileForExec)
{
    const auto process = parse_process_spec(R"({"args": ["ls"], "cwd": "/", "terminal": false})");
    EXPECT_EQ(process.args, std::vector<std::string> { "ls" });
    try {
        parse_process_spec(R"({"args": "ls", "cwd": "/"})");
        ADD_FAILURE() << "a string for args was taken";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "the process file: process.args must be an array");
    }
}

TEST(OciBundleTest, LoadChecksTheFilesAndTheRoot)
{
    const auto bundle
        = std::filesystem::temp_directory_path() / ("rvisor-bundle-" + std::to_string(::getpid()));
    std::filesystem::create_directories(bundle);
    auto message = [&] {
        try {
            load_bundle(bundle);
        } catch (const std::runtime_error& error) {
            return std::string(error.what());
        }
        return std::string();
    };
    EXPECT_EQ(message(), "bundle " + bundle.string() + " has no readable config.json");
    std::ofstream(bundle / "config.json") << kConfig;
    EXPECT_EQ(message(),
        "bundle " + bundle.string() + ": the root filesystem " + bundle.string()
            + "/rootfs does not exist or is not a directory");
    std::filesystem::create_directories(bundle / "rootfs");
    EXPECT_EQ(message(), "");
    std::ofstream(bundle / "config.json")
        << R"({"ociVersion": "1.0.2", "root": {"path": "rootfs"}})";
    EXPECT_EQ(message(), "bundle " + bundle.string() + ": config.json has no process to run");
    std::filesystem::remove_all(bundle);
}
