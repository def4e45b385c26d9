#include "devices/virtio/fs/fuse_server.h"

#include "fuse_test_client.h"

#include <gtest/gtest.h>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::fs;
using namespace rvisor::devices::virtio::fs::testing;

namespace {

// Implements nothing: every operation is ENOSYS.
class NullFileSystem final : public FileSystem { };

// Knows one name, and counts what it was asked.
class OneFileSystem final : public FileSystem {
public:
    int lookup(uint64_t parent, std::string_view name, Entry& entry) override
    {
        ++lookups;
        if (parent != FUSE_ROOT_ID || name != "one")
            return ENOENT;
        entry.nodeid = 42;
        entry.attributes.st_mode = S_IFREG | 0644;
        entry.attributes.st_size = 1234;
        return 0;
    }
    void forget(uint64_t nodeid, uint64_t count) override
    {
        forgotten.push_back({ nodeid, count });
    }

    int lookups { 0 };
    std::vector<std::pair<uint64_t, uint64_t>> forgotten;
};

} // namespace

TEST(FuseServer, EveryOperationDefaultsToEnosys)
{
    NullFileSystem null;
    FuseServer server(null);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    EXPECT_EQ(client.lookup(FUSE_ROOT_ID, "x").second, ENOSYS);
    EXPECT_EQ(client.getattr(FUSE_ROOT_ID).error(), ENOSYS);
    EXPECT_EQ(client.open(FUSE_ROOT_ID, 0).second, ENOSYS);
    EXPECT_EQ(client.read(FUSE_ROOT_ID, 1, 0, 10).error(), ENOSYS);
    EXPECT_EQ(client.write(FUSE_ROOT_ID, 1, 0, "x").error(), ENOSYS);
    EXPECT_EQ(client.read(FUSE_ROOT_ID, 1, 0, 4096, FUSE_READDIRPLUS).error(), ENOSYS);
    EXPECT_EQ(client.call(FUSE_STATFS, FUSE_ROOT_ID).error(), ENOSYS);
    EXPECT_EQ(
        client.call(FUSE_SYNCFS, FUSE_ROOT_ID, Arguments().add(fuse_syncfs_in {})).error(), ENOSYS);
    EXPECT_EQ(client.call(FUSE_IOCTL, FUSE_ROOT_ID).error(), ENOSYS);
    EXPECT_EQ(client.call(FUSE_SETLK, FUSE_ROOT_ID).error(), ENOSYS);
}

TEST(FuseServer, AnOlderMajorIsRefusedAndANewerOneToldOurs)
{
    NullFileSystem null;
    FuseServer server(null);
    FuseClient client(server);
    fuse_init_in in {};
    in.major = 8;
    Response response = client.call(FUSE_INIT, 0, Arguments().add(in));
    EXPECT_EQ(response.error(), 0);
    EXPECT_EQ(response.as<fuse_init_out>().major, 7u);
    EXPECT_FALSE(server.initialized());
    in.major = 6;
    EXPECT_EQ(client.call(FUSE_INIT, 0, Arguments().add(in)).error(), EPROTO);
    // Shorter than the oldest fuse_init_in.
    EXPECT_EQ(client.call(FUSE_INIT, 0, Arguments().add(uint64_t { 7 })).error(), EINVAL);
    EXPECT_FALSE(server.initialized());
}

TEST(FuseServer, RequestsAndRepliesSplitAnywhereAcrossDescriptors)
{
    OneFileSystem one;
    FuseServer server(one);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    std::vector<uint8_t> request
        = encode_request(FUSE_LOOKUP, FUSE_ROOT_ID, 77, Arguments().add_string("one"));
    std::vector<uint8_t> reply(sizeof(fuse_out_header) + sizeof(fuse_entry_out) + 5, 0);
    BufferList readable;
    for (uint8_t& byte : request)
        readable.append({ &byte, 1 });
    BufferList writable;
    for (size_t at = 0; at < reply.size(); at += 7)
        writable.append({ reply.data() + at, std::min<size_t>(7, reply.size() - at) });
    EXPECT_EQ(server.handle(readable, writable), sizeof(fuse_out_header) + sizeof(fuse_entry_out));
    fuse_out_header header {};
    std::memcpy(&header, reply.data(), sizeof header);
    EXPECT_EQ(header.unique, 77u);
    EXPECT_EQ(header.error, 0);
    fuse_entry_out entry {};
    std::memcpy(&entry, reply.data() + sizeof header, sizeof entry);
    EXPECT_EQ(entry.nodeid, 42u);
    EXPECT_EQ(entry.attr.size, 1234u);
}

TEST(FuseServer, NamesAreCheckedBeforeTheFileSystemSeesThem)
{
    OneFileSystem one;
    FuseServer server(one);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    for (const char* name : { "", ".", "..", "a/b", "/", "../one" })
        EXPECT_EQ(client.lookup(FUSE_ROOT_ID, name).second, EINVAL) << name;
    EXPECT_EQ(client.lookup(FUSE_ROOT_ID, std::string(256, 'n')).second, EINVAL);
    EXPECT_EQ(one.lookups, 0);
    EXPECT_EQ(client.lookup(FUSE_ROOT_ID, "one").first, 42u);
    EXPECT_EQ(one.lookups, 1);
}

TEST(FuseServer, ForgetsHaveNoReply)
{
    OneFileSystem one;
    FuseServer server(one);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    fuse_forget_in forget {};
    forget.nlookup = 3;
    EXPECT_EQ(client.call(FUSE_FORGET, 42, Arguments().add(forget)).written, 0u);
    fuse_batch_forget_in batch {};
    batch.count = 3; // one more than it carries
    EXPECT_EQ(
        client
            .call(FUSE_BATCH_FORGET, 0,
                Arguments().add(batch).add(fuse_forget_one { 5, 1 }).add(fuse_forget_one { 6, 2 }))
            .written,
        0u);
    const std::vector<std::pair<uint64_t, uint64_t>> expected { { 42, 3 }, { 5, 1 }, { 6, 2 } };
    EXPECT_EQ(one.forgotten, expected);
}
