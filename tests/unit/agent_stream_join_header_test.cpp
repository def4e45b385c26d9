#include "agent/stream_join_header.h"

#include <cerrno>
#include <gtest/gtest.h>

using namespace rvisor::agent;

TEST(AgentStreamJoinHeader, RequestLineNamesOnePort)
{
    EXPECT_EQ(stream_join_request(8080), "TCP 8080\n");
    EXPECT_EQ(parse_stream_join_request("TCP 8080"), 8080);
    EXPECT_EQ(parse_stream_join_request("TCP 1"), 1);
    EXPECT_EQ(parse_stream_join_request("TCP 65535"), 65535);
    for (std::string_view line : { "", "TCP", "TCP ", "TCP 0", "TCP 65536", "TCP 080", "TCP -1",
             "TCP 80 ", "TCP  80", "tcp 80", "UDP 53", "TCP 8O", "TCP 80\r" })
        EXPECT_FALSE(parse_stream_join_request(line)) << '"' << line << '"';
}

TEST(AgentStreamJoinHeader, ReplyIsOkOrAnErrnoAndASentence)
{
    EXPECT_EQ(stream_join_reply(std::nullopt), "OK\n");
    EXPECT_FALSE(parse_stream_join_reply("OK"));
    const std::string refused = stream_join_reply(CallError { ECONNREFUSED, "nobody\nthere" });
    EXPECT_EQ(refused, "ERROR " + std::to_string(ECONNREFUSED) + " nobody there\n");
    const auto error = parse_stream_join_reply(refused.substr(0, refused.size() - 1));
    ASSERT_TRUE(error);
    EXPECT_EQ(error->error_number, ECONNREFUSED);
    EXPECT_EQ(error->message, "nobody there");
    EXPECT_LE(
        stream_join_reply(CallError { EINVAL, std::string(2000, 'x') }).size(), kMaxStreamJoinLine);
    for (std::string_view line :
        { "", "ok", "OK ", "ERROR", "ERROR 0 x", "ERROR x y", "ERROR 5" }) {
        const auto malformed = parse_stream_join_reply(line);
        ASSERT_TRUE(malformed) << line;
        EXPECT_EQ(malformed->error_number, EPROTO) << line;
    }
}
