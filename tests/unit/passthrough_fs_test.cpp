#include "devices/virtio/fs/passthrough_fs.h"

#include "devices/virtio/fs/fuse_server.h"
#include "fuse_test_client.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <set>

using namespace rvisor::devices::virtio::fs;
using namespace rvisor::devices::virtio::fs::testing;
namespace stdfs = std::filesystem;

namespace {

constexpr uint64_t kRoot = FUSE_ROOT_ID;

void write_file(const stdfs::path& path, const std::string& text)
{
    std::ofstream(path, std::ios::binary) << text;
}

std::string read_file(const stdfs::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

struct PassthroughFsTest : ::testing::Test {
    TemporaryDirectory directory;
    stdfs::path root = directory.path();
    std::unique_ptr<PassthroughFs> fs;
    std::unique_ptr<FuseServer> server;
    std::unique_ptr<FuseClient> client;

    void SetUp() override { mount(false); }
    void mount(bool read_only)
    {
        client.reset();
        server.reset();
        fs = std::make_unique<PassthroughFs>(root, read_only);
        server = std::make_unique<FuseServer>(*fs);
        client = std::make_unique<FuseClient>(*server);
        ASSERT_EQ(client->init().error(), 0);
    }
    mode_t mode_of(const stdfs::path& path)
    {
        struct stat st { };
        EXPECT_EQ(::lstat(path.c_str(), &st), 0);
        return st.st_mode;
    }
};

} // namespace

TEST(PassthroughFsConstruction, RefusesWhatIsNotADirectory)
{
    TemporaryDirectory directory;
    write_file(directory.path() / "file", "x");
    EXPECT_THROW(PassthroughFs(directory.path() / "file", false), std::runtime_error);
    EXPECT_THROW(PassthroughFs(directory.path() / "missing", false), std::runtime_error);
}

TEST_F(PassthroughFsTest, InitOffersNoLocksAndLargeWrites)
{
    FuseClient fresh(*server);
    Response response = fresh.init();
    ASSERT_EQ(response.error(), 0);
    auto out = response.as<fuse_init_out>();
    EXPECT_EQ(out.major, 7u);
    EXPECT_EQ(out.minor, 36u);
    EXPECT_EQ(out.flags & (FUSE_POSIX_LOCKS | FUSE_FLOCK_LOCKS | FUSE_WRITEBACK_CACHE), 0u);
    EXPECT_NE(out.flags & FUSE_MAX_PAGES, 0u);
    EXPECT_NE(out.flags & FUSE_DONT_MASK, 0u);
    EXPECT_EQ(out.max_write, 1u << 20);
    EXPECT_EQ(out.max_pages, 256u);
}

TEST_F(PassthroughFsTest, RequestsBeforeInitFail)
{
    PassthroughFs other(root, false);
    FuseServer fresh_server(other);
    FuseClient fresh(fresh_server);
    EXPECT_EQ(fresh.lookup(kRoot, "x").second, EIO);
}

TEST_F(PassthroughFsTest, LookupGivesOneNodeidPerInode)
{
    write_file(root / "hello", "hello world");
    ::link((root / "hello").c_str(), (root / "again").c_str());
    auto [first, error] = client->lookup(kRoot, "hello");
    ASSERT_EQ(error, 0);
    EXPECT_NE(first, kRoot);
    EXPECT_EQ(client->lookup(kRoot, "hello").first, first);
    EXPECT_EQ(client->lookup(kRoot, "again").first, first);
    Response attr = client->getattr(first);
    ASSERT_EQ(attr.error(), 0);
    EXPECT_EQ(attr.as<fuse_attr_out>().attr.size, 11u);
    EXPECT_EQ(client->lookup(kRoot, "missing").second, ENOENT);
    EXPECT_EQ(fs->inode_count(), 2u);
}

TEST_F(PassthroughFsTest, ForgetToZeroMakesTheNodeidStale)
{
    write_file(root / "f", "x");
    auto [nodeid, error] = client->lookup(kRoot, "f");
    ASSERT_EQ(error, 0);
    client->lookup(kRoot, "f");
    client->forget(nodeid, 1);
    EXPECT_EQ(client->getattr(nodeid).error(), 0);
    // BATCH_FORGET pays back the rest.
    fuse_batch_forget_in in {};
    in.count = 1;
    fuse_forget_one one {};
    one.nodeid = nodeid;
    one.nlookup = 1;
    EXPECT_EQ(client->call(FUSE_BATCH_FORGET, 0, Arguments().add(in).add(one)).written, 0u);
    EXPECT_EQ(client->getattr(nodeid).error(), ESTALE);
    EXPECT_EQ(client->open(nodeid, O_RDONLY).second, ESTALE);
    EXPECT_EQ(client->lookup(nodeid, "x").second, ESTALE);
    EXPECT_EQ(fs->inode_count(), 1u);
    // A new lookup gets a new nodeid: the old one never comes back.
    EXPECT_NE(client->lookup(kRoot, "f").first, nodeid);
}

TEST_F(PassthroughFsTest, CreateWriteReadAppliesTheGuestUmask)
{
    auto created = client->create(kRoot, "new", S_IFREG | 0666, O_RDWR | O_CREAT, 027);
    ASSERT_EQ(created.error, 0);
    EXPECT_EQ(mode_of(root / "new") & 07777, 0640u);
    EXPECT_EQ(created.entry.attr.mode & 07777, 0640u);
    Response written = client->write(created.entry.nodeid, created.fh, 0, "some bytes");
    ASSERT_EQ(written.error(), 0);
    EXPECT_EQ(written.as<fuse_write_out>().size, 10u);
    Response read = client->read(created.entry.nodeid, created.fh, 5, 100);
    ASSERT_EQ(read.error(), 0);
    EXPECT_EQ(read.text(), "bytes");
    EXPECT_EQ(read_file(root / "new"), "some bytes");
    // Flush, fsync and fdatasync reach the host file.
    fuse_flush_in flush {};
    flush.fh = created.fh;
    EXPECT_EQ(client->call(FUSE_FLUSH, created.entry.nodeid, Arguments().add(flush)).error(), 0);
    fuse_fsync_in sync {};
    sync.fh = created.fh;
    EXPECT_EQ(client->call(FUSE_FSYNC, created.entry.nodeid, Arguments().add(sync)).error(), 0);
    sync.fsync_flags = FUSE_FSYNC_FDATASYNC;
    EXPECT_EQ(client->call(FUSE_FSYNC, created.entry.nodeid, Arguments().add(sync)).error(), 0);
    EXPECT_EQ(client->release(created.entry.nodeid, created.fh).error(), 0);
    EXPECT_EQ(client->read(created.entry.nodeid, created.fh, 0, 10).error(), EBADF);
    EXPECT_EQ(fs->handle_count(), 0u);
    // A create of an existing name opens it and leaves its mode alone, unless exclusive.
    auto again = client->create(kRoot, "new", S_IFREG | 0600, O_RDWR | O_CREAT, 0);
    ASSERT_EQ(again.error, 0);
    EXPECT_EQ(again.entry.nodeid, created.entry.nodeid);
    EXPECT_EQ(mode_of(root / "new") & 07777, 0640u);
    EXPECT_EQ(client->read(again.entry.nodeid, again.fh, 0, 100).text(), "some bytes");
    // An exclusive create of an existing name fails.
    EXPECT_EQ(
        client->create(kRoot, "new", S_IFREG | 0666, O_RDWR | O_CREAT | O_EXCL).error, EEXIST);
}

TEST_F(PassthroughFsTest, HandlesBelongToTheirNodeid)
{
    write_file(root / "a", "aaa");
    write_file(root / "b", "bbb");
    uint64_t a = client->lookup(kRoot, "a").first;
    uint64_t b = client->lookup(kRoot, "b").first;
    auto [fh, error] = client->open(a, O_RDONLY);
    ASSERT_EQ(error, 0);
    EXPECT_EQ(client->read(b, fh, 0, 3).error(), EBADF);
    EXPECT_EQ(client->read(a, fh, 0, 3).text(), "aaa");
    EXPECT_EQ(client->write(a, fh, 0, "x").error(), EBADF);
}

TEST_F(PassthroughFsTest, MkdirMknodSymlinkReadlink)
{
    auto [dir, error] = client->mkdir(kRoot, "dir", 0777, 022);
    ASSERT_EQ(error, 0);
    EXPECT_TRUE(S_ISDIR(mode_of(root / "dir")));
    EXPECT_EQ(mode_of(root / "dir") & 0777, 0755u);
    fuse_mknod_in mknod {};
    mknod.mode = S_IFIFO | 0666;
    mknod.umask = 066;
    EXPECT_EQ(client->call(FUSE_MKNOD, dir, Arguments().add(mknod).add_string("fifo")).error(), 0);
    EXPECT_TRUE(S_ISFIFO(mode_of(root / "dir" / "fifo")));
    EXPECT_EQ(mode_of(root / "dir" / "fifo") & 0777, 0600u);
    mknod.mode = S_IFREG | 0644;
    EXPECT_EQ(client->call(FUSE_MKNOD, dir, Arguments().add(mknod).add_string("plain")).error(), 0);
    EXPECT_TRUE(S_ISREG(mode_of(root / "dir" / "plain")));
    mknod.mode = S_IFCHR | 0644;
    mknod.rdev = makedev(1, 3);
    EXPECT_EQ(
        client->call(FUSE_MKNOD, dir, Arguments().add(mknod).add_string("null")).error(), EPERM);
    // The FIFO is never opened by the host: the guest kernel serves FIFOs itself.
    uint64_t fifo = client->lookup(dir, "fifo").first;
    EXPECT_EQ(client->open(fifo, O_RDONLY).second, ENXIO);

    Response symlink
        = client->call(FUSE_SYMLINK, dir, Arguments().add_string("link").add_string("../target"));
    ASSERT_EQ(symlink.error(), 0);
    uint64_t link = symlink.as<fuse_entry_out>().nodeid;
    EXPECT_TRUE(S_ISLNK(symlink.as<fuse_entry_out>().attr.mode));
    EXPECT_EQ(client->call(FUSE_READLINK, link).text(), "../target");
    EXPECT_EQ(client->call(FUSE_READLINK, dir).error(), EINVAL);
}

TEST_F(PassthroughFsTest, UnlinkRmdirAndLink)
{
    write_file(root / "file", "x");
    stdfs::create_directory(root / "dir");
    uint64_t file = client->lookup(kRoot, "file").first;
    uint64_t dir = client->lookup(kRoot, "dir").first;
    fuse_link_in link {};
    link.oldnodeid = file;
    Response linked = client->call(FUSE_LINK, dir, Arguments().add(link).add_string("hard"));
    ASSERT_EQ(linked.error(), 0);
    EXPECT_EQ(linked.as<fuse_entry_out>().nodeid, file);
    EXPECT_EQ(linked.as<fuse_entry_out>().attr.nlink, 2u);
    EXPECT_EQ(read_file(root / "dir" / "hard"), "x");
    EXPECT_EQ(client->call(FUSE_RMDIR, kRoot, Arguments().add_string("dir")).error(), ENOTEMPTY);
    EXPECT_EQ(client->call(FUSE_UNLINK, dir, Arguments().add_string("hard")).error(), 0);
    EXPECT_EQ(client->call(FUSE_RMDIR, kRoot, Arguments().add_string("dir")).error(), 0);
    EXPECT_EQ(client->call(FUSE_UNLINK, kRoot, Arguments().add_string("file")).error(), 0);
    EXPECT_FALSE(stdfs::exists(root / "file"));
    EXPECT_FALSE(stdfs::exists(root / "dir"));
}

TEST_F(PassthroughFsTest, RenameAndItsFlags)
{
    write_file(root / "a", "A");
    write_file(root / "b", "B");
    stdfs::create_directory(root / "dir");
    uint64_t dir = client->lookup(kRoot, "dir").first;
    EXPECT_EQ(client->rename(kRoot, "a", kRoot, "b", RENAME_NOREPLACE), EEXIST);
    EXPECT_EQ(client->rename(kRoot, "a", kRoot, "b", RENAME_EXCHANGE), 0);
    EXPECT_EQ(read_file(root / "a"), "B");
    EXPECT_EQ(read_file(root / "b"), "A");
    fuse_rename_in plain {};
    plain.newdir = dir;
    EXPECT_EQ(
        client->call(FUSE_RENAME, kRoot, Arguments().add(plain).add_string("a").add_string("moved"))
            .error(),
        0);
    EXPECT_EQ(read_file(root / "dir" / "moved"), "B");
    EXPECT_EQ(client->rename(kRoot, "b", kRoot, "c", RENAME_WHITEOUT), EINVAL);
}

TEST_F(PassthroughFsTest, SetattrChangesModeSizeOwnerAndTimes)
{
    write_file(root / "f", "0123456789");
    uint64_t file = client->lookup(kRoot, "f").first;
    fuse_setattr_in in {};
    in.valid = FATTR_MODE | FATTR_SIZE;
    in.mode = S_IFREG | 0600;
    in.size = 4;
    Response response = client->call(FUSE_SETATTR, file, Arguments().add(in));
    ASSERT_EQ(response.error(), 0);
    EXPECT_EQ(response.as<fuse_attr_out>().attr.size, 4u);
    EXPECT_EQ(mode_of(root / "f") & 07777, 0600u);
    EXPECT_EQ(read_file(root / "f"), "0123");

    // Through an open handle.
    auto [fh, error] = client->open(file, O_RDWR);
    ASSERT_EQ(error, 0);
    in = {};
    in.valid = FATTR_SIZE | FATTR_FH;
    in.fh = fh;
    in.size = 2;
    EXPECT_EQ(client->call(FUSE_SETATTR, file, Arguments().add(in)).error(), 0);
    EXPECT_EQ(read_file(root / "f"), "01");

    in = {};
    in.valid = FATTR_ATIME | FATTR_MTIME;
    in.atime = 1000;
    in.mtime = 2000;
    in.mtimensec = 5;
    response = client->call(FUSE_SETATTR, file, Arguments().add(in));
    ASSERT_EQ(response.error(), 0);
    EXPECT_EQ(response.as<fuse_attr_out>().attr.atime, 1000u);
    EXPECT_EQ(response.as<fuse_attr_out>().attr.mtime, 2000u);
    EXPECT_EQ(response.as<fuse_attr_out>().attr.mtimensec, 5u);
    in.valid = FATTR_MTIME | FATTR_MTIME_NOW;
    response = client->call(FUSE_SETATTR, file, Arguments().add(in));
    EXPECT_GT(response.as<fuse_attr_out>().attr.mtime, 2000u);

    in = {};
    in.valid = FATTR_UID | FATTR_GID;
    in.uid = ::geteuid();
    in.gid = ::getegid();
    EXPECT_EQ(client->call(FUSE_SETATTR, file, Arguments().add(in)).error(), 0);
    in.uid = ::geteuid() + 4242;
    // Like chown on the host: only root may give a file away.
    EXPECT_EQ(client->call(FUSE_SETATTR, file, Arguments().add(in)).error(),
        ::geteuid() == 0 ? 0 : EPERM);
}

TEST_F(PassthroughFsTest, ReaddirListsALargeDirectoryOnce)
{
    stdfs::create_directory(root / "big");
    std::set<std::string> expected { ".", ".." };
    for (int index = 0; index < 600; ++index) {
        std::string name = "entry-with-a-longish-name-" + std::to_string(index);
        write_file(root / "big" / name, "");
        expected.insert(name);
    }
    uint64_t big = client->lookup(kRoot, "big").first;
    for (uint32_t opcode : { FUSE_READDIR, FUSE_READDIRPLUS }) {
        auto [fh, error] = client->open(big, O_RDONLY, FUSE_OPENDIR);
        ASSERT_EQ(error, 0);
        std::multiset<std::string> seen;
        uint64_t offset = 0;
        for (int call = 0; call < 1000; ++call) {
            Response response = client->read(big, fh, offset, 4096, opcode);
            ASSERT_EQ(response.error(), 0);
            if (response.body.empty())
                break;
            ASSERT_LE(response.body.size(), 4096u);
            size_t at = 0;
            while (at < response.body.size()) {
                if (opcode == FUSE_READDIRPLUS) {
                    fuse_entry_out entry {};
                    std::memcpy(&entry, response.body.data() + at, sizeof entry);
                    at += sizeof entry;
                    fuse_dirent dirent {};
                    std::memcpy(&dirent, response.body.data() + at, FUSE_NAME_OFFSET);
                    std::string name(
                        reinterpret_cast<const char*>(response.body.data() + at + FUSE_NAME_OFFSET),
                        dirent.namelen);
                    EXPECT_EQ(entry.nodeid == 0, name == "." || name == "..") << name;
                }
                fuse_dirent dirent {};
                std::memcpy(&dirent, response.body.data() + at, FUSE_NAME_OFFSET);
                seen.insert(std::string(
                    reinterpret_cast<const char*>(response.body.data() + at + FUSE_NAME_OFFSET),
                    dirent.namelen));
                offset = dirent.off;
                at += FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + dirent.namelen);
            }
        }
        EXPECT_EQ(seen.size(), expected.size());
        EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
        fuse_fsync_in sync {};
        sync.fh = fh;
        EXPECT_EQ(client->call(FUSE_FSYNCDIR, big, Arguments().add(sync)).error(), 0);
        EXPECT_EQ(client->release(big, fh, FUSE_RELEASEDIR).error(), 0);
    }
    // READDIRPLUS looked every file up once.
    EXPECT_EQ(fs->inode_count(), 2u + 600u);
}

