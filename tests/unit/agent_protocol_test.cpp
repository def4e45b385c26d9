#include "agent/protocol.h"

#include <cerrno>
#include <csignal>
#include <gtest/gtest.h>

using namespace rvisor::agent;

namespace {

Request decoded(std::string_view json)
{
    DecodedRequest result = decode_request(json);
    if (auto* error = std::get_if<DecodeError>(&result))
        ADD_FAILURE() << json << ": " << error->message;
    return std::holds_alternative<Request>(result) ? std::get<Request>(result) : Request {};
}

DecodeError refused(std::string_view json)
{
    DecodedRequest result = decode_request(json);
    EXPECT_TRUE(std::holds_alternative<DecodeError>(result)) << json;
    return std::holds_alternative<DecodeError>(result) ? std::get<DecodeError>(result)
                                                       : DecodeError {};
}

} // namespace

TEST(AgentProtocol, DecodesPingWithOrWithoutParams)
{
    Request request = decoded(R"({"id": 7, "method": "Ping"})");
    EXPECT_EQ(request.id, 7u);
    EXPECT_TRUE(std::holds_alternative<Ping>(request.call));
    EXPECT_TRUE(
        std::holds_alternative<Ping>(decoded(R"({"id":1,"method":"Ping","params":{}})").call));
}

TEST(AgentProtocol, DecodesCreateProcessWithEveryField)
{
    Request request = decoded(R"({"id": 2, "method": "CreateProcess", "params": {
        "exec_id": "main", "args": ["sh", "-c", "true"], "env": ["PATH=/bin"], "cwd": "/tmp",
        "uid": 1000, "gid": 100, "additional_gids": [5, 6], "terminal": true,
        "rootfs": "/run/rootfs"}})");
    auto& create = std::get<CreateProcess>(request.call);
    EXPECT_EQ(create.exec_id, "main");
    EXPECT_EQ(create.args, (std::vector<std::string> { "sh", "-c", "true" }));
    EXPECT_EQ(create.env, (std::vector<std::string> { "PATH=/bin" }));
    EXPECT_EQ(create.cwd, "/tmp");
    EXPECT_EQ(create.uid, 1000u);
    EXPECT_EQ(create.gid, 100u);
    EXPECT_EQ(create.additional_gids, (std::vector<uint32_t> { 5, 6 }));
    EXPECT_TRUE(create.terminal);
    EXPECT_EQ(create.rootfs, "/run/rootfs");
}

TEST(AgentProtocol, CreateProcessDefaults)
{
    auto create = std::get<CreateProcess>(
        decoded(R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":["x"]}})").call);
    EXPECT_EQ(create.cwd, "/");
    EXPECT_EQ(create.uid, 0u);
    EXPECT_FALSE(create.terminal);
    EXPECT_FALSE(create.rootfs);
    EXPECT_TRUE(create.env.empty());
}

TEST(AgentProtocol, EveryRequestSurvivesEncodeAndDecode)
{
    std::vector<Call> calls = { Ping {},
        CreateProcess { "e", { "a", "b" }, { "X=1" }, "/w", 1, 2, { 3 }, true, "/r" },
        OpenStdio { "e", StdioStream::Stderr }, StartProcess { "e" }, WaitProcess { "e" },
        SignalProcess { "e", SIGKILL, true }, CloseStdin { "e" }, TtyWinResize { "e", 24, 80 },
        ListProcesses {}, Refresh { 123456789, std::vector<uint8_t>(32, 0xab) }, PowerOff {} };
    uint64_t id = 100;
    for (const Call& call : calls) {
        std::string json = encode_request({ id, call });
        Request request = decoded(json);
        EXPECT_EQ(request.id, id);
        EXPECT_EQ(request.call.index(), call.index()) << json;
        EXPECT_EQ(encode_request(request), json);
        ++id;
    }
}

TEST(AgentProtocol, RefusesUnknownMethodsAndFields)
{
    DecodeError unknown = refused(R"({"id": 3, "method": "Launch"})");
    EXPECT_EQ(unknown.id, 3u);
    EXPECT_EQ(unknown.error_number, ENOSYS);
    DecodeError field = refused(R"({"id": 4, "method": "Ping", "params": {"x": 1}})");
    EXPECT_EQ(field.id, 4u);
    EXPECT_EQ(field.error_number, EINVAL);
    EXPECT_NE(field.message.find("\"x\""), std::string::npos) << field.message;
    EXPECT_EQ(refused(R"({"id": 4, "method": "Ping", "extra": 1})").error_number, EINVAL);
}

