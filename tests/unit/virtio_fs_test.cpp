#include "devices/virtio/fs/virtio_fs.h"

#include "fuse_test_client.h"
#include "virtio_test_driver.h"

#include <fcntl.h>
#include <gtest/gtest.h>

#include <fstream>

using namespace rvisor::devices::virtio;
using namespace rvisor::devices::virtio::testing;
using rvisor::devices::InterruptLine;
using rvisor::devices::virtio::fs::testing::Arguments;
using rvisor::devices::virtio::fs::testing::encode_request;
using rvisor::devices::virtio::fs::testing::TemporaryDirectory;
using rvisor::mem::GuestRam;

namespace {

constexpr uint64_t kRequest = kRamBase + 0x10000;
constexpr uint64_t kReply = kRamBase + 0x20000;
constexpr uint32_t kReplySize = 0x1000;

struct VirtioFsTest : ::testing::Test {
    TemporaryDirectory directory;
    GuestRam ram { kRamBase, kRamSize };
    TestRing hiprio { ram, kRamBase, 16 };
    TestRing requests { ram, kRamBase + 0x4000, 16 };
    std::unique_ptr<VirtioFs> device;
    std::unique_ptr<VirtioMmio> transport;
    std::unique_ptr<TestDriver> driver;
    uint16_t next_head { 0 };
    uint16_t used { 0 };
    uint64_t unique { 1 };

    void SetUp() override
    {
        std::ofstream(directory.path() / "hello") << "hello from the host";
        device = std::make_unique<VirtioFs>(directory.path(), "share", false);
        transport = std::make_unique<VirtioMmio>(ram, *device, InterruptLine {}, false);
        driver = std::make_unique<TestDriver>(*transport);
        ASSERT_TRUE(driver->negotiate(kFeatureVersion1 | kFeatureEventIndex));
        driver->set_up_queue(0, hiprio);
        driver->set_up_queue(1, requests);
        driver->start();
    }

    // Sends one request on the request queue and returns the reply's header and body.
    std::pair<fuse_out_header, std::vector<uint8_t>> call(
        uint32_t opcode, uint64_t nodeid, const Arguments& arguments)
    {
        const std::vector<uint8_t> request = encode_request(opcode, nodeid, unique++, arguments);
        std::memcpy(ram.pointer(kRequest), request.data(), request.size());
        fill(ram, kReply, kReplySize, kCanary);
        const uint16_t head = next_head;
        requests.set(head,
            { kRequest, static_cast<uint32_t>(request.size()), kNext,
                static_cast<uint16_t>(head + 1) });
        requests.set(head + 1, { kReply, kReplySize, kWrite, 0 });
        next_head = static_cast<uint16_t>((next_head + 2) % requests.size());
        requests.publish(head);
        driver->notify(1);
        ++used;
        EXPECT_TRUE(wait_until([&] { return requests.used_index() == used; }));
        const uint32_t written = requests.used_length(static_cast<uint16_t>(used - 1));
        fuse_out_header header {};
        std::memcpy(&header, ram.pointer(kReply), sizeof header);
        EXPECT_EQ(header.len, written);
        std::vector<uint8_t> body(
            ram.pointer(kReply) + sizeof header, ram.pointer(kReply) + written);
        return { header, body };
    }

    void init()
    {
        fuse_init_in in {};
        in.major = 7;
        in.minor = 36;
        ASSERT_EQ(call(FUSE_INIT, 0, Arguments().add(in)).first.error, 0);
    }
};

} // namespace

TEST(VirtioFsConstruction, RefusesBadDirectoriesAndTags)
{
    TemporaryDirectory directory;
    std::ofstream(directory.path() / "file") << "x";
    EXPECT_THROW(VirtioFs(directory.path() / "missing", "tag", false), std::runtime_error);
    EXPECT_THROW(VirtioFs(directory.path() / "file", "tag", false), std::runtime_error);
    EXPECT_THROW(VirtioFs(directory.path(), "", false), std::runtime_error);
    EXPECT_THROW(VirtioFs(directory.path(), std::string(37, 't'), false), std::runtime_error);
    EXPECT_THROW(VirtioFs(directory.path(), std::string("a\0b", 3), false), std::runtime_error);
    EXPECT_NO_THROW(VirtioFs(directory.path(), std::string(36, 't'), true));
}

