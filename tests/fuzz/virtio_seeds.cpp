// Writes the seed corpora of the virtio fuzz targets: what a driver such as Linux's does, in
// each target's script (virtio_script.h, virtio_mmio_script.h), plus the edge cases the spec
// names. Run from the source tree after changing a script format:
//     build-fuzz/tests/fuzz/virtio_fuzz_seeds tests/fuzz
#include "scratch_image.h"
#include "virtio_fuzz_machine.h"
#include "virtio_mmio_script.h"
#include "virtio_script.h"

#include <array>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

using namespace rvisor::fuzz;
using namespace rvisor::devices::virtio::testing;
using Machine = VirtioFuzzMachine;

// A descriptor in the data area at `offset`, `length` bytes long.
ScriptedDescriptor buffer(uint64_t offset, uint32_t length, uint16_t flags, uint16_t next = 0)
{
    return { AddressKind::Data, offset, LengthKind::Raw, length, flags, next };
}

// A per-device script, step by step, as virtio_device_fuzzer.cpp reads it.
class DeviceScript {
public:
    // `settings` are the device's own bytes; every queue gets 16 entries, every feature is taken.
    DeviceScript(std::vector<uint8_t> settings, unsigned queues)
    {
        m_script.bytes(settings).u64(0);
        for (unsigned index = 0; index < queues; ++index)
            m_script.u8(5);
    }

    DeviceScript& descriptor(uint8_t queue, uint16_t index, const ScriptedDescriptor& descriptor)
    {
        op(Op::SetDescriptor).u8(queue).u16(index);
        write_descriptor(m_script, descriptor);
        return *this;
    }
    // Entry `index` of the indirect table at data offset `table` (a multiple of 16).
    DeviceScript& table_entry(uint64_t table, uint16_t index, const ScriptedDescriptor& descriptor)
    {
        op(Op::SetTableEntry).u16(static_cast<uint16_t>(table / 16 + index));
        write_descriptor(m_script, descriptor);
        return *this;
    }
    DeviceScript& repeated_entries(
        uint64_t table, uint16_t count, const ScriptedDescriptor& descriptor)
    {
        op(Op::RepeatTableEntry).u16(static_cast<uint16_t>(table / 16)).u16(count);
        write_descriptor(m_script, descriptor);
        return *this;
    }
    DeviceScript& data(uint16_t offset, std::vector<uint8_t> bytes)
    {
        op(Op::WriteData).u16(offset).u8(static_cast<uint8_t>(bytes.size())).bytes(bytes);
        return *this;
    }
    DeviceScript& publish(uint8_t queue, uint16_t head)
    {
        op(Op::Publish).u8(queue).u16(head);
        return *this;
    }
    DeviceScript& notify(uint8_t queue)
    {
        op(Op::Notify).u8(queue);
        return *this;
    }
    DeviceScript& host_side(std::vector<uint8_t> fields)
    {
        op(Op::HostSide).bytes(fields);
        return *this;
    }
    DeviceScript& write_config(uint8_t offset, uint8_t size_code, uint64_t value)
    {
        op(Op::WriteConfig).u8(offset).u8(size_code).u64(value);
        return *this;
    }
    DeviceScript& acknowledge(uint32_t interrupts)
    {
        op(Op::AcknowledgeInterrupts).u32(interrupts);
        return *this;
    }

    const std::vector<uint8_t>& bytes() const { return m_script.data(); }

private:
    ScriptWriter& op(Op op) { return m_script.u8(static_cast<uint8_t>(op)); }

    ScriptWriter m_script;
};

std::vector<uint8_t> little_endian(uint64_t value, unsigned size)
{
    std::vector<uint8_t> bytes;
    for (unsigned index = 0; index < size; ++index)
        bytes.push_back(static_cast<uint8_t>(value >> (8 * index)));
    return bytes;
}

std::vector<uint8_t> concatenated(std::initializer_list<std::vector<uint8_t>> parts)
{
    std::vector<uint8_t> whole;
    for (const auto& part : parts)
        whole.insert(whole.end(), part.begin(), part.end());
    return whole;
}

