#include "fn/function_spec.h"

#include "api/vm_control.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

using nlohmann::json;
using rvisor::api::ApiError;
using rvisor::fn::function_spec_json;
using rvisor::fn::FunctionSpec;
using rvisor::fn::parse_function_spec;
using rvisor::fn::valid_function_name;

namespace {

class FnFunctionSpecTest : public testing::Test {
protected:
    void SetUp() override
    {
        std::string pattern = (std::filesystem::temp_directory_path() / "rvisor-fn-spec-XXXXXX");
        if (!::mkdtemp(pattern.data()))
            throw std::runtime_error("mkdtemp failed");
        m_rootfs = pattern;
    }
    void TearDown() override { std::filesystem::remove_all(m_rootfs); }

    // The smallest body accepted, with `extra` fields (JSON text without braces) added. Bodies
    // are parsed from text, as the API gets them: nlohmann's literals of non-negative integers
    // are signed, which the parser's numbers are not.
    json body(const std::string& extra = {}) const
    {
        return json::parse(
            fmt::format(R"({{"name": "hello", "rootfs": "{}", "command": ["/bin/httpd"]{}{}}})",
                m_rootfs.string(), extra.empty() ? "" : ", ", extra));
    }

    // The status and message of the ApiError parsing `value` throws; status 0 when it parses.
    static std::pair<int, std::string> refusal(const json& value, const std::string& name = {})
    {
        try {
            parse_function_spec(value, name);
        } catch (const ApiError& error) {
            return { error.status(), error.what() };
        }
        return { 0, "" };
    }

    // Expects a 400 whose message has `field` in it.
    static void expect_refused(
        const json& value, const std::string& field, const std::string& name = {})
    {
        const auto [status, message] = refusal(value, name);
        EXPECT_EQ(status, 400) << value.dump();
        EXPECT_NE(message.find(field), std::string::npos)
            << "\"" << message << "\" does not name " << field << " for " << value.dump();
    }

    std::filesystem::path m_rootfs;
};

} // namespace

TEST_F(FnFunctionSpecTest, Defaults)
{
    const FunctionSpec spec = parse_function_spec(body());
    EXPECT_EQ(spec.name, "hello");
    EXPECT_EQ(spec.rootfs, m_rootfs);
    EXPECT_EQ(spec.image, "");
    EXPECT_EQ(spec.command, std::vector<std::string> { "/bin/httpd" });
    EXPECT_TRUE(spec.env.empty());
    EXPECT_EQ(spec.port, 8080);
    EXPECT_EQ(spec.readiness_path, "/");
    EXPECT_EQ(spec.cpus, 1u);
    EXPECT_EQ(spec.mem_mib, 128u);
    EXPECT_EQ(spec.concurrency, 1u);
    EXPECT_EQ(spec.min_instances, 0u);
    EXPECT_EQ(spec.max_instances, 16u);
    EXPECT_EQ(spec.max_queue, 1000u);
    EXPECT_EQ(spec.idle_timeout_s, 30u);
    EXPECT_EQ(spec.timeout_s, 30u);
    EXPECT_EQ(spec.warmup.path, "/");
    EXPECT_EQ(spec.warmup.requests, 3u);
}

TEST_F(FnFunctionSpecTest, EveryFieldAccepted)
{
    const FunctionSpec spec = parse_function_spec(json::parse(R"({
        "name": "Web_fn-2", "image": "docker.io/library/busybox:latest",
        "command": ["/bin/busybox", "httpd", "-f", ""], "env": {"A": "1", "EMPTY": ""},
        "port": 9000, "readiness_path": "/ready?x=1", "cpus": 4, "mem_mib": 512,
        "concurrency": 8, "min_instances": 2, "max_instances": 5, "max_queue": 0,
        "idle_timeout_s": 600, "timeout_s": 5, "warmup": {"path": "/warm", "requests": 0}})"));
    EXPECT_EQ(spec.name, "Web_fn-2");
    EXPECT_EQ(spec.rootfs, std::filesystem::path());
    EXPECT_EQ(spec.image, "docker.io/library/busybox:latest");
    EXPECT_EQ(spec.command, (std::vector<std::string> { "/bin/busybox", "httpd", "-f", "" }));
    EXPECT_EQ(spec.env, (std::map<std::string, std::string> { { "A", "1" }, { "EMPTY", "" } }));
    EXPECT_EQ(spec.port, 9000);
    EXPECT_EQ(spec.readiness_path, "/ready?x=1");
    EXPECT_EQ(spec.cpus, 4u);
    EXPECT_EQ(spec.mem_mib, 512u);
    EXPECT_EQ(spec.concurrency, 8u);
    EXPECT_EQ(spec.min_instances, 2u);
    EXPECT_EQ(spec.max_instances, 5u);
    EXPECT_EQ(spec.max_queue, 0u);
    EXPECT_EQ(spec.idle_timeout_s, 600u);
    EXPECT_EQ(spec.timeout_s, 5u);
    EXPECT_EQ(spec.warmup.path, "/warm");
    EXPECT_EQ(spec.warmup.requests, 0u);
}

