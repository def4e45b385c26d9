#pragma once
// What the virtio-fs tests share: FUSE requests built by hand the way Linux's virtiofs driver
// builds them, and a temporary directory to share.
#include "devices/virtio/buffer_list.h"
#include "devices/virtio/fs/fuse_server.h"

#include <linux/fuse.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

namespace rvisor::devices::virtio::fs::testing {

// A request's argument bytes.
class Arguments {
public:
    template <typename T> Arguments& add(const T& value)
    {
        append(&value, sizeof value);
        return *this;
    }
    // A NUL-terminated string.
    Arguments& add_string(const std::string& text)
    {
        append(text.c_str(), text.size() + 1);
        return *this;
    }
    Arguments& add_bytes(const std::string& text)
    {
        append(text.data(), text.size());
        return *this;
    }
    const std::vector<uint8_t>& bytes() const { return m_bytes; }

private:
    // resize and copy rather than insert: GCC 12 at -O3 sees overflows and null sources in
    // insert's inlined copy that are not there (-Wstringop-overflow, -Wnonnull).
    void append(const void* bytes, size_t size)
    {
        const size_t end = m_bytes.size();
        m_bytes.resize(end + size);
        if (size != 0)
            std::memcpy(m_bytes.data() + end, bytes, size);
    }

    std::vector<uint8_t> m_bytes;
};

inline std::vector<uint8_t> encode_request(
    uint32_t opcode, uint64_t nodeid, uint64_t unique, const Arguments& arguments)
{
    fuse_in_header header {};
    header.len = static_cast<uint32_t>(sizeof header + arguments.bytes().size());
    header.opcode = opcode;
    header.unique = unique;
    header.nodeid = nodeid;
    std::vector<uint8_t> request(header.len);
    std::memcpy(request.data(), &header, sizeof header);
    if (!arguments.bytes().empty())
        std::memcpy(
            request.data() + sizeof header, arguments.bytes().data(), arguments.bytes().size());
    return request;
}

struct Response {
    uint32_t written { 0 };
    fuse_out_header header {};
    std::vector<uint8_t> body;

    int error() const { return -header.error; }
    template <typename T> T as() const
    {
        T value {};
        std::memcpy(&value, body.data(), std::min(sizeof value, body.size()));
        return value;
    }
    std::string text() const { return std::string(body.begin(), body.end()); }
};

// Talks to a FuseServer as the guest's driver would, one request at a time.
class FuseClient {
public:
    static constexpr size_t kDefaultReplySize = (1 << 20) + 4096;

    explicit FuseClient(FuseServer& server)
        : m_server(server)
    {
    }

    // Sends raw request bytes; `reply_size` bytes of device-writable buffer.
    Response send(std::vector<uint8_t> request, size_t reply_size = kDefaultReplySize)
    {
        std::vector<uint8_t> reply(reply_size, 0xa5);
        BufferList readable;
        readable.append(request);
        BufferList writable;
        if (!reply.empty())
            writable.append(reply);
        Response response;
        response.written = m_server.handle(readable, writable);
        if (response.written >= sizeof(fuse_out_header)) {
            std::memcpy(&response.header, reply.data(), sizeof response.header);
            response.body.assign(reply.begin() + sizeof(fuse_out_header),
                reply.begin() + std::min<size_t>(response.written, reply.size()));
        }
        return response;
    }

    Response call(uint32_t opcode, uint64_t nodeid, const Arguments& arguments = {},
        size_t reply_size = kDefaultReplySize)
    {
        return send(encode_request(opcode, nodeid, m_unique++, arguments), reply_size);
    }

    Response init()
    {
        fuse_init_in in {};
        in.major = 7;
        in.minor = 36;
        in.max_readahead = 128 * 1024;
        in.flags = 0xffffffff;
        return call(FUSE_INIT, 0, Arguments().add(in));
    }

