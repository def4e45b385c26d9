#include "api/api_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

using nlohmann::json;
using rvisor::api::ApiError;
using rvisor::api::ApiServer;
using rvisor::api::VmControl;

namespace {

class FakeVm final : public VmControl {
public:
    json describe() override
    {
        record("describe");
        return { { "state", m_paused ? "Paused" : "Running" }, { "cpus", 2 }, { "mem_mib", 128 },
            { "engine", "interp" }, { "disks", 1 }, { "nets", 0 }, { "net_rx_bytes", 0 },
            { "net_tx_bytes", 0 } };
    }
    void pause() override
    {
        record("pause");
        m_paused = true;
    }
    void resume() override
    {
        record("resume");
        m_paused = false;
    }
    void change_rate_limits(std::span<const rvisor::api::DeviceLimitChange> disks,
        std::span<const rvisor::api::DeviceLimitChange> nets) override
    {
        auto limit = [](const std::optional<uint64_t>& value) {
            return value ? std::to_string(*value) : std::string("-");
        };
        std::string call = "change_rate_limits";
        for (const auto& change : disks)
            call += " disk" + std::to_string(change.index) + " iops=" + limit(change.ops_per_second)
                + " bw=" + limit(change.bytes_per_second);
        for (const auto& change : nets)
            call += " net" + std::to_string(change.index) + " bw=" + limit(change.bytes_per_second);
        record(call);
    }
    void create_snapshot(
        const std::filesystem::path& state_file, const std::filesystem::path& memory_file) override
    {
        record("create_snapshot " + state_file.string() + " " + memory_file.string());
    }
    json describe_balloon() override
    {
        record("describe_balloon");
        return { { "amount_mib", m_balloon_mib }, { "actual_mib", m_balloon_mib },
            { "deflate_on_oom", true } };
    }
    void set_balloon(uint64_t amount_mib) override
    {
        record("set_balloon " + std::to_string(amount_mib));
        m_balloon_mib = amount_mib;
    }
    void shutdown() override { record("shutdown"); }

    // The next call throws this instead of doing anything.
    void fail_next_call(std::function<void()> thrower)
    {
        std::scoped_lock lock(m_mutex);
        m_thrower = std::move(thrower);
    }
    std::vector<std::string> calls()
    {
        std::scoped_lock lock(m_mutex);
        return m_calls;
    }

private:
    void record(const std::string& call)
    {
        std::scoped_lock lock(m_mutex);
        if (m_thrower) {
            auto thrower = std::exchange(m_thrower, nullptr);
            thrower();
        }
        m_calls.push_back(call);
    }

    std::mutex m_mutex;
    std::vector<std::string> m_calls;
    std::function<void()> m_thrower;
    uint64_t m_balloon_mib = 0;
    bool m_paused = false;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // Names lowercased.
    std::string body;

    std::string header(const std::string& name) const
    {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    json body_json() const { return json::parse(body); }
};

sockaddr_un address_of(const std::filesystem::path& path)
{
    sockaddr_un address {};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    return address;
}

// Writes `raw` to a fresh connection and reads until the server closes it.
std::optional<std::string> send_raw(
    const std::filesystem::path& socket_path, const std::string& raw)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return std::nullopt;
    auto address = address_of(socket_path);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        close(fd);
        return std::nullopt;
    }
    // The server may answer (413) and stop reading before the whole request is written, so a
    // failed write is no failure here: the response is what counts.
    for (size_t sent = 0; sent < raw.size();) {
        auto count = send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
        if (count <= 0)
            break;
        sent += static_cast<size_t>(count);
    }
    std::string received;
    char buffer[4096];
    while (true) {
        auto count = recv(fd, buffer, sizeof(buffer), 0);
        if (count <= 0)
            break;
        received.append(buffer, static_cast<size_t>(count));
    }
    close(fd);
    return received;
}