class CorpusWriter {
public:
    explicit CorpusWriter(std::filesystem::path directory)
        : m_directory(std::move(directory))
    {
        std::filesystem::create_directories(m_directory);
    }
    void add(const std::string& name, const std::vector<uint8_t>& bytes)
    {
        std::ofstream out(m_directory / name, std::ios::binary);
        out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
    }

private:
    std::filesystem::path m_directory;
};

// struct virtio_blk_req's header at data offset 0: type, reserved, sector.
std::vector<uint8_t> block_header(uint32_t type, uint64_t sector)
{
    return concatenated({ little_endian(type, 4), little_endian(0, 4), little_endian(sector, 8) });
}

// Header at 0, data at 0x1000 (readable or writable), status byte at 0x200: Linux's three
// descriptors for a request.
DeviceScript block_request(
    uint32_t type, uint64_t sector, uint32_t length, bool device_writes, uint8_t settings = 0)
{
    DeviceScript script({ settings }, 1);
    script.data(0, block_header(type, sector)).descriptor(0, 0, buffer(0, 16, kNext, 1));
    uint16_t status = 1;
    if (length != 0) {
        script.descriptor(0, 1, buffer(0x1000, length, kNext | (device_writes ? kWrite : 0), 2));
        status = 2;
    }
    script.descriptor(0, status, buffer(0x200, 1, kWrite)).publish(0, 0).notify(0);
    return script;
}

void write_block_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_block_corpus");
    corpus.add("read", block_request(0, 0, 4096, true).bytes());
    corpus.add("write", block_request(1, 8, 1024, false).bytes());
    corpus.add("flush", block_request(4, 0, 0, false).bytes());
    corpus.add("get-id", block_request(8, 0, 20, true).bytes());
    corpus.add("write-read-only", block_request(1, 0, 512, false, 1).bytes());
    corpus.add("read-past-the-disk",
        block_request(0, (ScratchImage::kSize / 512) - 1, 1024, true).bytes());
    const std::vector<uint8_t> segment
        = concatenated({ little_endian(8, 8), little_endian(8, 4), little_endian(0, 4) });
    for (auto [name, type] : { std::pair { "discard", 11u }, std::pair { "write-zeroes", 13u } }) {
        DeviceScript script({ 0 }, 1);
        script.data(0, block_header(type, 0))
            .data(0x1000, segment)
            .descriptor(0, 0, buffer(0, 16, kNext, 1))
            .descriptor(0, 1, buffer(0x1000, 16, kNext, 2))
            .descriptor(0, 2, buffer(0x200, 1, kWrite))
            .publish(0, 0)
            .notify(0);
        corpus.add(name, script.bytes());
    }
    // Linux with indirect descriptors: one direct entry naming a table of three.
    DeviceScript indirect({ 0 }, 1);
    indirect.data(0, block_header(0, 2))
        .table_entry(0x800, 0, buffer(0, 16, kNext, 1))
        .table_entry(0x800, 1, buffer(0x1000, 512, kNext | kWrite, 2))
        .table_entry(0x800, 2, buffer(0x200, 1, kWrite))
        .descriptor(0, 0, buffer(0x800, 48, kIndirect))
        .publish(0, 0)
        .notify(0);
    corpus.add("read-indirect", indirect.bytes());
    // Three requests, one notification, as a busy driver batches them.
    DeviceScript batch({ 0 }, 1);
    batch.data(0, block_header(1, 0)).data(0x100, block_header(0, 0));
    for (uint16_t request = 0; request < 3; ++request) {
        const uint16_t head = static_cast<uint16_t>(3 * request);
        batch
            .descriptor(0, head,
                buffer(request == 0 ? 0 : 0x100, 16, kNext, static_cast<uint16_t>(head + 1)))
            .descriptor(0, static_cast<uint16_t>(head + 1),
                buffer(0x1000 + 0x200 * request, 512,
                    static_cast<uint16_t>(kNext | (request == 0 ? 0 : kWrite)),
                    static_cast<uint16_t>(head + 2)))
            .descriptor(0, static_cast<uint16_t>(head + 2), buffer(0x300 + request, 1, kWrite))
            .publish(0, head);
    }
    batch.notify(0).acknowledge(1);
    corpus.add("batch", batch.bytes());
    // The edges: a buffer one byte past the end of RAM, and one whose end wraps 2^64.
    for (auto [name, kind] : { std::pair { "past-end-of-ram", AddressKind::PastEnd },
             std::pair { "wrapping", AddressKind::Wrapping } }) {
        DeviceScript script({ 0 }, 1);
        script.data(0, block_header(0, 0))
            .descriptor(0, 0, buffer(0, 16, kNext, 1))
            .descriptor(0, 1, { kind, 0, LengthKind::Sectors, 1, kNext | kWrite, 2 })
            .descriptor(0, 2, buffer(0x200, 1, kWrite))
            .publish(0, 0)
            .notify(0);
        corpus.add(name, script.bytes());
    }
}