TEST_F(PassthroughFsTest, StatfsAccessSyncfsLseekFallocate)
{
    EXPECT_EQ(client->call(FUSE_STATFS, kRoot).as<fuse_statfs_out>().st.namelen, 255u);
    fuse_access_in access {};
    access.mask = R_OK | X_OK;
    EXPECT_EQ(client->call(FUSE_ACCESS, kRoot, Arguments().add(access)).error(), 0);
    EXPECT_EQ(client->call(FUSE_SYNCFS, kRoot, Arguments().add(fuse_syncfs_in {})).error(), 0);

    auto created = client->create(kRoot, "sparse", S_IFREG | 0644, O_RDWR);
    ASSERT_EQ(created.error, 0);
    const uint64_t file = created.entry.nodeid;
    fuse_fallocate_in allocate {};
    allocate.fh = created.fh;
    allocate.offset = 0;
    allocate.length = 1 << 20;
    EXPECT_EQ(client->call(FUSE_FALLOCATE, file, Arguments().add(allocate)).error(), 0);
    EXPECT_EQ(stdfs::file_size(root / "sparse"), 1u << 20);
    ASSERT_EQ(::truncate((root / "sparse").c_str(), 0), 0);
    ASSERT_EQ(client->write(file, created.fh, 8 << 20, "data").error(), 0);
    fuse_lseek_in seek {};
    seek.fh = created.fh;
    seek.offset = 0;
    seek.whence = SEEK_DATA;
    Response data = client->call(FUSE_LSEEK, file, Arguments().add(seek));
    ASSERT_EQ(data.error(), 0);
    EXPECT_GT(data.as<fuse_lseek_out>().offset, 0u);
    EXPECT_LE(data.as<fuse_lseek_out>().offset, 8u << 20);
    seek.whence = SEEK_HOLE;
    EXPECT_EQ(
        client->call(FUSE_LSEEK, file, Arguments().add(seek)).as<fuse_lseek_out>().offset, 0u);
}