TEST_F(FnFunctionSpecTest, RangeEndsAccepted)
{
    const FunctionSpec low = parse_function_spec(body(R"("port": 1, "cpus": 1, "mem_mib": 32,
        "min_instances": 1, "max_instances": 1, "idle_timeout_s": 1, "timeout_s": 1)"));
    EXPECT_EQ(low.port, 1);
    EXPECT_EQ(low.mem_mib, 32u);
    EXPECT_EQ(low.min_instances, 1u);
    EXPECT_EQ(low.max_instances, 1u);
    const FunctionSpec high = parse_function_spec(body(R"("port": 65535, "cpus": 32,
        "mem_mib": 16384, "concurrency": 1000, "max_instances": 1000, "min_instances": 1000,
        "max_queue": 100000, "idle_timeout_s": 86400, "timeout_s": 3600)"));
    EXPECT_EQ(high.port, 65535);
    EXPECT_EQ(high.cpus, 32u);
    EXPECT_EQ(high.mem_mib, 16384u);
    EXPECT_EQ(high.min_instances, 1000u);
    EXPECT_EQ(high.max_queue, 100000u);
}

TEST_F(FnFunctionSpecTest, NameRule)
{
    EXPECT_TRUE(valid_function_name("a"));
    EXPECT_TRUE(valid_function_name("Az09_-"));
    EXPECT_TRUE(valid_function_name(std::string(64, 'x')));
    EXPECT_FALSE(valid_function_name(""));
    EXPECT_FALSE(valid_function_name(std::string(65, 'x')));
    for (const char* bad : { "a.b", "a/b", "a b", "..", "é", "a\nb" })
        EXPECT_FALSE(valid_function_name(bad)) << bad;
}

TEST_F(FnFunctionSpecTest, RequiredFieldsRefused)
{
    json without_name = body();
    without_name.erase("name");
    expect_refused(without_name, "\"name\"");
    json without_command = body();
    without_command.erase("command");
    expect_refused(without_command, "\"command\"");
    expect_refused(json::array(), "object");
    expect_refused("text", "object");
}

TEST_F(FnFunctionSpecTest, RootfsOrImage)
{
    json neither = body();
    neither.erase("rootfs");
    expect_refused(neither, "\"rootfs\" and \"image\"");
    expect_refused(body(R"("image": "busybox")"), "\"rootfs\" and \"image\"");
    json relative = body();
    relative["rootfs"] = "rootfs/dir";
    expect_refused(relative, "\"rootfs\"");
    json missing = body();
    missing["rootfs"] = (m_rootfs / "absent").string();
    expect_refused(missing, (m_rootfs / "absent").string());
    const std::filesystem::path file = m_rootfs / "file";
    std::ofstream(file) << "not a directory\n";
    json not_directory = body();
    not_directory["rootfs"] = file.string();
    expect_refused(not_directory, file.string());
    json empty_image = neither;
    empty_image["image"] = "";
    expect_refused(empty_image, "\"image\"");
}

TEST_F(FnFunctionSpecTest, UnknownFieldsRefused)
{
    expect_refused(body(R"("memory": 128)"), "\"memory\"");
    expect_refused(body(R"("warmup": {"path": "/", "count": 2})"), "\"count\"");
}

TEST_F(FnFunctionSpecTest, WrongTypesRefused)
{
    const std::pair<const char*, const char*> cases[] = {
        { R"("name": 7)", "\"name\"" },
        { R"("name": "")", "\"name\"" },
        { R"("rootfs": 7)", "\"rootfs\"" },
        { R"("command": "/bin/httpd")", "\"command\"" },
        { R"("command": [])", "\"command\"" },
        { R"("command": ["/bin/httpd", 1])", "\"command\"" },
        { R"("command": [""])", "\"command\"" },
        { R"("command": ["/bin/a\u0000b"])", "\"command\"" },
        { R"("env": ["A=1"])", "\"env\"" },
        { R"("env": {"A=B": "1"})", "env.A=B" },
        { R"("env": {"": "1"})", "env." },
        { R"("env": {"A": 1})", "env.A" },
        { R"("env": {"A": null})", "env.A" },
        { R"("port": "8080")", "\"port\"" },
        { R"("port": 8080.5)", "\"port\"" },
        { R"("port": -1)", "\"port\"" },
        { R"("cpus": true)", "\"cpus\"" },
        { R"("readiness_path": 1)", "\"readiness_path\"" },
        { R"("warmup": [])", "\"warmup\"" },
        { R"("warmup": {"requests": "3"})", "\"warmup.requests\"" },
        { R"("warmup": {"path": 3})", "\"warmup.path\"" },
    };
    for (const auto& [extra, field] : cases) {
        json value = body();
        value.update(json::parse(fmt::format("{{{}}}", extra)));
        expect_refused(value, field);
    }
}

TEST_F(FnFunctionSpecTest, OutOfRangeRefused)
{
    const std::pair<const char*, const char*> cases[] = {
        { R"("port": 0)", "\"port\"" },
        { R"("port": 65536)", "\"port\"" },
        { R"("cpus": 0)", "\"cpus\"" },
        { R"("cpus": 33)", "\"cpus\"" },
        { R"("mem_mib": 31)", "\"mem_mib\"" },
        { R"("mem_mib": 16385)", "\"mem_mib\"" },
        { R"("concurrency": 0)", "\"concurrency\"" },
        { R"("concurrency": 1001)", "\"concurrency\"" },
        { R"("max_instances": 0)", "\"max_instances\"" },
        { R"("max_instances": 1001)", "\"max_instances\"" },
        { R"("min_instances": 3, "max_instances": 2)", "\"min_instances\"" },
        { R"("min_instances": 17)", "\"min_instances\"" },
        { R"("max_queue": 100001)", "\"max_queue\"" },
        { R"("idle_timeout_s": 0)", "\"idle_timeout_s\"" },
        { R"("idle_timeout_s": 86401)", "\"idle_timeout_s\"" },
        { R"("timeout_s": 0)", "\"timeout_s\"" },
        { R"("timeout_s": 3601)", "\"timeout_s\"" },
        { R"("warmup": {"requests": 1001})", "\"warmup.requests\"" },
        { R"("port": 18446744073709551616)", "\"port\"" },
    };
    for (const auto& [extra, field] : cases) {
        json value = body();
        value.update(json::parse(fmt::format("{{{}}}", extra)));
        expect_refused(value, field);
    }
}

TEST_F(FnFunctionSpecTest, PathsMustBeginWithSlash)
{
    expect_refused(body(R"("readiness_path": "ready")"), "\"readiness_path\"");
    expect_refused(body(R"("readiness_path": "")"), "\"readiness_path\"");
    expect_refused(body(R"("readiness_path": "/a b")"), "\"readiness_path\"");
    expect_refused(body(R"("readiness_path": "/a\r\nX: y")"), "\"readiness_path\"");
    expect_refused(body(R"("warmup": {"path": "warm"})"), "\"warmup.path\"");
}

TEST_F(FnFunctionSpecTest, NamesAreChecked)
{
    for (const char* bad : { "a.b", "a/b", "../x" }) {
        json value = body();
        value["name"] = bad;
        expect_refused(value, bad);
    }
    json without_name = body();
    without_name.erase("name");
    expect_refused(without_name, "\"a/b\"", "a/b");
}

TEST_F(FnFunctionSpecTest, PutTakesTheNameFromThePath)
{
    json without_name = body();
    without_name.erase("name");
    EXPECT_EQ(parse_function_spec(without_name, "other").name, "other");
    EXPECT_EQ(parse_function_spec(body(), "hello").name, "hello");
    expect_refused(body(), "\"other\"", "other");
}

TEST_F(FnFunctionSpecTest, RoundTrip)
{
    const FunctionSpec with_rootfs = parse_function_spec(body(R"("env": {"K": "v w"},
        "port": 81, "readiness_path": "/r", "cpus": 2, "mem_mib": 256, "concurrency": 3,
        "min_instances": 1, "max_instances": 4, "max_queue": 7, "idle_timeout_s": 9,
        "timeout_s": 11, "warmup": {"path": "/w", "requests": 5})"));
    json image_body = body(R"("command": ["/bin/sh", "-c", "exec httpd"])");
    image_body.erase("rootfs");
    image_body["image"] = "localhost/fn:1";
    const FunctionSpec with_image = parse_function_spec(image_body);
    for (const FunctionSpec& spec : { with_rootfs, with_image }) {
        // Through text, as function.json keeps it.
        const FunctionSpec back = parse_function_spec(json::parse(function_spec_json(spec).dump()));
        EXPECT_EQ(back.name, spec.name);
        EXPECT_EQ(back.rootfs, spec.rootfs);
        EXPECT_EQ(back.image, spec.image);
        EXPECT_EQ(back.command, spec.command);
        EXPECT_EQ(back.env, spec.env);
        EXPECT_EQ(back.port, spec.port);
        EXPECT_EQ(back.readiness_path, spec.readiness_path);
        EXPECT_EQ(back.cpus, spec.cpus);
        EXPECT_EQ(back.mem_mib, spec.mem_mib);
        EXPECT_EQ(back.concurrency, spec.concurrency);
        EXPECT_EQ(back.min_instances, spec.min_instances);
        EXPECT_EQ(back.max_instances, spec.max_instances);
        EXPECT_EQ(back.max_queue, spec.max_queue);
        EXPECT_EQ(back.idle_timeout_s, spec.idle_timeout_s);
        EXPECT_EQ(back.timeout_s, spec.timeout_s);
        EXPECT_EQ(back.warmup.path, spec.warmup.path);
        EXPECT_EQ(back.warmup.requests, spec.warmup.requests);
    }
    EXPECT_EQ(with_rootfs.port, 81);
    EXPECT_EQ(with_image.image, "localhost/fn:1");
    // Unparsed: function_spec_json's numbers are unsigned, as the parser's are.
    const FunctionSpec again = parse_function_spec(function_spec_json(with_rootfs));
    EXPECT_EQ(again.max_queue, 7u);
}