    // The nodeid (0 on failure) and the error.
    std::pair<uint64_t, int> lookup(uint64_t parent, const std::string& name)
    {
        Response response = call(FUSE_LOOKUP, parent, Arguments().add_string(name));
        return { response.error() ? 0 : response.as<fuse_entry_out>().nodeid, response.error() };
    }
    Response getattr(uint64_t nodeid)
    {
        return call(FUSE_GETATTR, nodeid, Arguments().add(fuse_getattr_in {}));
    }
    void forget(uint64_t nodeid, uint64_t count)
    {
        fuse_forget_in in {};
        in.nlookup = count;
        call(FUSE_FORGET, nodeid, Arguments().add(in));
    }
    std::pair<uint64_t, int> open(uint64_t nodeid, uint32_t flags, uint32_t opcode = FUSE_OPEN)
    {
        fuse_open_in in {};
        in.flags = flags;
        Response response = call(opcode, nodeid, Arguments().add(in));
        return { response.error() ? 0 : response.as<fuse_open_out>().fh, response.error() };
    }
    // The entry and open handle, or the error in `error`.
    struct Created {
        fuse_entry_out entry {};
        uint64_t fh { 0 };
        int error { 0 };
    };
    Created create(
        uint64_t parent, const std::string& name, uint32_t mode, uint32_t flags, uint32_t umask = 0)
    {
        fuse_create_in in {};
        in.flags = flags;
        in.mode = mode;
        in.umask = umask;
        Response response = call(FUSE_CREATE, parent, Arguments().add(in).add_string(name));
        Created created;
        created.error = response.error();
        if (!created.error) {
            std::memcpy(&created.entry, response.body.data(), sizeof created.entry);
            fuse_open_out open_out {};
            std::memcpy(&open_out, response.body.data() + sizeof created.entry, sizeof open_out);
            created.fh = open_out.fh;
        }
        return created;
    }
    Response write(uint64_t nodeid, uint64_t fh, uint64_t offset, const std::string& data)
    {
        fuse_write_in in {};
        in.fh = fh;
        in.offset = offset;
        in.size = static_cast<uint32_t>(data.size());
        return call(FUSE_WRITE, nodeid, Arguments().add(in).add_bytes(data));
    }
    Response read(
        uint64_t nodeid, uint64_t fh, uint64_t offset, uint32_t size, uint32_t opcode = FUSE_READ)
    {
        fuse_read_in in {};
        in.fh = fh;
        in.offset = offset;
        in.size = size;
        return call(opcode, nodeid, Arguments().add(in));
    }
    Response release(uint64_t nodeid, uint64_t fh, uint32_t opcode = FUSE_RELEASE)
    {
        fuse_release_in in {};
        in.fh = fh;
        return call(opcode, nodeid, Arguments().add(in));
    }
    std::pair<uint64_t, int> mkdir(
        uint64_t parent, const std::string& name, uint32_t mode, uint32_t umask = 0)
    {
        fuse_mkdir_in in {};
        in.mode = mode;
        in.umask = umask;
        Response response = call(FUSE_MKDIR, parent, Arguments().add(in).add_string(name));
        return { response.error() ? 0 : response.as<fuse_entry_out>().nodeid, response.error() };
    }
    int rename(uint64_t parent, const std::string& name, uint64_t new_parent,
        const std::string& new_name, uint32_t flags = 0)
    {
        fuse_rename2_in in {};
        in.newdir = new_parent;
        in.flags = flags;
        return call(FUSE_RENAME2, parent, Arguments().add(in).add_string(name).add_string(new_name))
            .error();
    }

private:
    FuseServer& m_server;
    uint64_t m_unique { 1 };
};

// A fresh directory under the system's temporary directory, removed with everything in it.
class TemporaryDirectory {
public:
    TemporaryDirectory()
    {
        std::string pattern
            = (std::filesystem::temp_directory_path() / "rvisor-fs-XXXXXX").string();
        if (!::mkdtemp(pattern.data()))
            std::abort();
        m_path = pattern;
    }
    ~TemporaryDirectory()
    {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }
    const std::filesystem::path& path() const { return m_path; }

private:
    std::filesystem::path m_path;
};

} // namespace rvisor::devices::virtio::fs::testing