TEST_F(PassthroughFsTest, ExtendedAttributes)
{
    write_file(root / "f", "x");
    uint64_t file = client->lookup(kRoot, "f").first;
    fuse_setxattr_in set {};
    set.size = 5;
    Response response = client->call(FUSE_SETXATTR, file,
        Arguments().add(set.size).add(set.flags).add_string("user.test").add_bytes("value"));
    if (response.error() == ENOTSUP)
        GTEST_SKIP() << "the host file system has no user extended attributes";
    ASSERT_EQ(response.error(), 0);
    fuse_getxattr_in get {};
    response = client->call(FUSE_GETXATTR, file, Arguments().add(get).add_string("user.test"));
    ASSERT_EQ(response.error(), 0);
    EXPECT_EQ(response.as<fuse_getxattr_out>().size, 5u);
    get.size = 2;
    EXPECT_EQ(
        client->call(FUSE_GETXATTR, file, Arguments().add(get).add_string("user.test")).error(),
        ERANGE);
    get.size = 64;
    EXPECT_EQ(
        client->call(FUSE_GETXATTR, file, Arguments().add(get).add_string("user.test")).text(),
        "value");
    response = client->call(FUSE_LISTXATTR, file, Arguments().add(get));
    ASSERT_EQ(response.error(), 0);
    EXPECT_NE(response.text().find("user.test"), std::string::npos);
    EXPECT_EQ(client->call(FUSE_REMOVEXATTR, file, Arguments().add_string("user.test")).error(), 0);
    EXPECT_EQ(
        client->call(FUSE_GETXATTR, file, Arguments().add(get).add_string("user.test")).error(),
        ENODATA);
}