HttpResponse parse_response(const std::string& text)
{
    HttpResponse response;
    auto header_end = text.find("\r\n\r\n");
    if (header_end == std::string::npos)
        return response;
    auto status_end = text.find("\r\n");
    // "HTTP/1.1 204 No Content"
    auto status_line = text.substr(0, status_end);
    auto space = status_line.find(' ');
    if (space == std::string::npos)
        return response;
    response.status = std::atoi(status_line.c_str() + space + 1);
    for (size_t line = status_end + 2; line < header_end;) {
        auto end = text.find("\r\n", line);
        auto header = text.substr(line, end - line);
        auto colon = header.find(':');
        if (colon != std::string::npos) {
            auto name = header.substr(0, colon);
            for (auto& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            auto value = header.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[name] = value;
        }
        line = end + 2;
    }
    response.body = text.substr(header_end + 4);
    auto length = response.header("content-length");
    if (!length.empty())
        response.body.resize(std::min(response.body.size(), std::stoul(length)));
    return response;
}

HttpResponse request(const std::filesystem::path& socket_path, const std::string& method,
    const std::string& target, const std::optional<std::string>& body = std::nullopt)
{
    std::string raw
        = method + " " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n";
    if (body) {
        raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body->size())
            + "\r\n\r\n" + *body;
    } else {
        raw += "\r\n";
    }
    auto received = send_raw(socket_path, raw);
    if (!received) {
        ADD_FAILURE() << "cannot connect to " << socket_path;
        return {};
    }
    return parse_response(*received);
}

// An error response as the API promises: a JSON body with a fault_message string.
void expect_fault(const HttpResponse& response, int status)
{
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.header("content-type"), "application/json");
    auto body = json::parse(response.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << response.body;
    ASSERT_TRUE(body.contains("fault_message")) << response.body;
    EXPECT_TRUE(body["fault_message"].is_string());
    EXPECT_FALSE(body["fault_message"].get<std::string>().empty());
}

struct TemporaryDirectory {
    TemporaryDirectory()
    {
        // Short, under /tmp: Unix socket paths are limited to 107 bytes.
        char name[] = "/tmp/rvisor-api-XXXXXX";
        if (!mkdtemp(name))
            throw std::runtime_error("mkdtemp failed");
        path = name;
    }
    ~TemporaryDirectory() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

struct ApiServerTest : ::testing::Test {
    TemporaryDirectory directory;
    std::filesystem::path socket_path = directory.path / "api.sock";
    FakeVm vm;
    std::optional<ApiServer> server;

    void SetUp() override { server.emplace(socket_path, vm); }
    HttpResponse send(const std::string& method, const std::string& target,
        const std::optional<std::string>& body = std::nullopt)
    {
        return request(socket_path, method, target, body);
    }
};

} // namespace

TEST_F(ApiServerTest, GetRootDescribesTheVm)
{
    auto response = send("GET", "/");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("content-type"), "application/json");
    auto body = response.body_json();
    EXPECT_EQ(body["state"], "Running");
    EXPECT_EQ(body["cpus"], 2);
    EXPECT_EQ(body["mem_mib"], 128);
    EXPECT_EQ(body["engine"], "interp");
    EXPECT_EQ(vm.calls(), std::vector<std::string> { "describe" });
}

TEST_F(ApiServerTest, PatchVmPausesAndResumes)
{
    auto paused = send("PATCH", "/vm", R"({"state": "Paused"})");
    EXPECT_EQ(paused.status, 204);
    EXPECT_TRUE(paused.body.empty());
    EXPECT_EQ(send("GET", "/").body_json()["state"], "Paused");
    auto resumed = send("PATCH", "/vm", R"({"state": "Resumed"})");
    EXPECT_EQ(resumed.status, 204);
    EXPECT_TRUE(resumed.body.empty());
    EXPECT_EQ(vm.calls(), (std::vector<std::string> { "pause", "describe", "resume" }));
}

TEST_F(ApiServerTest, PatchVmChangesLimitsBeforeTheState)
{
    auto response = send("PATCH", "/vm",
        R"({"state": "Paused", "disks": [{"index": 1, "iops": 500}, {"index": 0, "bw": 0}],
            "nets": [{"index": 0, "bw": 1048576}]})");
    EXPECT_EQ(response.status, 204) << response.body;
    EXPECT_EQ(send("PATCH", "/vm", R"({"nets": []})").status, 204);
    EXPECT_EQ(vm.calls(),
        (std::vector<std::string> {
            "change_rate_limits disk1 iops=500 bw=- disk0 iops=- bw=0 net0 bw=1048576", "pause" }));
}

