#include "devices/virtio/fs/fuse_server.h"

#include "devices/virtio/fs/fuse_abi.h"

#include <fcntl.h>
#include <linux/limits.h>
#include <linux/xattr.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace rvisor::devices::virtio::fs {

namespace {

constexpr uint32_t kOutHeaderSize = sizeof(fuse_out_header);
// How long the guest may trust a lookup or attributes: the host may change the directory
// behind its back, so not for long.
constexpr uint64_t kValidSeconds = 1;

// What INIT offers, each only if the kernel asks: every one is implemented here or is the
// guest kernel's own business (AUTO_INVAL_DATA drops its cached pages when the host changed a
// file's mtime). No locks (the guest keeps them), no writeback cache, no DAX, no extended
// setxattr, no export support (so no LOOKUP of "." or "..").
constexpr uint32_t kOfferedFlags = FUSE_ASYNC_READ | FUSE_BIG_WRITES | FUSE_DONT_MASK
    | FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO | FUSE_PARALLEL_DIROPS | FUSE_MAX_PAGES
    | FUSE_CACHE_SYMLINKS | FUSE_ASYNC_DIO | FUSE_AUTO_INVAL_DATA;

size_t align_dirent(size_t size) { return (size + 7) & ~size_t { 7 }; }

fuse_attr to_fuse_attr(const struct stat& st)
{
    fuse_attr attr {};
    attr.ino = st.st_ino;
    attr.size = static_cast<uint64_t>(st.st_size);
    attr.blocks = static_cast<uint64_t>(st.st_blocks);
    attr.atime = static_cast<uint64_t>(st.st_atim.tv_sec);
    attr.mtime = static_cast<uint64_t>(st.st_mtim.tv_sec);
    attr.ctime = static_cast<uint64_t>(st.st_ctim.tv_sec);
    attr.atimensec = static_cast<uint32_t>(st.st_atim.tv_nsec);
    attr.mtimensec = static_cast<uint32_t>(st.st_mtim.tv_nsec);
    attr.ctimensec = static_cast<uint32_t>(st.st_ctim.tv_nsec);
    attr.mode = st.st_mode;
    attr.nlink = static_cast<uint32_t>(st.st_nlink);
    attr.uid = st.st_uid;
    attr.gid = st.st_gid;
    attr.rdev = static_cast<uint32_t>(st.st_rdev);
    attr.blksize = static_cast<uint32_t>(st.st_blksize);
    return attr;
}

fuse_entry_out to_entry_out(const Entry& entry)
{
    fuse_entry_out out {};
    out.nodeid = entry.nodeid;
    if (entry.nodeid != 0) {
        out.entry_valid = kValidSeconds;
        out.attr_valid = kValidSeconds;
        out.attr = to_fuse_attr(entry.attributes);
    }
    return out;
}

fuse_attr_out to_attr_out(const struct stat& st)
{
    fuse_attr_out out {};
    out.attr_valid = kValidSeconds;
    out.attr = to_fuse_attr(st);
    return out;
}

// The request's arguments, read front to back; every read is checked against the end.
class Arguments {
public:
    Arguments(const BufferList& request, uint64_t begin, uint64_t end)
        : m_request(request)
        , m_position(begin)
        , m_end(end)
    {
    }