TEST_F(PassthroughFsTest, ReadOnlyShareRefusesEveryChange)
{
    write_file(root / "f", "x");
    stdfs::create_directory(root / "dir");
    mount(true);
    uint64_t file = client->lookup(kRoot, "f").first;
    ASSERT_NE(file, 0u);
    EXPECT_EQ(client->open(file, O_WRONLY).second, EROFS);
    EXPECT_EQ(client->open(file, O_RDONLY | O_TRUNC).second, EROFS);
    auto [fh, error] = client->open(file, O_RDONLY);
    ASSERT_EQ(error, 0);
    EXPECT_EQ(client->read(file, fh, 0, 10).text(), "x");
    EXPECT_EQ(client->write(file, fh, 0, "y").error(), EROFS);
    EXPECT_EQ(client->create(kRoot, "new", S_IFREG | 0644, O_RDONLY).error, EROFS);
    EXPECT_EQ(client->mkdir(kRoot, "d", 0755).second, EROFS);
    EXPECT_EQ(client->call(FUSE_UNLINK, kRoot, Arguments().add_string("f")).error(), EROFS);
    EXPECT_EQ(client->call(FUSE_RMDIR, kRoot, Arguments().add_string("dir")).error(), EROFS);
    EXPECT_EQ(client->rename(kRoot, "f", kRoot, "g"), EROFS);
    EXPECT_EQ(
        client->call(FUSE_SYMLINK, kRoot, Arguments().add_string("l").add_string("f")).error(),
        EROFS);
    fuse_link_in link {};
    link.oldnodeid = file;
    EXPECT_EQ(client->call(FUSE_LINK, kRoot, Arguments().add(link).add_string("h")).error(), EROFS);
    fuse_mknod_in mknod {};
    mknod.mode = S_IFIFO | 0644;
    EXPECT_EQ(
        client->call(FUSE_MKNOD, kRoot, Arguments().add(mknod).add_string("p")).error(), EROFS);
    fuse_setattr_in setattr {};
    setattr.valid = FATTR_MODE;
    setattr.mode = 0777;
    EXPECT_EQ(client->call(FUSE_SETATTR, file, Arguments().add(setattr)).error(), EROFS);
    fuse_setxattr_in setxattr {};
    EXPECT_EQ(client
                  ->call(FUSE_SETXATTR, file,
                      Arguments().add(setxattr.size).add(setxattr.flags).add_string("user.a"))
                  .error(),
        EROFS);
    EXPECT_EQ(
        client->call(FUSE_REMOVEXATTR, file, Arguments().add_string("user.a")).error(), EROFS);
    fuse_fallocate_in allocate {};
    allocate.fh = fh;
    allocate.length = 10;
    EXPECT_EQ(client->call(FUSE_FALLOCATE, file, Arguments().add(allocate)).error(), EROFS);
    EXPECT_EQ(read_file(root / "f"), "x");
    EXPECT_TRUE(stdfs::exists(root / "dir"));
}