// An ARP request for 10.0.2.2 from 10.0.2.15, as a guest's first frame usually is.
std::vector<uint8_t> arp_request()
{
    return concatenated(
        { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06 },
            { 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
                10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2 },
            std::vector<uint8_t>(18, 0) });
}

void write_net_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_net_corpus");
    const std::vector<uint8_t> frame = arp_request();
    DeviceScript transmit({}, 2);
    transmit.data(0, std::vector<uint8_t>(12, 0))
        .data(12, frame)
        .descriptor(1, 0, buffer(0, static_cast<uint32_t>(12 + frame.size()), 0))
        .publish(1, 0)
        .notify(1);
    corpus.add("transmit", transmit.bytes());
    // Linux's receive buffers (1526 bytes each), then a reply arriving.
    DeviceScript receive({}, 2);
    for (uint16_t index = 0; index < 2; ++index)
        receive.descriptor(0, index, buffer(0x1000 + 0x800 * index, 1526, kWrite))
            .publish(0, index);
    receive.notify(0)
        .host_side(concatenated({ little_endian(frame.size(), 2), frame }))
        .host_side(concatenated({ little_endian(frame.size(), 2), frame }));
    corpus.add("receive", receive.bytes());
    DeviceScript split({}, 2);
    split.data(0, std::vector<uint8_t>(12, 0))
        .data(0x100, frame)
        .descriptor(1, 0, buffer(0, 12, kNext, 1))
        .descriptor(1, 1, buffer(0x100, static_cast<uint32_t>(frame.size()), 0))
        .publish(1, 0)
        .notify(1);
    corpus.add("transmit-split-header", split.bytes());
}

void write_console_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_console_corpus");
    const std::vector<uint8_t> line { 'r', 'v', 'i', 's', 'o', 'r', ' ', 'l', 'o', 'g', 'i', 'n',
        ':', ' ' };
    DeviceScript output({}, 2);
    output.data(0, line)
        .descriptor(1, 0, buffer(0, static_cast<uint32_t>(line.size()), 0))
        .publish(1, 0)
        .notify(1);
    corpus.add("output", output.bytes());
    DeviceScript input({}, 2);
    input.descriptor(0, 0, buffer(0x1000, 64, kWrite))
        .publish(0, 0)
        .notify(0)
        .host_side({ 3, 'l', 's', '\n' });
    corpus.add("input", input.bytes());
    // A long line through an indirect table of 64 buffers.
    DeviceScript long_output({}, 2);
    long_output.data(0x100, line)
        .repeated_entries(0x800, 64, buffer(0x100, static_cast<uint32_t>(line.size()), kNext))
        .descriptor(1, 0, buffer(0x800, 64 * 16, kIndirect))
        .publish(1, 0)
        .notify(1);
    corpus.add("output-indirect", long_output.bytes());
}

void write_rng_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_rng_corpus");
    DeviceScript fill({}, 1);
    fill.descriptor(0, 0, buffer(0x1000, 64, kWrite)).publish(0, 0).notify(0);
    corpus.add("fill", fill.bytes());
    DeviceScript indirect({}, 1);
    indirect.table_entry(0x800, 0, buffer(0x1000, 32, kNext | kWrite, 1))
        .table_entry(0x800, 1, buffer(0x2000, 32, kWrite))
        .descriptor(0, 0, buffer(0x800, 32, kIndirect))
        .publish(0, 0)
        .notify(0);
    corpus.add("fill-indirect", indirect.bytes());
    DeviceScript near_end({}, 1);
    near_end.descriptor(0, 0, { AddressKind::NearEnd, 63, LengthKind::Small, 64, kWrite, 0 })
        .publish(0, 0)
        .notify(0);
    corpus.add("fill-last-bytes-of-ram", near_end.bytes());
}

