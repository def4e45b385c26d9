// The vsock muxer driven as the device drives it, with the test as the guest, and real Unix
// sockets as the host programs.
#include "devices/virtio/vsock_muxer.h"
#include "host/unix_socket.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

using rvisor::devices::virtio::VsockHeader;
using rvisor::devices::virtio::VsockMuxer;
using Op = VsockHeader::Op;

namespace {

constexpr uint64_t kGuestCid = 3;
constexpr uint32_t kGuestPort = 1234;

class VsockMuxerTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        folder = std::filesystem::temp_directory_path()
            / ("rvisor-vsock-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(folder);
        muxer.emplace(kGuestCid, folder / "v.sock", [] {});
    }
    void TearDown() override
    {
        muxer.reset();
        std::filesystem::remove_all(folder);
    }

    // The muxer's thread works on its own: wait (bounded, to catch a hang) for what it makes.
    VsockHeader next_packet(std::vector<uint8_t>* payload = nullptr, size_t room = 65536)
    {
        std::vector<uint8_t> ignored;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            if (auto header = muxer->next_for_guest(payload ? *payload : ignored, room))
                return *header;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        ADD_FAILURE() << "no packet for the guest";
        return {};
    }

    VsockHeader from_guest(Op op, uint32_t host_port, uint32_t buf_alloc = 1 << 20,
        uint32_t fwd_cnt = 0, uint32_t len = 0)
    {
        VsockHeader header;
        header.src_cid = kGuestCid;
        header.dst_cid = VsockHeader::kHostCid;
        header.src_port = kGuestPort;
        header.dst_port = host_port;
        header.op = op;
        header.buf_alloc = buf_alloc;
        header.fwd_cnt = fwd_cnt;
        header.len = len;
        return header;
    }

    // A host program connected to the guest's kGuestPort: its socket and the host port.
    std::pair<int, uint32_t> connect_from_host(uint32_t buf_alloc = 1 << 20)
    {
        const int fd = rvisor::host::connect_unix_socket(folder / "v.sock");
        EXPECT_GE(fd, 0);
        const std::string line = "CONNECT " + std::to_string(kGuestPort) + "\n";
        EXPECT_EQ(::write(fd, line.data(), line.size()), static_cast<ssize_t>(line.size()));
        const VsockHeader request = next_packet();
        EXPECT_EQ(request.op, Op::Request);
        EXPECT_EQ(request.dst_cid, kGuestCid);
        EXPECT_EQ(request.dst_port, kGuestPort);
        EXPECT_EQ(request.src_cid, VsockHeader::kHostCid);
        muxer->send_to_host(from_guest(Op::Response, request.src_port, buf_alloc), {});
        const std::string expected = "OK " + std::to_string(request.src_port) + "\n";
        std::string reply(expected.size(), '\0');
        EXPECT_EQ(::read(fd, reply.data(), reply.size()), static_cast<ssize_t>(reply.size()));
        EXPECT_EQ(reply, expected);
        return { fd, request.src_port };
    }

    std::filesystem::path folder;
    std::optional<VsockMuxer> muxer;
};

} // namespace

TEST(VsockHeader, EncodesEveryFieldLittleEndianAndDecodesItBack)
{
    VsockHeader header;
    header.src_cid = 0x0102030405060708;
    header.dst_cid = 2;
    header.src_port = 0x11223344;
    header.dst_port = 80;
    header.len = 4096;
    header.op = Op::CreditUpdate;
    header.flags = 3;
    header.buf_alloc = 262144;
    header.fwd_cnt = 0xfffffff0;
    const auto bytes = header.encode();
    EXPECT_EQ(bytes[0], 0x08);
    EXPECT_EQ(bytes[7], 0x01);
    EXPECT_EQ(bytes[30], 6); // op
    const VsockHeader decoded = VsockHeader::decode(bytes);
    EXPECT_EQ(decoded.src_cid, header.src_cid);
    EXPECT_EQ(decoded.src_port, header.src_port);
    EXPECT_EQ(decoded.dst_port, header.dst_port);
    EXPECT_EQ(decoded.len, header.len);
    EXPECT_EQ(decoded.op, header.op);
    EXPECT_EQ(decoded.flags, header.flags);
    EXPECT_EQ(decoded.buf_alloc, header.buf_alloc);
    EXPECT_EQ(decoded.fwd_cnt, header.fwd_cnt);
}

