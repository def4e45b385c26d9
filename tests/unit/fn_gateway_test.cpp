#include "fn/gateway.h"

#include "api/vm_control.h"
#include "fn/function_platform.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>

using nlohmann::json;
using rvisor::api::ApiError;
using rvisor::fn::function_target;
using rvisor::fn::FunctionPlatform;
using rvisor::fn::FunctionTarget;
using rvisor::fn::Gateway;
using rvisor::fn::ListenAddress;
using rvisor::fn::parse_listen_address;

namespace {

void expect_address(const std::string& text, const std::string& host, uint16_t port)
{
    const ListenAddress address = parse_listen_address(text);
    EXPECT_EQ(address.host, host) << text;
    EXPECT_EQ(address.port, port) << text;
}

} // namespace

TEST(FnGatewayTest, ListenAddresses)
{
    expect_address("127.0.0.1:8080", "127.0.0.1", 8080);
    expect_address(":8080", "0.0.0.0", 8080);
    expect_address("[::1]:9000", "::1", 9000);
    expect_address("localhost:65535", "localhost", 65535);
    expect_address("127.0.0.1:0", "127.0.0.1", 0);
}

TEST(FnGatewayTest, BadListenAddressesRefused)
{
    for (const char* bad : { "8080", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:80x",
             "127.0.0.1:65536", "127.0.0.1:99999999999", "127.0.0.1:", "127.0.0.1:-1", ":" }) {
        try {
            parse_listen_address(bad);
            ADD_FAILURE() << bad << " was taken";
        } catch (const std::runtime_error& error) {
            // The sentence names what was given.
            EXPECT_NE(std::string(error.what()).find(bad), std::string::npos) << error.what();
        }
    }
}

namespace {

void expect_target(
    const std::string& request_target, const std::string& name, const std::string& path_and_query)
{
    const FunctionTarget target = function_target(request_target);
    EXPECT_EQ(target.name, name) << request_target;
    EXPECT_EQ(target.path_and_query, path_and_query) << request_target;
}

} // namespace

TEST(FnGatewayTest, FunctionTarget)
{
    expect_target("/fn/a", "a", "/");
    expect_target("/fn/a/", "a", "/");
    expect_target("/fn/a/x/y?q=1", "a", "/x/y?q=1");
    expect_target("/fn/a?q", "a", "/?q");
    expect_target("/fn/web-1/fn/web-1", "web-1", "/fn/web-1");
    // The rest goes as it came; only the name is decoded.
    expect_target("/fn/a/x%20y?q=%2F", "a", "/x%20y?q=%2F");
}

TEST(FnGatewayTest, PercentEncodedFunctionName)
{
    expect_target("/fn/a%2Db/x", "a-b", "/x");
    expect_target("/fn/%61%62c?q", "abc", "/?q");
    // An encoded slash stays in the name (which no function can have), not in the path.
    expect_target("/fn/a%2Fb/x", "a/b", "/x");
}

namespace {

class FnGatewayServeTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "rvisor-fn-gw-XXXXXX");
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        m_dir = pattern;
        std::filesystem::create_directories(m_dir / "rootfs");
    }
    void TearDown() override { std::filesystem::remove_all(m_dir); }

    std::filesystem::path m_dir;
};

} // namespace

TEST_F(FnGatewayServeTest, UnknownFunctionAndMissingImages)
{
    FunctionPlatform platform(
        m_dir / "state", "/nonexistent/rvisor", {}, "no kernel was found (a test's platform)");
    const Gateway gateway({ "127.0.0.1", 0 }, platform);
    ASSERT_TRUE(gateway.base_url().starts_with("http://127.0.0.1:")) << gateway.base_url();
    EXPECT_NE(gateway.base_url(), "http://127.0.0.1:0");
    httplib::Client client(gateway.base_url());
    client.set_read_timeout(10, 0);

    const auto unknown = client.Get("/fn/nope/");
    ASSERT_TRUE(unknown) << httplib::to_string(unknown.error());
    EXPECT_EQ(unknown->status, 404);
    const json fault = json::parse(unknown->body);
    ASSERT_TRUE(fault.contains("fault_message")) << unknown->body;
    EXPECT_NE(fault.at("fault_message").get<std::string>().find("\"nope\""), std::string::npos)
        << unknown->body;

    const auto elsewhere = client.Get("/functions");
    ASSERT_TRUE(elsewhere) << httplib::to_string(elsewhere.error());
    EXPECT_EQ(elsewhere->status, 404);
    EXPECT_TRUE(json::parse(elsewhere->body).contains("fault_message")) << elsewhere->body;

    const json body = { { "name", "hello" }, { "rootfs", (m_dir / "rootfs").string() },
        { "command", { "/bin/httpd", "-f" } } };
    try {
        platform.deploy(body);
        FAIL() << "deployed without images";
    } catch (const ApiError& error) {
        EXPECT_EQ(error.status(), 503);
        EXPECT_NE(std::string(error.what()).find("no kernel was found"), std::string::npos)
            << error.what();
    }
    // Nothing is left of the deploy that failed.
    EXPECT_EQ(platform.list(), json::array());
    EXPECT_FALSE(std::filesystem::exists(m_dir / "state" / "functions" / "hello"));
    const auto after = client.Get("/fn/hello/");
    ASSERT_TRUE(after) << httplib::to_string(after.error());
    EXPECT_EQ(after->status, 404);
}