void write_balloon_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_balloon_corpus");
    // PFNs of two data-area pages, as the driver's inflate and deflate arrays carry them.
    const uint64_t first_page = (Machine::kDataBase >> 12) + 4;
    const std::vector<uint8_t> pfns
        = concatenated({ little_endian(first_page, 4), little_endian(first_page + 1, 4) });
    for (auto [name, queue] :
        { std::pair { "inflate", uint8_t { 0 } }, std::pair { "deflate", uint8_t { 1 } } }) {
        DeviceScript script({}, 3);
        script.data(0, pfns)
            .descriptor(queue, 0, buffer(0, 8, 0))
            .publish(queue, 0)
            .notify(queue)
            .write_config(4, 2, 2);
        corpus.add(name, script.bytes());
    }
    DeviceScript report({}, 3);
    report.descriptor(2, 0, buffer(0x8000, 0x4000, kWrite)).publish(2, 0).notify(2);
    corpus.add("report", report.bytes());
}

// struct virtio_vsock_hdr from the guest (cid 3, port 5000) to the host's port `port`.
std::vector<uint8_t> vsock_header(
    uint16_t op, uint32_t port, uint32_t length = 0, uint32_t flags = 0)
{
    return concatenated({ little_endian(3, 8), little_endian(2, 8), little_endian(5000, 4),
        little_endian(port, 4), little_endian(length, 4), little_endian(1, 2), little_endian(op, 2),
        little_endian(flags, 4), little_endian(262144, 4), little_endian(0, 4) });
}

void write_vsock_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_vsock_corpus");
    // Linux's receive buffers: a header and 4 KiB each.
    auto with_receive_buffers = [] {
        DeviceScript script({}, 3);
        for (uint16_t index = 0; index < 4; ++index)
            script.descriptor(0, index, buffer(0x4000 + 0x1100 * index, 44 + 4096, kWrite))
                .publish(0, index);
        script.notify(0);
        return script;
    };
    // A connection to the harness's listener on host port 1024, bytes on it, a credit request,
    // a shutdown of both directions.
    DeviceScript connection = with_receive_buffers();
    const std::vector<uint8_t> hello { 'h', 'e', 'l', 'l', 'o' };
    connection.data(0, vsock_header(1, 1024))
        .data(0x100, concatenated({ vsock_header(5, 1024, 5), hello }))
        .data(0x200, vsock_header(7, 1024))
        .data(0x300, vsock_header(4, 1024, 0, 3));
    for (uint16_t packet = 0; packet < 4; ++packet) {
        const uint32_t length = packet == 1 ? 49 : 44;
        connection.descriptor(1, packet, buffer(0x100 * packet, length, 0))
            .publish(1, packet)
            .notify(1);
    }
    corpus.add("connect-send-shutdown", connection.bytes());
    // A request to a port nobody listens on, and bytes for a connection that does not exist.
    DeviceScript refused = with_receive_buffers();
    refused.data(0, vsock_header(1, 77))
        .data(0x100, concatenated({ vsock_header(5, 78, 5), hello }))
        .descriptor(1, 0, buffer(0, 44, 0))
        .descriptor(1, 1, buffer(0x100, 49, 0))
        .publish(1, 0)
        .publish(1, 1)
        .notify(1);
    corpus.add("refused", refused.bytes());
    // A host program's CONNECT to the guest's port 5000, which the guest answers.
    DeviceScript from_host = with_receive_buffers();
    const std::string line = "CONNECT 5000\n";
    std::vector<uint8_t> action { 0, static_cast<uint8_t>(line.size()) };
    action.insert(action.end(), line.begin(), line.end());
    from_host.host_side(action);
    corpus.add("host-connect", from_host.bytes());
}

// A FUSE request as Linux's virtiofs sends it: fuse_in_header (len, opcode, unique, nodeid,
// uid, gid, pid, padding) and the opcode's arguments.
std::vector<uint8_t> fuse_request(
    uint32_t opcode, uint64_t unique, uint64_t nodeid, const std::vector<uint8_t>& arguments)
{
    return concatenated({ little_endian(40 + arguments.size(), 4), little_endian(opcode, 4),
        little_endian(unique, 8), little_endian(nodeid, 8), little_endian(0, 16), arguments });
}