// The escapes: nothing the guest sends reaches a host inode outside the shared directory.
TEST_F(PassthroughFsTest, DotDotAndSlashesAreRefusedWhileDecoding)
{
    EXPECT_EQ(client->lookup(kRoot, "..").second, EINVAL);
    EXPECT_EQ(client->lookup(kRoot, ".").second, EINVAL);
    EXPECT_EQ(client->lookup(kRoot, "").second, EINVAL);
    EXPECT_EQ(client->lookup(kRoot, "../etc").second, EINVAL);
    EXPECT_EQ(client->lookup(kRoot, "/etc").second, EINVAL);
    write_file(root / "f", "x");
    EXPECT_EQ(client->rename(kRoot, "f", kRoot, "../escaped"), EINVAL);
    EXPECT_EQ(client->rename(kRoot, "../f", kRoot, "g"), EINVAL);
    uint64_t file = client->lookup(kRoot, "f").first;
    fuse_link_in link {};
    link.oldnodeid = file;
    EXPECT_EQ(client->call(FUSE_LINK, kRoot, Arguments().add(link).add_string("../../tmp/escaped"))
                  .error(),
        EINVAL);
    EXPECT_EQ(client->create(kRoot, "../created", S_IFREG | 0644, O_RDWR).error, EINVAL);
    EXPECT_EQ(client->mkdir(kRoot, "a/b", 0755).second, EINVAL);
    EXPECT_FALSE(stdfs::exists(root.parent_path() / "escaped"));
    EXPECT_TRUE(stdfs::exists(root / "f"));
}