TEST_F(ApiServerTest, PutSnapshotCreatePassesBothPaths)
{
    auto response = send("PUT", "/snapshot/create",
        R"({"snapshot_path": "/tmp/vm.state", "mem_file_path": "/tmp/vm.mem"})");
    EXPECT_EQ(response.status, 204);
    EXPECT_TRUE(response.body.empty());
    auto full = send("PUT", "/snapshot/create",
        R"({"snapshot_type": "Full", "snapshot_path": "a", "mem_file_path": "b"})");
    EXPECT_EQ(full.status, 204);
    EXPECT_EQ(vm.calls(),
        (std::vector<std::string> {
            "create_snapshot /tmp/vm.state /tmp/vm.mem", "create_snapshot a b" }));
}

TEST_F(ApiServerTest, PatchBalloonSetsTheTarget)
{
    auto response = send("PATCH", "/balloon", R"({"amount_mib": 96})");
    EXPECT_EQ(response.status, 204) << response.body;
    EXPECT_TRUE(response.body.empty());
    auto described = send("GET", "/balloon");
    EXPECT_EQ(described.status, 200);
    EXPECT_EQ(described.body_json()["amount_mib"], 96);
    EXPECT_EQ(vm.calls(), (std::vector<std::string> { "set_balloon 96", "describe_balloon" }));
}

TEST_F(ApiServerTest, PutActionsShutsDown)
{
    auto response = send("PUT", "/actions", R"({"action_type": "Shutdown"})");
    EXPECT_EQ(response.status, 204);
    EXPECT_TRUE(response.body.empty());
    EXPECT_EQ(vm.calls(), std::vector<std::string> { "shutdown" });
}

TEST_F(ApiServerTest, BadRequestBodiesAre400)
{
    struct Case {
        const char* method;
        const char* path;
        const char* body;
    };
    const Case cases[] = {
        { "PATCH", "/vm", "{\"state\": " }, // Not JSON.
        { "PATCH", "/vm", "1e999" }, // JSON, but a number out of range.
        { "PATCH", "/vm", "" }, // No body.
        { "PATCH", "/vm", "[\"Paused\"]" }, // Not an object.
        { "PATCH", "/vm", R"({"state": "Paused", "x": 1})" }, // Unknown field.
        { "PATCH", "/vm", "{}" }, // Nothing to change.
        { "PATCH", "/vm", R"({"state": 1})" }, // Wrong type.
        { "PATCH", "/vm", R"({"state": "Running"})" }, // Bad enum value.
        { "PATCH", "/vm", R"({"disks": {"index": 0}})" }, // Not a list.
        { "PATCH", "/vm", R"({"disks": [{"bw": 1}]})" }, // No index.
        { "PATCH", "/vm", R"({"disks": [{"index": 0, "bw": -1}]})" }, // Negative.
        { "PATCH", "/vm", R"({"disks": [{"index": 0, "bw": 1.5}]})" }, // Not whole.
        { "PATCH", "/vm", R"({"disks": [{"index": 0, "bw": "10M"}]})" }, // Wrong type.
        { "PATCH", "/vm", R"({"disks": [{"index": 0, "iops": 1000001}]})" }, // Too many.
        { "PATCH", "/vm", R"({"disks": [{"index": 0}, {"index": 0, "bw": 1}]})" }, // Twice.
        { "PATCH", "/vm", R"({"nets": [{"index": 0, "iops": 5}]})" }, // Unknown field.
        { "PATCH", "/vm", R"({"nets": [1]})" }, // Not an object.
        { "PATCH", "/balloon", "{}" }, // No amount.
        { "PATCH", "/balloon", R"({"amount_mib": -1})" }, // Negative.
        { "PATCH", "/balloon", R"({"amount_mib": "64"})" }, // Wrong type.
        { "PATCH", "/balloon", R"({"amount_mib": 16777216})" }, // Beyond 32 bits of pages.
        { "PATCH", "/balloon", R"({"amount_mib": 1, "deflate_on_oom": false})" }, // Unknown.
        { "PUT", "/actions", R"({"action_type": "Reboot"})" }, // Bad enum value.
        { "PUT", "/actions", R"({"action_type": null})" }, // Wrong type.
        { "PUT", "/actions", R"({"action": "Shutdown"})" }, // Unknown field.
        { "PUT", "/snapshot/create", R"({"snapshot_path": "a"})" }, // Missing field.
        { "PUT", "/snapshot/create", R"({"snapshot_path": "a", "mem_file_path": 2})" },
        { "PUT", "/snapshot/create", R"({"snapshot_path": "", "mem_file_path": "b"})" },
        { "PUT", "/snapshot/create",
            R"({"snapshot_path": "a", "mem_file_path": "b", "snapshot_type": "Diff"})" },
        { "PUT", "/snapshot/create",
            R"({"snapshot_path": "a", "mem_file_path": "b", "version": "1"})" },
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(std::string(c.method) + " " + c.path + " " + c.body);
        expect_fault(send(c.method, c.path, std::string(c.body)), 400);
    }
    EXPECT_TRUE(vm.calls().empty());
}