    template <WireStruct T> std::optional<T> take()
    {
        if (remaining() < sizeof(T))
            return std::nullopt;
        auto value = read_struct<T>(m_request, m_position);
        m_position += sizeof(T);
        return value;
    }
    // A prefix of T of `size` bytes (an older, shorter layout of it), the rest zero.
    template <WireStruct T> std::optional<T> take_prefix(size_t size)
    {
        T value {};
        if (remaining() < size || size > sizeof(T))
            return std::nullopt;
        std::span<uint8_t> bytes(reinterpret_cast<uint8_t*>(&value), size);
        m_request.read_at(m_position, bytes);
        m_position += size;
        return value;
    }
    // A NUL-terminated string of at most `max_length` bytes before the NUL.
    std::optional<std::string> take_string(size_t max_length)
    {
        const uint64_t length = std::min<uint64_t>(remaining(), max_length + 1);
        std::string text(length, '\0');
        m_request.read_at(
            m_position, std::span(reinterpret_cast<uint8_t*>(text.data()), text.size()));
        const size_t nul = text.find('\0');
        if (nul == std::string::npos)
            return std::nullopt;
        text.resize(nul);
        m_position += nul + 1;
        return text;
    }
    // A path component: a file's name in its directory, never a way out of it.
    std::optional<std::string> take_name()
    {
        auto name = take_string(NAME_MAX);
        if (!name || name->empty() || *name == "." || *name == ".."
            || name->find('/') != std::string::npos)
            return std::nullopt;
        return name;
    }
    uint64_t position() const { return m_position; }
    uint64_t remaining() const { return m_end - m_position; }

private:
    const BufferList& m_request;
    uint64_t m_position;
    uint64_t m_end;
};

// The reply buffer.
class Reply {
public:
    Reply(const BufferList& buffer, uint64_t unique)
        : m_buffer(buffer)
        , m_unique(unique)
    {
    }

    bool fits(uint64_t body_size) const { return m_buffer.size() >= kOutHeaderSize + body_size; }
    uint64_t body_capacity() const
    {
        return m_buffer.size() >= kOutHeaderSize ? m_buffer.size() - kOutHeaderSize : 0;
    }
    const BufferList& buffer() const { return m_buffer; }

    uint32_t error(int error_number) const { return header(0, -error_number); }
    uint32_t empty() const { return header(0, 0); }
    // The body was written at kOutHeaderSize already.
    uint32_t written(uint64_t body_size) const
    {
        return header(static_cast<uint32_t>(body_size), 0);
    }
    template <WireStruct T> uint32_t with(const T& body) const
    {
        return with_bytes(bytes_of(body));
    }
    uint32_t with_bytes(std::span<const uint8_t> body) const
    {
        if (!fits(body.size()))
            return error(ERANGE);
        m_buffer.write_at(kOutHeaderSize, body);
        return written(body.size());
    }

private:
    uint32_t header(uint32_t body_size, int32_t error) const
    {
        if (m_buffer.size() < kOutHeaderSize)
            return 0; // nowhere to say anything; the driver sees 0 bytes written
        fuse_out_header out {};
        out.len = kOutHeaderSize + body_size;
        out.error = error;
        out.unique = m_unique;
        m_buffer.write_at(0, bytes_of(out));
        return out.len;
    }

    const BufferList& m_buffer;
    uint64_t m_unique;
};

// READDIR's reply, filled entry by entry up to the size the guest asked for.
class ReplyListing final : public DirectoryListing {
public:
    ReplyListing(const Reply& reply, uint64_t size, bool plus)
        : m_reply(reply)
        , m_limit(std::min<uint64_t>(reply.body_capacity(), size))
        , m_plus(plus)
    {
    }

    bool has_room(size_t name_length) const override
    {
        return m_used + entry_size(name_length) <= m_limit;
    }
    void add(const DirectoryEntry& entry, const Entry* lookup) override
    {
        std::vector<uint8_t> bytes(entry_size(entry.name.size()), 0);
        size_t at = 0;
        if (m_plus) {
            const fuse_entry_out out = to_entry_out(lookup ? *lookup : Entry {});
            std::memcpy(bytes.data(), &out, sizeof out);
            at = sizeof out;
        }
        fuse_dirent dirent {};
        dirent.ino = lookup && lookup->nodeid ? lookup->attributes.st_ino : entry.inode;
        dirent.off = entry.offset;
        dirent.namelen = static_cast<uint32_t>(entry.name.size());
        dirent.type = entry.type;
        std::memcpy(bytes.data() + at, &dirent, FUSE_NAME_OFFSET);
        std::memcpy(bytes.data() + at + FUSE_NAME_OFFSET, entry.name.data(), entry.name.size());
        m_reply.buffer().write_at(kOutHeaderSize + m_used, bytes);
        m_used += bytes.size();
    }
    bool plus() const override { return m_plus; }
    uint64_t used() const { return m_used; }

private:
    size_t entry_size(size_t name_length) const
    {
        return (m_plus ? sizeof(fuse_entry_out) : 0) + align_dirent(FUSE_NAME_OFFSET + name_length);
    }