TEST_F(PassthroughFsTest, SymlinksAreNeverFollowedByTheHost)
{
    stdfs::create_symlink("/etc", root / "etc");
    stdfs::create_symlink("/etc/passwd", root / "passwd");
    stdfs::create_symlink("..", root / "up");
    auto [etc, error] = client->lookup(kRoot, "etc");
    ASSERT_EQ(error, 0);
    EXPECT_TRUE(S_ISLNK(client->getattr(etc).as<fuse_attr_out>().attr.mode));
    EXPECT_EQ(client->call(FUSE_READLINK, etc).text(), "/etc");
    EXPECT_EQ(client->lookup(etc, "passwd").second, ENOTDIR);
    EXPECT_EQ(client->open(etc, O_RDONLY, FUSE_OPENDIR).second, ENOTDIR);
    uint64_t passwd = client->lookup(kRoot, "passwd").first;
    EXPECT_EQ(client->open(passwd, O_RDONLY).second, ELOOP);
    EXPECT_EQ(client->call(FUSE_STATFS, passwd).error(), 0); // about the link, harmless
    fuse_setattr_in truncate {};
    truncate.valid = FATTR_SIZE;
    EXPECT_EQ(client->call(FUSE_SETATTR, passwd, Arguments().add(truncate)).error(), ELOOP);
    uint64_t up = client->lookup(kRoot, "up").first;
    EXPECT_EQ(client->lookup(up, stdfs::path(root).filename()).second, ENOTDIR);
    // Creating through a dangling symlink is refused, not followed.
    stdfs::create_symlink(root.parent_path() / "outside-created", root / "dangling");
    EXPECT_EQ(client->create(kRoot, "dangling", S_IFREG | 0644, O_RDWR).error, ELOOP);
    EXPECT_FALSE(stdfs::exists(root.parent_path() / "outside-created"));
}

TEST(PassthroughFsMagicLinks, ProcMagicLinksLeadNowhere)
{
    // /proc/self is full of magic links (root, cwd, exe, fd/N): shared, none may be followed.
    PassthroughFs fs("/proc/self", true);
    FuseServer server(fs);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    auto [link, error] = client.lookup(kRoot, "root");
    ASSERT_EQ(error, 0);
    EXPECT_TRUE(S_ISLNK(client.getattr(link).as<fuse_attr_out>().attr.mode));
    EXPECT_EQ(client.lookup(link, "etc").second, ENOTDIR);
    EXPECT_EQ(client.open(link, O_RDONLY).second, ELOOP);
    EXPECT_EQ(client.open(link, O_RDONLY, FUSE_OPENDIR).second, ENOTDIR);
    uint64_t fd_directory = client.lookup(kRoot, "fd").first;
    ASSERT_NE(fd_directory, 0u);
    uint64_t fd_zero = client.lookup(fd_directory, "0").first;
    EXPECT_EQ(client.open(fd_zero, O_RDONLY).second, ELOOP);
}

TEST_F(PassthroughFsTest, HostRenamesAboveAHeldNodeidLeaveItConfined)
{
    stdfs::create_directories(root / "a" / "b");
    write_file(root / "a" / "b" / "inside", "in");
    uint64_t a = client->lookup(kRoot, "a").first;
    uint64_t b = client->lookup(a, "b").first;
    stdfs::rename(root / "a", root / "moved");
    // The nodeid follows the inode; its names still resolve beneath it and nowhere else.
    uint64_t inside = client->lookup(b, "inside").first;
    ASSERT_NE(inside, 0u);
    auto [fh, error] = client->open(inside, O_RDONLY);
    ASSERT_EQ(error, 0);
    EXPECT_EQ(client->read(inside, fh, 0, 10).text(), "in");
    EXPECT_EQ(client->lookup(b, "..").second, EINVAL);
    stdfs::create_symlink("../../..", root / "moved" / "b" / "out");
    uint64_t out = client->lookup(b, "out").first;
    EXPECT_EQ(client->lookup(out, "etc").second, ENOTDIR);
}