void write_fs_corpus(const std::filesystem::path& root)
{
    CorpusWriter corpus(root / "virtio_fs_corpus");
    constexpr uint32_t kInit = 26, kLookup = 1, kOpen = 14, kRead = 15, kGetattr = 3, kOpendir = 27,
                       kReaddirplus = 44, kForget = 2;
    // fuse_init_in of 7.36: major, minor, max_readahead, flags, flags2, 11 unused words.
    const std::vector<uint8_t> init = fuse_request(kInit, 1, 0,
        concatenated({ little_endian(7, 4), little_endian(36, 4), little_endian(131072, 4),
            little_endian(0x33fffffb, 4), little_endian(0, 48) }));
    const std::string hello = "hello";
    std::vector<uint8_t> name(hello.begin(), hello.end());
    name.push_back(0);
    // fuse_read_in: fh, offset, size, read_flags, lock_owner, flags, padding.
    auto read_in = [](uint64_t fh, uint32_t size) {
        return concatenated({ little_endian(fh, 8), little_endian(0, 8), little_endian(size, 4),
            little_endian(0, 4), little_endian(0, 8), little_endian(0, 8) });
    };
    // Each request at data offset 0x100 * n, its reply buffer at 0x4000 + 0x1000 * n, on the
    // request queue (1) as one readable and one writable descriptor.
    auto with_requests
        = [](DeviceScript script, const std::vector<std::vector<uint8_t>>& requests) {
              for (uint16_t index = 0; index < requests.size(); ++index) {
                  const uint16_t head = static_cast<uint16_t>(2 * index);
                  script.data(static_cast<uint16_t>(0x100 * index), requests[index])
                      .descriptor(1, head,
                          buffer(0x100 * index, static_cast<uint32_t>(requests[index].size()),
                              kNext, static_cast<uint16_t>(head + 1)))
                      .descriptor(1, static_cast<uint16_t>(head + 1),
                          buffer(0x4000 + 0x1000 * index, 0x1000, kWrite))
                      .publish(1, head)
                      .notify(1);
              }
              return script;
          };
    corpus.add("init", with_requests(DeviceScript({ 0 }, 2), { init }).bytes());
    corpus.add("init-lookup-getattr",
        with_requests(DeviceScript({ 0 }, 2),
            { init, fuse_request(kLookup, 2, 1, name),
                fuse_request(kGetattr, 3, 2, little_endian(0, 16)) })
            .bytes());
    // LOOKUP hello (nodeid 2), OPEN it (fh 1), READ it, then READDIRPLUS of the root.
    corpus.add("init-lookup-open-read",
        with_requests(DeviceScript({ 0 }, 2),
            { init, fuse_request(kLookup, 2, 1, name),
                fuse_request(kOpen, 3, 2, little_endian(0, 8)),
                fuse_request(kRead, 4, 2, read_in(1, 4096)),
                fuse_request(kOpendir, 5, 1, little_endian(0, 8)),
                fuse_request(kReaddirplus, 6, 1, read_in(2, 4096)) })
            .bytes());
    auto text = [](const std::string& value, bool terminated = true) {
        std::vector<uint8_t> bytes(value.begin(), value.end());
        if (terminated)
            bytes.push_back(0);
        return bytes;
    };
    auto u32 = [](uint32_t value) { return little_endian(value, 4); };
    auto u64 = [](uint64_t value) { return little_endian(value, 8); };
    constexpr uint32_t kCreate = 35, kWrite = 16, kRelease = 18, kFsync = 20, kLseek = 46,
                       kFallocate = 43, kMkdir = 9, kSymlink = 6, kReadlink = 5, kRename2 = 45,
                       kLink = 13, kUnlink = 10, kRmdir = 11, kSetattr = 4, kSetxattr = 21,
                       kGetxattr = 22, kListxattr = 23, kRemovexattr = 24, kStatfs = 17, kMknod = 8,
                       kReaddir = 28, kReleasedir = 29, kSyncfs = 50, kBatchForget = 42,
                       kDestroy = 38;
    // CREATE "new" (nodeid 2, fh 1), WRITE, READ, FSYNC, LSEEK SEEK_DATA, FALLOCATE, RELEASE.
    corpus.add("create-write-read-release",
        with_requests(DeviceScript({ 0 }, 2),
            { init,
                fuse_request(kCreate, 2, 1,
                    concatenated({ u32(0102), u32(0100644), u32(022), u32(0), text("new") })),
                fuse_request(kWrite, 3, 2,
                    concatenated({ u64(1), u64(0), u32(4), u32(0), u64(0), u32(0), u32(0),
                        text("data", false) })),
                fuse_request(kRead, 4, 2, read_in(1, 4096)),
                fuse_request(kFsync, 5, 2, concatenated({ u64(1), u32(1), u32(0) })),
                fuse_request(kLseek, 6, 2, concatenated({ u64(1), u64(0), u32(3), u32(0) })),
                fuse_request(
                    kFallocate, 7, 2, concatenated({ u64(1), u64(0), u64(8192), u32(0), u32(0) })),
                fuse_request(kRelease, 8, 2, concatenated({ u64(1), u32(0), u32(0), u64(0) })) })
            .bytes());
    // MKDIR "d" (nodeid 2), SYMLINK d/l -> ../hello (3), READLINK, RENAME2 hello to d/moved,
    // LINK l as /l2, UNLINK d/l, RMDIR d (not empty).
    corpus.add("mkdir-symlink-rename-link-unlink",
        with_requests(DeviceScript({ 0 }, 2),
            { init, fuse_request(kMkdir, 2, 1, concatenated({ u32(0755), u32(022), text("d") })),
                fuse_request(kSymlink, 3, 2, concatenated({ text("l"), text("../hello") })),
                fuse_request(kReadlink, 4, 3, {}),
                fuse_request(kRename2, 5, 1,
                    concatenated({ u64(2), u32(0), u32(0), text("hello"), text("moved") })),
                fuse_request(kLink, 6, 1, concatenated({ u64(3), text("l2") })),
                fuse_request(kUnlink, 7, 2, text("l")), fuse_request(kRmdir, 8, 1, text("d")) })
            .bytes());
    // LOOKUP hello (2), SETATTR mode, size and both times to now, then its extended
    // attributes: set, size query, list, remove; STATFS.
    std::vector<uint8_t> setattr
        = concatenated({ u32(1 | 8 | 16 | 32 | 128 | 256), u32(0), u64(0), u64(3), u64(0), u64(0),
            u64(0), u64(0), u32(0), u32(0), u32(0), u32(0100600), u32(0), u32(0), u32(0), u32(0) });
    corpus.add("lookup-setattr-xattrs-statfs",
        with_requests(DeviceScript({ 0 }, 2),
            { init, fuse_request(kLookup, 2, 1, name), fuse_request(kSetattr, 3, 2, setattr),
                fuse_request(kSetxattr, 4, 2,
                    concatenated({ u32(5), u32(0), text("user.test"), text("value", false) })),
                fuse_request(kGetxattr, 5, 2, concatenated({ u32(0), u32(0), text("user.test") })),
                fuse_request(kListxattr, 6, 2, concatenated({ u32(256), u32(0) })),
                fuse_request(kRemovexattr, 7, 2, text("user.test")),
                fuse_request(kStatfs, 8, 1, {}) })
            .bytes());
    // MKNOD a FIFO, OPENDIR (fh 1), READDIR, RELEASEDIR, SYNCFS, BATCH_FORGET, DESTROY.
    corpus.add("mknod-readdir-syncfs-forget-destroy",
        with_requests(DeviceScript({ 0 }, 2),
            { init,
                fuse_request(kMknod, 2, 1,
                    concatenated({ u32(010644), u32(0), u32(022), u32(0), text("p") })),
                fuse_request(kOpendir, 4, 1, little_endian(0, 8)),
                fuse_request(kReaddir, 5, 1, read_in(1, 4096)),
                fuse_request(kReleasedir, 6, 1, concatenated({ u64(1), u32(0), u32(0), u64(0) })),
                fuse_request(kSyncfs, 7, 1, u64(0)),
                fuse_request(kBatchForget, 8, 0, concatenated({ u32(1), u32(0), u64(2), u64(1) })),
                fuse_request(kDestroy, 9, 1, {}) })
            .bytes());
    // A FORGET on the hiprio queue (0), which has no reply.
    DeviceScript forget
        = with_requests(DeviceScript({ 1 }, 2), { init, fuse_request(kLookup, 2, 1, name) });
    forget.data(0x800, fuse_request(kForget, 3, 2, little_endian(1, 8)))
        .descriptor(0, 0, buffer(0x800, 48, 0))
        .publish(0, 0)
        .notify(0);
    corpus.add("read-only-lookup-forget", forget.bytes());
}