TEST_F(ApiServerTest, FaultMessageNamesTheField)
{
    auto response = send("PATCH", "/vm", R"({"state": "Paused", "colour": "red"})");
    expect_fault(response, 400);
    EXPECT_NE(
        response.body_json()["fault_message"].get<std::string>().find("colour"), std::string::npos);
}

TEST_F(ApiServerTest, UnknownPathIs404)
{
    expect_fault(send("GET", "/machine-config"), 404);
    expect_fault(send("PUT", "/snapshot/load", "{}"), 404);
    expect_fault(send("GET", "/vm/"), 404);
}

TEST_F(ApiServerTest, WrongMethodIs405)
{
    auto response = send("GET", "/vm");
    expect_fault(response, 405);
    EXPECT_EQ(response.header("allow"), "PATCH");
    expect_fault(send("PUT", "/", "{}"), 405);
    expect_fault(send("DELETE", "/actions"), 405);
    expect_fault(send("POST", "/snapshot/create", "{}"), 405);
    EXPECT_TRUE(vm.calls().empty());
}

TEST_F(ApiServerTest, ApiErrorStatusPassesThrough)
{
    vm.fail_next_call([] { throw ApiError(409, "The VM must be paused to snapshot it."); });
    auto response
        = send("PUT", "/snapshot/create", R"({"snapshot_path": "a", "mem_file_path": "b"})");
    expect_fault(response, 409);
    EXPECT_EQ(response.body_json()["fault_message"], "The VM must be paused to snapshot it.");
}

TEST_F(ApiServerTest, OtherExceptionsAre500)
{
    vm.fail_next_call([] { throw std::runtime_error("Cannot write /x: disk full."); });
    auto response = send("GET", "/");
    expect_fault(response, 500);
    EXPECT_EQ(response.body_json()["fault_message"], "Cannot write /x: disk full.");
    // The server is still there.
    EXPECT_EQ(send("GET", "/").status, 200);
}

TEST_F(ApiServerTest, FaultMessageThatIsNotUtf8StillMakesJson)
{
    vm.fail_next_call([] { throw ApiError(400, "Bad path /tmp/\xff\xfe."); });
    expect_fault(send("PUT", "/actions", R"({"action_type": "Shutdown"})"), 400);
}

TEST_F(ApiServerTest, OversizedBodyIsRefused)
{
    std::string body = R"({"state": ")" + std::string(200 * 1024, 'x') + R"("})";
    auto response = send("PATCH", "/vm", body);
    EXPECT_TRUE(response.status == 413 || response.status == 400) << response.status;
    expect_fault(response, response.status);
    EXPECT_TRUE(vm.calls().empty());
    EXPECT_EQ(send("GET", "/").status, 200);
}