TEST_F(PassthroughFsTest, MalformedRequestsGetErrorsNotCrashes)
{
    // Shorter than a header: EINVAL with unique 0.
    Response response = client->send(std::vector<uint8_t>(10, 0));
    EXPECT_EQ(response.error(), EINVAL);
    EXPECT_EQ(response.header.unique, 0u);
    // A len past the end of the chain, or shorter than a header.
    std::vector<uint8_t> request = encode_request(FUSE_GETATTR, kRoot, 7, {});
    request[0] = 200;
    EXPECT_EQ(client->send(request).error(), EINVAL);
    request[0] = 8;
    EXPECT_EQ(client->send(request).error(), EINVAL);
    // A name without its NUL.
    EXPECT_EQ(client->call(FUSE_LOOKUP, kRoot, Arguments().add_bytes("abc")).error(), EINVAL);
    // Arguments missing.
    EXPECT_EQ(client->call(FUSE_OPEN, kRoot).error(), EINVAL);
    EXPECT_EQ(
        client->call(FUSE_WRITE, kRoot, Arguments().add(fuse_write_in { 1, 0, 100, 0, 0, 0, 0 }))
            .error(),
        EINVAL);
    // A reply buffer too small for an entry: refused before the lookup is counted.
    write_file(root / "f", "x");
    EXPECT_EQ(client->call(FUSE_LOOKUP, kRoot, Arguments().add_string("f"), 40).error(), ERANGE);
    EXPECT_EQ(fs->inode_count(), 1u);
    // Too small for even a header: nothing written.
    EXPECT_EQ(
        client->call(FUSE_GETATTR, kRoot, Arguments().add(fuse_getattr_in {}), 8).written, 0u);
    EXPECT_EQ(
        client->call(FUSE_GETATTR, kRoot, Arguments().add(fuse_getattr_in {}), 0).written, 0u);
    // A batch claiming more than it carries.
    fuse_batch_forget_in batch {};
    batch.count = 1000000;
    EXPECT_EQ(client->call(FUSE_BATCH_FORGET, 0, Arguments().add(batch)).written, 0u);
    EXPECT_EQ(client->call(9999, kRoot).error(), ENOSYS);
    EXPECT_EQ(client->call(FUSE_INTERRUPT, 0, Arguments().add(fuse_interrupt_in {})).written, 0u);
    EXPECT_EQ(client->getattr(kRoot).error(), 0);
}

TEST_F(PassthroughFsTest, ReplyUniqueMatchesTheRequest)
{
    Response response = client->send(
        encode_request(FUSE_GETATTR, kRoot, 0x1234, Arguments().add(fuse_getattr_in {})));
    EXPECT_EQ(response.header.unique, 0x1234u);
    EXPECT_EQ(response.header.len, response.written);
    EXPECT_EQ(response.written, sizeof(fuse_out_header) + sizeof(fuse_attr_out));
}

TEST_F(PassthroughFsTest, SaveAndLoadKeepNodeidsAndOpenHandles)
{
    stdfs::create_directory(root / "dir");
    write_file(root / "dir" / "file", "before");
    uint64_t dir = client->lookup(kRoot, "dir").first;
    uint64_t file = client->lookup(dir, "file").first;
    auto [fh, error] = client->open(file, O_RDWR);
    ASSERT_EQ(error, 0);
    auto [dir_fh, dir_error] = client->open(dir, O_RDONLY, FUSE_OPENDIR);
    ASSERT_EQ(dir_error, 0);
    // A rename by the guest moves the path a restore looks for.
    ASSERT_EQ(client->rename(dir, "file", dir, "renamed"), 0);
    rvisor::state::StateWriter writer;
    fs->save(writer);

    PassthroughFs restored(root, false);
    rvisor::state::StateReader reader(writer.data(), "virtio-fs");
    restored.load(reader);
    reader.finish();
    FuseServer restored_server(restored);
    restored_server.set_initialized(true);
    FuseClient restored_client(restored_server);
    EXPECT_EQ(restored_client.read(file, fh, 0, 100).text(), "before");
    EXPECT_EQ(restored_client.write(file, fh, 0, "after!").error(), 0);
    EXPECT_EQ(read_file(root / "dir" / "renamed"), "after!");
    EXPECT_EQ(restored_client.getattr(dir).error(), 0);
    EXPECT_FALSE(restored_client.read(dir, dir_fh, 0, 4096, FUSE_READDIR).body.empty());
    // The same inode keeps its nodeid; new ones do not collide with old ones.
    EXPECT_EQ(restored_client.lookup(dir, "renamed").first, file);
    write_file(root / "other", "");
    uint64_t other = restored_client.lookup(kRoot, "other").first;
    EXPECT_NE(other, dir);
    EXPECT_NE(other, file);
}

TEST_F(PassthroughFsTest, LoadFailsWhenASavedPathIsGone)
{
    stdfs::create_directory(root / "dir");
    ASSERT_NE(client->lookup(kRoot, "dir").first, 0u);
    rvisor::state::StateWriter writer;
    fs->save(writer);
    stdfs::remove(root / "dir");
    PassthroughFs restored(root, false);
    rvisor::state::StateReader reader(writer.data(), "virtio-fs");
    try {
        restored.load(reader);
        FAIL() << "load accepted a missing path";
    } catch (const rvisor::state::StateError& error) {
        EXPECT_NE(std::string(error.what()).find("/dir"), std::string::npos) << error.what();
    }
}