TEST(AgentProtocol, RefusesWrongShapes)
{
    for (std::string_view json :
        { "", "{", "[]", "3", R"({"method": "Ping"})", R"({"id": -1, "method": "Ping"})",
            R"({"id": 1.5, "method": "Ping"})", R"({"id": 1})", R"({"id": 1, "method": 5})",
            R"({"id": 1, "method": "Ping", "params": []})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":[]}})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"","args":["x"]}})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":["x"],"cwd":"rel"}})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":["x"],"uid":4294967296}})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":["x\u0000y"]}})",
            R"({"id":1,"method":"CreateProcess","params":{"exec_id":"a","args":["x"],"terminal":1}})",
            R"({"id":1,"method":"OpenStdio","params":{"exec_id":"a","stream":"stdlog"}})",
            R"({"id":1,"method":"SignalProcess","params":{"exec_id":"a","signal":0}})",
            R"({"id":1,"method":"SignalProcess","params":{"exec_id":"a","signal":65}})",
            R"({"id":1,"method":"TtyWinResize","params":{"exec_id":"a","rows":65536,"cols":1}})",
            R"({"id":1,"method":"Refresh","params":{"realtime_ns":1,"entropy":"AAAA"}})",
            R"({"id":1,"method":"Refresh","params":{"realtime_ns":1,"entropy":"not base64!"}})",
            "{\"id\": 1, \"method\": \"P\xffng\"}" }) {
        DecodeError error = refused(json);
        EXPECT_EQ(error.error_number, EINVAL) << json;
        EXPECT_FALSE(error.message.empty()) << json;
    }
}

TEST(AgentProtocol, EncodesResultsAndErrors)
{
    EXPECT_EQ(encode_result(1, PingResult {}), R"({"id":1,"result":{"version":1}})");
    EXPECT_EQ(encode_result(2, Empty {}), R"({"id":2,"result":{}})");
    EXPECT_EQ(encode_result(3, exit_status_from_wait_status(3 << 8)),
        R"({"id":3,"result":{"exit_code":3,"exit_status":3,"signal":null}})");
    EXPECT_EQ(encode_result(4, exit_status_from_wait_status(SIGTERM)),
        R"({"id":4,"result":{"exit_code":null,"exit_status":143,"signal":15}})");
    EXPECT_EQ(encode_result(5, ProcessList { { { "a", 42, true } } }),
        R"({"id":5,"result":{"processes":[{"exec_id":"a","pid":42,"running":true}]}})");
    EXPECT_EQ(encode_error(6, { ESRCH, "no such process" }),
        R"({"error":{"errno":3,"message":"no such process"},"id":6})");
    EXPECT_EQ(encode_error(std::nullopt, { EINVAL, "bad" }),
        R"({"error":{"errno":22,"message":"bad"},"id":null})");
    // Bytes that are not UTF-8 (a path, a program's name) still make a valid reply.
    EXPECT_NO_THROW(encode_error(1, { ENOENT, "no \xff here" }));
}

TEST(AgentProtocol, FramesAreBigEndianLengthThenPayload)
{
    std::string bytes = frame("{}");
    ASSERT_EQ(bytes.size(), 6u);
    EXPECT_EQ(bytes.substr(0, 4), std::string("\0\0\0\2", 4));
    uint8_t header[4] = { 0x00, 0x10, 0x00, 0x01 };
    EXPECT_EQ(frame_length(header), kMaxFrameSize + 1);
}

TEST(AgentProtocol, Base64RoundTripsAndRefusesBadText)
{
    for (size_t size = 0; size < 10; ++size) {
        std::vector<uint8_t> bytes(size);
        for (size_t i = 0; i < size; ++i)
            bytes[i] = static_cast<uint8_t>(i * 37 + 1);
        EXPECT_EQ(decode_base64(encode_base64(bytes)), bytes) << size;
    }
    EXPECT_EQ(encode_base64({ 'f', 'o', 'o', 'b' }), "Zm9vYg==");
    for (std::string_view bad : { "A", "AB=C", "A===", "====", "AB==AAAA", "AB\n=", "AB*=" })
        EXPECT_FALSE(decode_base64(bad)) << bad;
}