TEST_F(ApiServerTest, MalformedHttpDoesNotStopTheServer)
{
    const std::string garbage[] = {
        "garbage\r\n\r\n",
        "GET\r\n\r\n",
        "PATCH /vm HTTP/1.1\r\nContent-Length: banana\r\nConnection: close\r\n\r\n{}",
        "PATCH /vm HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n",
        std::string("\0\x01\x02\r\n\r\n", 7),
        "",
    };
    for (const auto& raw : garbage) {
        auto received = send_raw(socket_path, raw);
        ASSERT_TRUE(received.has_value());
        auto response = parse_response(*received);
        if (response.status != 0) {
            EXPECT_GE(response.status, 400) << *received;
        }
    }
    EXPECT_EQ(send("GET", "/").status, 200);
    EXPECT_EQ(vm.calls(), std::vector<std::string> { "describe" });
}

TEST_F(ApiServerTest, SocketIsPrivate)
{
    struct stat status { };
    ASSERT_EQ(lstat(socket_path.c_str(), &status), 0);
    EXPECT_TRUE(S_ISSOCK(status.st_mode));
    EXPECT_EQ(status.st_mode & 07777, 0600u);
}

TEST_F(ApiServerTest, DestructorRemovesTheSocket)
{
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::symlink_status(socket_path)));
    server.reset();
    EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(socket_path)));
}

TEST_F(ApiServerTest, LiveSocketIsNotReplaced)
{
    try {
        ApiServer second(socket_path, vm);
        FAIL() << "a second server took over a live socket";
    } catch (const std::runtime_error& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(socket_path.string()), std::string::npos) << message;
        EXPECT_NE(message.find("listening"), std::string::npos) << message;
    }
    EXPECT_EQ(send("GET", "/").status, 200);
}

TEST(ApiServer, StaleSocketIsReplaced)
{
    TemporaryDirectory directory;
    auto path = directory.path / "api.sock";
    // A socket file nobody listens on, as a crashed rvisor leaves.
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    auto address = address_of(path);
    ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
    close(fd);
    ASSERT_TRUE(std::filesystem::is_socket(path));

    FakeVm vm;
    ApiServer server(path, vm);
    EXPECT_EQ(request(path, "GET", "/").status, 200);
}

TEST(ApiServer, RegularFileIsNotReplaced)
{
    TemporaryDirectory directory;
    auto path = directory.path / "api.sock";
    std::ofstream(path) << "precious";
    FakeVm vm;
    try {
        ApiServer server(path, vm);
        FAIL() << "the server replaced a regular file";
    } catch (const std::runtime_error& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(path.string()), std::string::npos) << message;
        EXPECT_NE(message.find("not a socket"), std::string::npos) << message;
    }
    std::ifstream file(path);
    std::string contents;
    file >> contents;
    EXPECT_EQ(contents, "precious");
}

TEST(ApiServer, UnusablePathIsOneSentence)
{
    FakeVm vm;
    std::filesystem::path path = "/nonexistent-rvisor-directory/api.sock";
    try {
        ApiServer server(path, vm);
        FAIL() << "the server bound a socket in a missing directory";
    } catch (const std::runtime_error& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(path.string()), std::string::npos) << message;
        EXPECT_EQ(message.back(), '.');
    }
    EXPECT_THROW(
        ApiServer(std::filesystem::path("/tmp/" + std::string(200, 'x')), vm), std::runtime_error);
}

TEST(ApiServer, DestroyedAtOnceStopsCleanly)
{
    TemporaryDirectory directory;
    FakeVm vm;
    for (int i = 0; i < 20; ++i)
        ApiServer server(directory.path / "api.sock", vm);
    EXPECT_TRUE(std::filesystem::is_empty(directory.path));
}

