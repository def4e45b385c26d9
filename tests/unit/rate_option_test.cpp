#include "vmm/net_option.h"
#include "vmm/rate_option.h"
#include "vmm/vm_spec_builder.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using rvisor::vmm::format_bandwidth;
using rvisor::vmm::parse_bandwidth;
using rvisor::vmm::parse_iops;

namespace {

template <typename Parse> std::string error_of(Parse&& parse)
{
    try {
        parse();
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "";
}

} // namespace

TEST(RateOptionTest, BandwidthSuffixesArePowersOf1024)
{
    EXPECT_EQ(parse_bandwidth("4096", "--disk"), 4096u);
    EXPECT_EQ(parse_bandwidth("512K", "--disk"), 512u << 10);
    EXPECT_EQ(parse_bandwidth("10M", "--disk"), 10u << 20);
    EXPECT_EQ(parse_bandwidth("10m", "--disk"), 10u << 20);
    EXPECT_EQ(parse_bandwidth("2G", "--net"), 2ull << 30);
    EXPECT_EQ(parse_bandwidth("1024G", "--net"), 1ull << 40);
}

TEST(RateOptionTest, ZeroGarbageAndHugeRatesAreRefusedNamingTheOption)
{
    for (const char* bad : { "0", "0M", "", "M", "ten", "10 M", "10MB", "-1", "1.5M", "1025G",
             "99999999999999999999", "0x10" }) {
        const std::string message = error_of([&] { parse_bandwidth(bad, "--disk"); });
        EXPECT_EQ(message.rfind(std::string("--disk bw='") + bad + "'", 0), 0u) << bad;
    }
    for (const char* bad : { "0", "", "1k", "1000001", "-5", "2.5" }) {
        const std::string message = error_of([&] { parse_iops(bad, "--disk"); });
        EXPECT_EQ(message.rfind(std::string("--disk iops='") + bad + "'", 0), 0u) << bad;
    }
    EXPECT_EQ(parse_iops("500", "--disk"), 500u);
}

TEST(RateOptionTest, FormatReadsBackExactly)
{
    for (uint64_t rate :
        { 1ull, 1000ull, 1024ull, 1536ull, 10ull << 20, (10ull << 20) + 1, 3ull << 30, 1ull << 40 })
        EXPECT_EQ(parse_bandwidth(format_bandwidth(rate), "--disk"), rate) << rate;
    EXPECT_EQ(format_bandwidth(10 << 20), "10M");
    EXPECT_EQ(format_bandwidth(1536), "1536");
}

TEST(RateOptionTest, DiskAndNetOptionsCarryLimitsBothWays)
{
    const auto disk = rvisor::vmm::parse_disk_option("/a.img,ro,iops=500,bw=10M");
    EXPECT_EQ(disk.limit.ops_per_second, 500u);
    EXPECT_EQ(disk.limit.bytes_per_second, 10u << 20);
    EXPECT_EQ(rvisor::vmm::format_disk_option(disk), "/a.img,ro,iops=500,bw=10M");

    const auto net = rvisor::vmm::parse_net_option("user,bw=1M");
    EXPECT_EQ(net.bandwidth, 1u << 20);
    EXPECT_EQ(
        rvisor::vmm::parse_net_option(rvisor::vmm::format_net_option(net)).bandwidth, 1u << 20);
    EXPECT_EQ(rvisor::vmm::parse_net_option("tap,ifname=tap0,bw=2048").bandwidth, 2048u);

    EXPECT_NE(error_of([] { rvisor::vmm::parse_disk_option("/a.img,bw=0"); }).find("--disk bw='0'"),
        std::string::npos);
    EXPECT_NE(error_of([] { rvisor::vmm::parse_net_option("user,bw=fast"); }).find("--net bw="),
        std::string::npos);
    EXPECT_NE(error_of([] { rvisor::vmm::parse_disk_option("/a.img,rate=1"); }).find("iops=N"),
        std::string::npos);
}

TEST(RateOptionTest, LimitsSurviveTheSpecRoundTrip)
{
    rvisor::vmm::VmSpecBuilder builder;
    builder.apply({ { "kernel", "/Image" }, { "disks", { "/a.img,iops=100,bw=1536" } },
                      { "nets", { "user,bw=20M" } } },
        "/", "", [](const std::string& key) { return key; });
    const auto saved = rvisor::vmm::spec_to_json(builder.spec());
    rvisor::vmm::VmSpecBuilder again;
    again.apply(saved, "/", "", [](const std::string& key) { return key; });
    const auto spec = again.spec();
    EXPECT_EQ(spec.disks[0].limit.ops_per_second, 100u);
    EXPECT_EQ(spec.disks[0].limit.bytes_per_second, 1536u);
    EXPECT_EQ(spec.nets[0].bandwidth, 20u << 20);
    EXPECT_EQ(rvisor::vmm::spec_to_json(spec), saved);
}