    const Reply& m_reply;
    uint64_t m_limit;
    uint64_t m_used { 0 };
    bool m_plus;
};

// The fixed size of each opcode's reply body, checked before the request is served.
uint64_t fixed_reply_size(uint32_t opcode)
{
    switch (opcode) {
    case FUSE_LOOKUP:
    case FUSE_SYMLINK:
    case FUSE_MKNOD:
    case FUSE_MKDIR:
    case FUSE_LINK: return sizeof(fuse_entry_out);
    case FUSE_CREATE: return sizeof(fuse_entry_out) + sizeof(fuse_open_out);
    case FUSE_GETATTR:
    case FUSE_SETATTR: return sizeof(fuse_attr_out);
    case FUSE_OPEN:
    case FUSE_OPENDIR: return sizeof(fuse_open_out);
    case FUSE_WRITE: return sizeof(fuse_write_out);
    case FUSE_STATFS: return sizeof(fuse_statfs_out);
    case FUSE_LSEEK: return sizeof(fuse_lseek_out);
    case FUSE_INIT: return sizeof(fuse_init_out);
    default: return 0;
    }
}

} // namespace

FuseServer::FuseServer(FileSystem& file_system)
    : m_file_system(file_system)
{
}

uint32_t FuseServer::handle(const BufferList& request, const BufferList& reply_buffer)
{
    auto header = read_struct<fuse_in_header>(request, 0);
    if (!header)
        return Reply(reply_buffer, 0).error(EINVAL);
    const Reply reply(reply_buffer, header->unique);
    if (header->len < sizeof(fuse_in_header) || header->len > request.size())
        return reply.error(EINVAL);
    const uint32_t opcode = header->opcode;
    const uint64_t nodeid = header->nodeid;
    Arguments arguments(request, sizeof(fuse_in_header), header->len);
    FileSystem& fs = m_file_system;

    // Requests that have no reply come first: they must not get one, even an error.
    if (opcode == FUSE_FORGET) {
        if (auto in = arguments.take<fuse_forget_in>())
            fs.forget(nodeid, in->nlookup);
        return 0;
    }
    if (opcode == FUSE_BATCH_FORGET) {
        auto in = arguments.take<fuse_batch_forget_in>();
        for (uint32_t index = 0; in && index < in->count; ++index) {
            auto one = arguments.take<fuse_forget_one>();
            if (!one)
                break;
            fs.forget(one->nodeid, one->nlookup);
        }
        return 0;
    }
    if (opcode == FUSE_INTERRUPT)
        return 0; // every request is answered before the next is read: nothing to interrupt

    if (!reply.fits(fixed_reply_size(opcode)))
        return reply.error(ERANGE);
    if (opcode == FUSE_INIT) {
        auto in = arguments.take_prefix<fuse_init_in>(
            std::min<size_t>(arguments.remaining(), sizeof(fuse_init_in)));
        if (!in || arguments.position() < sizeof(fuse_in_header) + 16)
            return reply.error(EINVAL);
        fuse_init_out out {};
        out.major = kFuseMajor;
        out.minor = kFuseMinor;
        // A newer major: the kernel asks again with ours. An older one we cannot speak.
        if (in->major > kFuseMajor)
            return reply.with(out);
        if (in->major < kFuseMajor)
            return reply.error(EPROTO);
        out.minor = std::min(in->minor, kFuseMinor);
        out.max_readahead = in->max_readahead;
        out.flags = in->flags & kOfferedFlags;
        out.max_background = 64;
        out.congestion_threshold = 48;
        out.max_write = kMaxTransfer;
        out.time_gran = 1;
        out.max_pages = kMaxPages;
        m_initialized = true;
        return reply.with(out);
    }
    if (!m_initialized)
        return reply.error(EIO);

    switch (opcode) {
    case FUSE_DESTROY:
        fs.destroy();
        m_initialized = false;
        return reply.empty();
    case FUSE_LOOKUP: {
        auto name = arguments.take_name();
        if (!name)
            return reply.error(EINVAL);
        Entry entry;
        if (int error = fs.lookup(nodeid, *name, entry))
            return reply.error(error);
        return reply.with(to_entry_out(entry));
    }
    case FUSE_GETATTR: {
        auto in = arguments.take<fuse_getattr_in>();
        if (!in)
            return reply.error(EINVAL);
        struct stat st { };
        std::optional<uint64_t> fh;
        if (in->getattr_flags & FUSE_GETATTR_FH)
            fh = in->fh;
        if (int error = fs.getattr(nodeid, fh, st))
            return reply.error(error);
        return reply.with(to_attr_out(st));
    }
    case FUSE_SETATTR: {
        auto in = arguments.take<fuse_setattr_in>();
        if (!in)
            return reply.error(EINVAL);
        AttributeChange change;
        if (in->valid & FATTR_MODE)
            change.mode = in->mode;
        if (in->valid & FATTR_UID)
            change.uid = in->uid;
        if (in->valid & FATTR_GID)
            change.gid = in->gid;
        if (in->valid & FATTR_SIZE)
            change.size = in->size;
        if (in->valid & FATTR_ATIME_NOW)
            change.access_time = timespec { 0, UTIME_NOW };
        else if (in->valid & FATTR_ATIME)
            change.access_time = timespec { static_cast<time_t>(in->atime),
                static_cast<long>(std::min<uint32_t>(in->atimensec, 999999999)) };
        if (in->valid & FATTR_MTIME_NOW)
            change.modification_time = timespec { 0, UTIME_NOW };
        else if (in->valid & FATTR_MTIME)
            change.modification_time = timespec { static_cast<time_t>(in->mtime),
                static_cast<long>(std::min<uint32_t>(in->mtimensec, 999999999)) };
        std::optional<uint64_t> fh;
        if (in->valid & FATTR_FH)
            fh = in->fh;
        struct stat st { };
        if (int error = fs.setattr(nodeid, fh, change, st))
            return reply.error(error);
        return reply.with(to_attr_out(st));
    }
    case FUSE_READLINK: {
        std::string target;
        if (int error = fs.readlink(nodeid, target))
            return reply.error(error);
        return reply.with_bytes(
            std::span(reinterpret_cast<const uint8_t*>(target.data()), target.size()));
    }
    case FUSE_SYMLINK: {
        auto name = arguments.take_name();
        auto target = arguments.take_string(PATH_MAX - 1);
        if (!name || !target || target->empty())
            return reply.error(EINVAL);
        Entry entry;
        if (int error = fs.symlink(nodeid, *name, *target, entry))
            return reply.error(error);
        return reply.with(to_entry_out(entry));
    }
    case FUSE_MKNOD: {
        auto in = arguments.take<fuse_mknod_in>();
        auto name = in ? arguments.take_name() : std::nullopt;
        if (!name)
            return reply.error(EINVAL);
        Entry entry;
        if (int error = fs.mknod(nodeid, *name, in->mode, in->rdev, in->umask, entry))
            return reply.error(error);
        return reply.with(to_entry_out(entry));
    }
    case FUSE_MKDIR: {
        auto in = arguments.take<fuse_mkdir_in>();
        auto name = in ? arguments.take_name() : std::nullopt;
        if (!name)
            return reply.error(EINVAL);
        Entry entry;
        if (int error = fs.mkdir(nodeid, *name, in->mode, in->umask, entry))
            return reply.error(error);
        return reply.with(to_entry_out(entry));
    }
    case FUSE_UNLINK:
    case FUSE_RMDIR: {
        auto name = arguments.take_name();
        if (!name)
            return reply.error(EINVAL);
        const int error
            = opcode == FUSE_UNLINK ? fs.unlink(nodeid, *name) : fs.rmdir(nodeid, *name);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_RENAME:
    case FUSE_RENAME2: {
        uint64_t new_parent = 0;
        uint32_t flags = 0;
        if (opcode == FUSE_RENAME) {
            auto in = arguments.take<fuse_rename_in>();
            if (!in)
                return reply.error(EINVAL);
            new_parent = in->newdir;
        } else {
            auto in = arguments.take<fuse_rename2_in>();
            if (!in)
                return reply.error(EINVAL);
            new_parent = in->newdir;
            flags = in->flags;
        }
        auto name = arguments.take_name();
        auto new_name = name ? arguments.take_name() : std::nullopt;
        if (!new_name)
            return reply.error(EINVAL);
        if (int error = fs.rename(nodeid, *name, new_parent, *new_name, flags))
            return reply.error(error);
        return reply.empty();
    }
    case FUSE_LINK: {
        auto in = arguments.take<fuse_link_in>();
        auto name = in ? arguments.take_name() : std::nullopt;
        if (!name)
            return reply.error(EINVAL);
        Entry entry;
        if (int error = fs.link(in->oldnodeid, nodeid, *name, entry))
            return reply.error(error);
        return reply.with(to_entry_out(entry));
    }
    case FUSE_OPEN:
    case FUSE_OPENDIR: {
        auto in = arguments.take<fuse_open_in>();
        if (!in)
            return reply.error(EINVAL);
        fuse_open_out out {};
        const int error = opcode == FUSE_OPEN ? fs.open(nodeid, in->flags, out.fh)
                                              : fs.opendir(nodeid, in->flags, out.fh);
        return error ? reply.error(error) : reply.with(out);
    }
    case FUSE_CREATE: {
        auto in = arguments.take<fuse_create_in>();
        auto name = in ? arguments.take_name() : std::nullopt;
        if (!name)
            return reply.error(EINVAL);
        Entry entry;
        fuse_open_out open_out {};
        if (int error
            = fs.create(nodeid, *name, in->mode, in->flags, in->umask, entry, open_out.fh))
            return reply.error(error);
        struct {
            fuse_entry_out entry;
            fuse_open_out open;
        } out { to_entry_out(entry), open_out };
        static_assert(sizeof out == sizeof(fuse_entry_out) + sizeof(fuse_open_out));
        return reply.with(out);
    }
    case FUSE_READ: {
        auto in = arguments.take<fuse_read_in>();
        if (!in)
            return reply.error(EINVAL);
        const uint64_t size = std::min<uint64_t>({ in->size, kMaxTransfer, reply.body_capacity() });
        const BufferList data = reply_buffer.slice(kOutHeaderSize, size);
        uint64_t count = 0;
        if (int error = fs.read(nodeid, in->fh, in->offset, data.segments(), count))
            return reply.error(error);
        return reply.written(count);
    }
    case FUSE_WRITE: {
        auto in = arguments.take<fuse_write_in>();
        if (!in || in->size > arguments.remaining())
            return reply.error(EINVAL);
        if (in->size > kMaxTransfer)
            return reply.error(EFBIG);
        const BufferList data = request.slice(arguments.position(), in->size);
        fuse_write_out out {};
        uint64_t count = 0;
        if (int error = fs.write(nodeid, in->fh, in->offset, data.segments(), count))
            return reply.error(error);
        out.size = static_cast<uint32_t>(count);
        return reply.with(out);
    }
    case FUSE_STATFS: {
        struct statvfs st { };
        if (int error = fs.statfs(nodeid, st))
            return reply.error(error);
        fuse_statfs_out out {};
        out.st.blocks = st.f_blocks;
        out.st.bfree = st.f_bfree;
        out.st.bavail = st.f_bavail;
        out.st.files = st.f_files;
        out.st.ffree = st.f_ffree;
        out.st.bsize = static_cast<uint32_t>(st.f_bsize);
        out.st.namelen = static_cast<uint32_t>(st.f_namemax);
        out.st.frsize = static_cast<uint32_t>(st.f_frsize);
        return reply.with(out);
    }
    case FUSE_RELEASE:
    case FUSE_RELEASEDIR: {
        auto in = arguments.take<fuse_release_in>();
        if (!in)
            return reply.error(EINVAL);
        const int error
            = opcode == FUSE_RELEASE ? fs.release(nodeid, in->fh) : fs.releasedir(nodeid, in->fh);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_FSYNC:
    case FUSE_FSYNCDIR: {
        auto in = arguments.take<fuse_fsync_in>();
        if (!in)
            return reply.error(EINVAL);
        const bool data_only = (in->fsync_flags & FUSE_FSYNC_FDATASYNC) != 0;
        const int error = opcode == FUSE_FSYNC ? fs.fsync(nodeid, in->fh, data_only)
                                               : fs.fsyncdir(nodeid, in->fh, data_only);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_FLUSH: {
        auto in = arguments.take<fuse_flush_in>();
        if (!in)
            return reply.error(EINVAL);
        const int error = fs.flush(nodeid, in->fh);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_READDIR:
    case FUSE_READDIRPLUS: {
        auto in = arguments.take<fuse_read_in>();
        if (!in)
            return reply.error(EINVAL);
        ReplyListing listing(reply, in->size, opcode == FUSE_READDIRPLUS);
        if (int error = fs.readdir(nodeid, in->fh, in->offset, listing))
            return reply.error(error);
        return reply.written(listing.used());
    }
    case FUSE_ACCESS: {
        auto in = arguments.take<fuse_access_in>();
        if (!in)
            return reply.error(EINVAL);
        const int error = fs.access(nodeid, in->mask);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_SETXATTR: {
        // Without FUSE_SETXATTR_EXT the kernel sends the two-field form.
        auto in = arguments.take_prefix<fuse_setxattr_in>(kCompatSetxattrInSize);
        auto name = in ? arguments.take_string(XATTR_NAME_MAX) : std::nullopt;
        if (!name || name->empty() || in->size > arguments.remaining())
            return reply.error(EINVAL);
        if (in->size > XATTR_SIZE_MAX)
            return reply.error(E2BIG);
        std::vector<uint8_t> value(in->size);
        request.read_at(arguments.position(), value);
        const int error = fs.setxattr(nodeid, *name, value, in->flags);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_GETXATTR:
    case FUSE_LISTXATTR: {
        auto in = arguments.take<fuse_getxattr_in>();
        std::optional<std::string> name;
        if (in && opcode == FUSE_GETXATTR) {
            name = arguments.take_string(XATTR_NAME_MAX);
            if (!name || name->empty())
                return reply.error(EINVAL);
        }
        if (!in)
            return reply.error(EINVAL);
        std::vector<uint8_t> value;
        const int error = name ? fs.getxattr(nodeid, *name, value) : fs.listxattr(nodeid, value);
        if (error)
            return reply.error(error);
        // Size 0 asks how much room the value needs.
        if (in->size == 0) {
            fuse_getxattr_out out {};
            out.size = static_cast<uint32_t>(value.size());
            return reply.with(out);
        }
        if (value.size() > in->size)
            return reply.error(ERANGE);
        return reply.with_bytes(value);
    }
    case FUSE_REMOVEXATTR: {
        auto name = arguments.take_string(XATTR_NAME_MAX);
        if (!name || name->empty())
            return reply.error(EINVAL);
        const int error = fs.removexattr(nodeid, *name);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_LSEEK: {
        auto in = arguments.take<fuse_lseek_in>();
        if (!in)
            return reply.error(EINVAL);
        fuse_lseek_out out {};
        if (int error = fs.lseek(nodeid, in->fh, in->offset, in->whence, out.offset))
            return reply.error(error);
        return reply.with(out);
    }
    case FUSE_FALLOCATE: {
        auto in = arguments.take<fuse_fallocate_in>();
        if (!in)
            return reply.error(EINVAL);
        const int error = fs.fallocate(nodeid, in->fh, in->offset, in->length, in->mode);
        return error ? reply.error(error) : reply.empty();
    }
    case FUSE_SYNCFS: {
        const int error = fs.syncfs(nodeid);
        return error ? reply.error(error) : reply.empty();
    }
    default: return reply.error(ENOSYS);
    }
}

} // namespace rvisor::devices::virtio::fs