TEST_F(VsockMuxerTest, GuestBytesReachTheHostInOrderAndItsCreditComesBack)
{
    auto [fd, host_port] = connect_from_host();
    std::vector<uint8_t> sent;
    for (unsigned packet = 0; packet < 8; ++packet) {
        std::vector<uint8_t> payload(16384);
        for (size_t i = 0; i < payload.size(); ++i)
            payload[i] = static_cast<uint8_t>(sent.size() + i);
        muxer->send_to_host(
            from_guest(Op::ReadWrite, host_port, 1 << 20, 0, static_cast<uint32_t>(payload.size())),
            payload);
        sent.insert(sent.end(), payload.begin(), payload.end());
    }
    std::vector<uint8_t> received(sent.size());
    size_t count = 0;
    while (count < received.size()) {
        const ssize_t got = ::read(fd, received.data() + count, received.size() - count);
        ASSERT_GT(got, 0);
        count += static_cast<size_t>(got);
    }
    EXPECT_EQ(received, sent);
    // 128 KiB taken out of a 256 KiB buffer: the guest hears of it.
    const VsockHeader update = next_packet();
    EXPECT_EQ(update.op, Op::CreditUpdate);
    EXPECT_EQ(update.fwd_cnt, sent.size());
    EXPECT_EQ(update.buf_alloc, VsockMuxer::kBufferSize);
    ::close(fd);
}

TEST_F(VsockMuxerTest, AGuestBeyondItsCreditIsReset)
{
    auto [fd, host_port] = connect_from_host();
    std::vector<uint8_t> payload(VsockMuxer::kBufferSize + 1);
    muxer->send_to_host(
        from_guest(Op::ReadWrite, host_port, 1 << 20, 0, static_cast<uint32_t>(payload.size())),
        payload);
    EXPECT_EQ(next_packet().op, Op::Reset);
    char byte;
    EXPECT_EQ(::read(fd, &byte, 1), 0); // the host program sees the connection end
    ::close(fd);
}

TEST_F(VsockMuxerTest, HostBytesWaitForTheGuestsCredit)
{
    auto [fd, host_port] = connect_from_host(1000);
    const std::vector<uint8_t> data(5000, 0x5a);
    ASSERT_EQ(::write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    std::vector<uint8_t> payload;
    const VsockHeader first = next_packet(&payload);
    EXPECT_EQ(first.op, Op::ReadWrite);
    EXPECT_EQ(first.len, 1000u);
    EXPECT_FALSE(muxer->has_packet_for_guest()); // out of credit
    // The guest took 600 bytes out of its buffer.
    muxer->send_to_host(from_guest(Op::CreditUpdate, host_port, 1000, 600), {});
    payload.clear();
    const VsockHeader second = next_packet(&payload, 4096);
    EXPECT_EQ(second.len, 600u);
    EXPECT_EQ(payload.size(), 600u);
    ::close(fd);
}

TEST_F(VsockMuxerTest, AShutdownFollowsTheHostsLastBytesAndTheGuestsAnswerClosesIt)
{
    auto [fd, host_port] = connect_from_host();
    ASSERT_EQ(::write(fd, "bye", 3), 3);
    ::shutdown(fd, SHUT_WR);
    std::vector<uint8_t> payload;
    const VsockHeader data = next_packet(&payload);
    EXPECT_EQ(data.op, Op::ReadWrite);
    EXPECT_EQ(std::string(payload.begin(), payload.end()), "bye");
    const VsockHeader shutdown = next_packet();
    EXPECT_EQ(shutdown.op, Op::Shutdown);
    EXPECT_EQ(shutdown.flags, VsockHeader::kShutdownSend);
    VsockHeader done = from_guest(Op::Shutdown, host_port);
    done.flags = VsockHeader::kShutdownSend | VsockHeader::kShutdownReceive;
    muxer->send_to_host(done, {});
    EXPECT_EQ(next_packet().op, Op::Reset); // the spec's clean close
    char byte;
    EXPECT_EQ(::read(fd, &byte, 1), 0);
    ::close(fd);
}

TEST_F(VsockMuxerTest, GuestConnectionsReachPathUnderscorePortOrAreReset)
{
    const auto listener = rvisor::host::create_listening_socket(folder / "v.sock_700");
    muxer->send_to_host(from_guest(Op::Request, 700), {});
    EXPECT_EQ(next_packet().op, Op::Response);
    const int accepted = ::accept(listener.fd, nullptr, nullptr);
    EXPECT_GE(accepted, 0);
    ::close(accepted);
    rvisor::host::remove_listening_socket(folder / "v.sock_700", listener);

    muxer->send_to_host(from_guest(Op::Request, 701), {});
    EXPECT_EQ(next_packet().op, Op::Reset); // nobody listens there
    muxer->send_to_host(from_guest(Op::ReadWrite, 702), {});
    EXPECT_EQ(next_packet().op, Op::Reset); // no such connection
}

TEST_F(VsockMuxerTest, HostPortsGoOnFromWhereASnapshotLeftThem)
{
    // A restored guest may still hold (reset) connections on the ports its snapshot's host
    // used; the clone's connections must not take them again.
    const uint32_t first = muxer->next_host_port();
    muxer->set_next_host_port(first + 5);
    const auto [fd, port] = connect_from_host();
    EXPECT_EQ(port, first + 5);
    EXPECT_EQ(muxer->next_host_port(), first + 6);
    EXPECT_THROW(muxer->set_next_host_port(1024), std::invalid_argument);
    ::close(fd);
}