// docs/openapi.json is the API's contract; the server and it must agree.
namespace {

json load_openapi()
{
    std::ifstream file(std::filesystem::path(RVISOR_SOURCE_DIR) / "docs" / "openapi.json");
    return json::parse(file);
}

json resolve(const json& document, const json& schema)
{
    if (!schema.contains("$ref"))
        return schema;
    // "#/components/schemas/Name"
    auto pointer = schema["$ref"].get<std::string>().substr(1);
    return document.at(json::json_pointer(pointer));
}

std::optional<json> request_schema(const json& document, const json& operation)
{
    if (!operation.contains("requestBody"))
        return std::nullopt;
    return resolve(document, operation["requestBody"]["content"]["application/json"]["schema"]);
}

// The smallest valid body: each required field at its first enum value, a plain string or its
// least integer; a body that needs a field but requires none in particular gets one that has an
// enum.
json valid_body(const json& schema)
{
    json body = json::object();
    json required = schema.value("required", json::array());
    if (required.empty() && schema.value("minProperties", 0) > 0) {
        for (const auto& [name, property] : schema["properties"].items()) {
            if (property.contains("enum") && required.empty())
                required.push_back(name);
        }
    }
    for (const auto& name : required) {
        const auto& property = schema["properties"][name.get<std::string>()];
        if (property.contains("enum"))
            body[name.get<std::string>()] = property["enum"][0];
        else if (property["type"] == "string")
            body[name.get<std::string>()] = "/tmp/rvisor-openapi-test";
        else if (property["type"] == "integer")
            body[name.get<std::string>()] = property.value("minimum", 0);
        else
            ADD_FAILURE() << "no valid value known for " << name;
    }
    return body;
}

bool has_json_type(const json& value, const std::string& type)
{
    if (type == "string")
        return value.is_string();
    if (type == "integer")
        return value.is_number_integer();
    if (type == "number")
        return value.is_number();
    if (type == "boolean")
        return value.is_boolean();
    if (type == "object")
        return value.is_object();
    if (type == "array")
        return value.is_array();
    return false;
}

std::string upper(std::string text)
{
    for (auto& c : text)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

} // namespace

TEST_F(ApiServerTest, AgreesWithOpenApiDocument)
{
    auto document = load_openapi();
    ASSERT_TRUE(document["paths"].is_object());
    const std::set<std::string> http_methods = { "get", "put", "post", "patch", "delete" };

    for (const auto& [path, item] : document["paths"].items()) {
        for (const auto& [method, operation] : item.items()) {
            SCOPED_TRACE(method + " " + path);
            ASSERT_TRUE(http_methods.contains(method));
            auto schema = request_schema(document, operation);
            std::optional<std::string> body;
            if (schema)
                body = valid_body(*schema).dump();

            std::set<int> documented;
            for (const auto& [code, response] : operation["responses"].items())
                documented.insert(std::stoi(code));

            // Each documented status, provoked the way it arises.
            for (int status : documented) {
                SCOPED_TRACE(status);
                HttpResponse response;
                if (status >= 200 && status < 300) {
                    response = send(upper(method), path, body);
                } else if (status == 400 && schema) {
                    response = send(upper(method), path, std::string("{"));
                } else if (status == 413 && schema) {
                    response = send(upper(method), path, std::string(100 * 1024, ' '));
                } else if (status == 400 || status == 409) {
                    // A refusal of the VM's own (no balloon, wrong state).
                    vm.fail_next_call([status] { throw ApiError(status, "Refused."); });
                    response = send(upper(method), path, body);
                } else if (status == 500) {
                    vm.fail_next_call([] { throw std::runtime_error("The host failed."); });
                    response = send(upper(method), path, body);
                } else {
                    ADD_FAILURE() << "the document promises a status the server never gives";
                    continue;
                }
                EXPECT_EQ(response.status, status) << response.body;
                if (status >= 400)
                    expect_fault(response, status);
                vm.fail_next_call(nullptr);
            }

            // Methods the document leaves out of a path it lists.
            for (const auto& other : http_methods) {
                if (!item.contains(other))
                    expect_fault(send(upper(other), path, std::string("{}")), 405);
            }
        }
    }
    expect_fault(send("GET", "/not-in-the-document"), 404);

    // GET / has what VmInfo requires, with the types it names.
    auto info_schema = resolve(document,
        document["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]);
    auto info = send("GET", "/").body_json();
    for (const auto& name : info_schema["required"]) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(info.contains(name.get<std::string>()));
        const auto& property = info_schema["properties"][name.get<std::string>()];
        const auto& value = info[name.get<std::string>()];
        EXPECT_TRUE(has_json_type(value, property["type"].get<std::string>()));
        if (property.contains("enum")) {
            const auto& values = property["enum"];
            EXPECT_NE(std::find(values.begin(), values.end(), value), values.end());
        }
    }
}