TEST_F(VirtioFsTest, IsAFileSystemDeviceWithItsTagInConfigSpace)
{
    EXPECT_EQ(driver->read(0x008), 26u);
    EXPECT_EQ(driver->device_features(),
        kFeatureVersion1 | kFeatureEventIndex | kFeatureIndirectDescriptors);
    std::string tag;
    for (uint64_t offset = 0; offset < 36; offset += 4) {
        uint32_t word = driver->read(0x100 + offset);
        tag.append(reinterpret_cast<const char*>(&word), 4);
    }
    EXPECT_EQ(tag, std::string("share") + std::string(31, '\0'));
    EXPECT_EQ(driver->read(0x100 + 36), 1u); // num_request_queues
}

TEST_F(VirtioFsTest, LooksUpAndReadsThroughTheRequestQueue)
{
    init();
    auto [lookup_header, lookup_body]
        = call(FUSE_LOOKUP, FUSE_ROOT_ID, Arguments().add_string("hello"));
    ASSERT_EQ(lookup_header.error, 0);
    fuse_entry_out entry {};
    std::memcpy(&entry, lookup_body.data(), sizeof entry);
    EXPECT_EQ(entry.attr.size, 19u);
    fuse_open_in open {};
    open.flags = O_RDONLY;
    auto [open_header, open_body] = call(FUSE_OPEN, entry.nodeid, Arguments().add(open));
    ASSERT_EQ(open_header.error, 0);
    fuse_open_out opened {};
    std::memcpy(&opened, open_body.data(), sizeof opened);
    fuse_read_in read {};
    read.fh = opened.fh;
    read.size = 4096;
    auto [read_header, read_body] = call(FUSE_READ, entry.nodeid, Arguments().add(read));
    ASSERT_EQ(read_header.error, 0);
    EXPECT_EQ(std::string(read_body.begin(), read_body.end()), "hello from the host");

    // A FORGET on the hiprio queue is served and returned with nothing written.
    fuse_forget_in forget {};
    forget.nlookup = 1;
    const std::vector<uint8_t> request
        = encode_request(FUSE_FORGET, entry.nodeid, 99, Arguments().add(forget));
    std::memcpy(ram.pointer(kRequest + 0x8000), request.data(), request.size());
    hiprio.set(0, { kRequest + 0x8000, static_cast<uint32_t>(request.size()), 0, 0 });
    hiprio.publish(0);
    driver->notify(0);
    EXPECT_TRUE(wait_until([&] { return hiprio.used_index() == 1; }));
    EXPECT_EQ(hiprio.used_length(0), 0u);
}

TEST_F(VirtioFsTest, ADescriptorPastTheEndOfRamNeedsReset)
{
    requests.set(0, { kRequest, 64, kNext, 1 });
    requests.set(1, { kRamBase + kRamSize - 8, 64, kWrite, 0 });
    requests.publish(0);
    driver->notify(1);
    EXPECT_TRUE(wait_until([&] { return driver->needs_reset(); }));
    EXPECT_EQ(requests.used_index(), 0);
}

TEST_F(VirtioFsTest, SavedStateKeepsTheMountAcrossARestore)
{
    init();
    auto [header, body] = call(FUSE_LOOKUP, FUSE_ROOT_ID, Arguments().add_string("hello"));
    ASSERT_EQ(header.error, 0);
    fuse_entry_out entry {};
    std::memcpy(&entry, body.data(), sizeof entry);
    device->pause();
    rvisor::state::StateWriter writer;
    transport->save(writer);
    device->resume();
    driver = nullptr;
    transport = nullptr; // resets the old device, which forgets everything

    // A fresh device and transport, as a restore builds them, serve the same rings on.
    device = std::make_unique<VirtioFs>(directory.path(), "share", false);
    transport = std::make_unique<VirtioMmio>(ram, *device, InterruptLine {}, false);
    driver = std::make_unique<TestDriver>(*transport);
    rvisor::state::StateReader reader(writer.data(), "virtio-fs");
    transport->load(reader);
    // No INIT again: the restored server was initialized, and the nodeid still names the file.
    auto [getattr_header, getattr_body]
        = call(FUSE_GETATTR, entry.nodeid, Arguments().add(fuse_getattr_in {}));
    EXPECT_EQ(getattr_header.error, 0);
    fuse_attr_out attr {};
    std::memcpy(&attr, getattr_body.data(), sizeof attr);
    EXPECT_EQ(attr.attr.size, 19u);
}