TEST_F(PassthroughFsTest, DestroyDropsEverything)
{
    write_file(root / "f", "x");
    uint64_t file = client->lookup(kRoot, "f").first;
    client->open(file, O_RDONLY);
    EXPECT_EQ(client->call(FUSE_DESTROY, kRoot).error(), 0);
    EXPECT_EQ(fs->inode_count(), 1u);
    EXPECT_EQ(fs->handle_count(), 0u);
    EXPECT_EQ(client->lookup(kRoot, "f").second, EIO); // until INIT again
}

TEST(PassthroughFsLimits, TheGuestGetsEnfileBeyondEitherTable)
{
    TemporaryDirectory directory;
    for (const char* name : { "a", "b", "c" })
        write_file(directory.path() / name, name);
    PassthroughFs fs(directory.path(), false, 3, 2);
    FuseServer server(fs);
    FuseClient client(server);
    ASSERT_EQ(client.init().error(), 0);
    uint64_t a = client.lookup(kRoot, "a").first;
    uint64_t b = client.lookup(kRoot, "b").first;
    EXPECT_EQ(client.lookup(kRoot, "c").second, ENFILE); // the root is one of the three
    EXPECT_EQ(client.lookup(kRoot, "a").first, a); // a known inode needs no new entry
    EXPECT_EQ(client.open(a, O_RDONLY).second, 0);
    EXPECT_EQ(client.open(b, O_RDONLY).second, 0);
    EXPECT_EQ(client.open(a, O_RDONLY).second, ENFILE);
    EXPECT_EQ(client.create(kRoot, "d", S_IFREG | 0644, O_RDWR).error, ENFILE);
    client.forget(b, 1);
    EXPECT_NE(client.lookup(kRoot, "c").first, 0u);
}

TEST_F(PassthroughFsTest, ReadsAndWritesScatterAcrossManyDescriptors)
{
    const std::string text(5000, 'q');
    write_file(root / "f", text);
    uint64_t file = client->lookup(kRoot, "f").first;
    auto [fh, error] = client->open(file, O_RDWR);
    ASSERT_EQ(error, 0);
    fuse_read_in in {};
    in.fh = fh;
    in.size = 4096;
    std::vector<uint8_t> request = encode_request(FUSE_READ, file, 1, Arguments().add(in));
    std::vector<uint8_t> reply(sizeof(fuse_out_header) + 4096);
    rvisor::devices::virtio::BufferList readable;
    readable.append(request);
    rvisor::devices::virtio::BufferList writable;
    for (size_t at = 0; at < reply.size(); at += 100)
        writable.append({ reply.data() + at, std::min<size_t>(100, reply.size() - at) });
    EXPECT_EQ(server->handle(readable, writable), sizeof(fuse_out_header) + 4096);
    EXPECT_EQ(
        std::string(reply.begin() + sizeof(fuse_out_header), reply.end()), text.substr(0, 4096));

    fuse_write_in write {};
    write.fh = fh;
    write.offset = 1;
    write.size = 3000;
    request = encode_request(
        FUSE_WRITE, file, 2, Arguments().add(write).add_bytes(std::string(3000, 'w')));
    rvisor::devices::virtio::BufferList scattered;
    for (size_t at = 0; at < request.size(); at += 33)
        scattered.append({ request.data() + at, std::min<size_t>(33, request.size() - at) });
    std::vector<uint8_t> write_reply(64);
    rvisor::devices::virtio::BufferList write_writable;
    write_writable.append(write_reply);
    EXPECT_EQ(server->handle(scattered, write_writable),
        sizeof(fuse_out_header) + sizeof(fuse_write_out));
    EXPECT_EQ(read_file(root / "f"), "q" + std::string(3000, 'w') + std::string(1999, 'q'));
}

TEST_F(PassthroughFsTest, ANodeidWhoseFileWasUnlinkedGoesStaleOnRestore)
{
    write_file(root / "gone", "x");
    write_file(root / "kept", "y");
    uint64_t gone = client->lookup(kRoot, "gone").first;
    uint64_t kept = client->lookup(kRoot, "kept").first;
    // The guest unlinks a file it still holds (an open, unlinked file).
    ASSERT_EQ(client->call(FUSE_UNLINK, kRoot, Arguments().add_string("gone")).error(), 0);
    rvisor::state::StateWriter writer;
    fs->save(writer);
    PassthroughFs restored(root, false);
    rvisor::state::StateReader reader(writer.data(), "virtio-fs");
    restored.load(reader);
    FuseServer restored_server(restored);
    restored_server.set_initialized(true);
    FuseClient restored_client(restored_server);
    EXPECT_EQ(restored_client.getattr(gone).error(), ESTALE);
    EXPECT_EQ(restored_client.getattr(kept).error(), 0);
}