// The register writes of Linux's virtio_mmio probe and a block request, with the driver's
// ring stores between them.
void write_mmio_corpus(const std::filesystem::path& root)
{
    ScriptWriter script;
    script.u8(0);
    auto write = [&](uint16_t offset, ValueKind kind, uint64_t value) {
        script.u8(static_cast<uint8_t>(RegisterOp::Write))
            .u8(2)
            .u16(offset)
            .u8(static_cast<uint8_t>(kind))
            .u64(value);
    };
    auto read = [&](uint16_t offset) {
        script.u8(static_cast<uint8_t>(RegisterOp::Read)).u8(2).u16(offset);
    };
    auto store = [&](uint32_t offset, uint64_t value) {
        script.u8(static_cast<uint8_t>(RegisterOp::WriteRam)).u32(offset).u64(value);
    };
    for (uint16_t offset : { 0x000, 0x004, 0x008, 0x00c })
        read(offset);
    write(kStatus, ValueKind::Raw, 0);
    write(kStatus, ValueKind::Raw, kStatusAcknowledge);
    write(kStatus, ValueKind::Raw, kStatusAcknowledge | kStatusDriver);
    write(kDeviceFeaturesSelect, ValueKind::Raw, 1);
    read(kDeviceFeatures);
    write(kDeviceFeaturesSelect, ValueKind::Raw, 0);
    read(kDeviceFeatures);
    write(kDriverFeaturesSelect, ValueKind::Raw, 1);
    write(kDriverFeatures, ValueKind::Raw, 1);
    write(kDriverFeaturesSelect, ValueKind::Raw, 0);
    write(kDriverFeatures, ValueKind::Raw, (1u << 9) | (1u << 28) | (1u << 29));
    write(kStatus, ValueKind::Raw, kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk);
    read(kStatus);
    read(kConfig);
    write(kQueueSelect, ValueKind::Raw, 0);
    read(kQueueReady);
    read(kQueueSizeMax);
    write(kQueueSize, ValueKind::Raw, 16);
    write(kQueueDescriptorLow, ValueKind::GuestAddress, 0);
    write(kQueueDescriptorLow + 4, ValueKind::Raw, 0);
    write(kQueueDriverLow, ValueKind::GuestAddress, 0x1000);
    write(kQueueDriverLow + 4, ValueKind::Raw, 0);
    write(kQueueDeviceLow, ValueKind::GuestAddress, 0x2000);
    write(kQueueDeviceLow + 4, ValueKind::Raw, 0);
    write(kQueueReady, ValueKind::Raw, 1);
    write(kStatus, ValueKind::Raw,
        kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    // A read of sector 0: header at 0x4000, data at 0x5000, status at 0x4100.
    store(0x4000, 0);
    store(0x4008, 0);
    store(0x00, Machine::kRamBase + 0x4000);
    store(0x08, (uint64_t { 1 } << 16 | 1) << 32 | 16);
    store(0x10, Machine::kRamBase + 0x5000);
    store(0x18, (uint64_t { 2 } << 48) | (uint64_t { 3 } << 32) | 512);
    store(0x20, Machine::kRamBase + 0x4100);
    store(0x28, uint64_t { 2 } << 32 | 1);
    store(0x1000, uint64_t { 1 } << 16);
    write(0x050, ValueKind::Raw, 0);
    read(0x060);
    write(kInterruptAcknowledge, ValueKind::Raw, 1);
    CorpusWriter corpus(root / "virtio_mmio_corpus");
    corpus.add("linux-probe-and-read", script.data());
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: virtio_fuzz_seeds TESTS_FUZZ_DIRECTORY\n");
        return 2;
    }
    const std::filesystem::path root = argv[1];
    write_mmio_corpus(root);
    write_block_corpus(root);
    write_net_corpus(root);
    write_console_corpus(root);
    write_rng_corpus(root);
    write_balloon_corpus(root);
    write_vsock_corpus(root);
    write_fs_corpus(root);
    return 0;
}
