// The guest's end of the virtio-fs tests (tests/guest/virtio_fs_test.py): POSIX operations on
// a mounted share, each printed as FS-OK NAME or FS-FAIL NAME: REASON, then FS-DONE FAILURES=N.
//   fs_test rw DIR      every operation real programs need, on a writable share
//   fs_test ro DIR      every write refused with EROFS, reads working
//   fs_test escape DIR  reads what the share's planted symlinks lead to (FS-READ NAME: BYTES)
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int failures;

static void report(const char* name, int ok, const char* why)
{
    if (ok)
        printf("FS-OK %s\n", name);
    else {
        printf("FS-FAIL %s: %s (errno %s)\n", name, why, strerror(errno));
        ++failures;
    }
    fflush(stdout);
}

#define CHECK(name, condition) report(name, (condition), #condition)

// DIR/NAME, never freed: the program is short.
static const char* at(const char* dir, const char* name)
{
    char* path = NULL;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        abort();
    return path;
}

static int write_file(const char* path, const char* text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t count = write(fd, text, strlen(text));
    return close(fd) == 0 && count == (ssize_t)strlen(text) ? 0 : -1;
}

// The file's first bytes as a string ("" when it cannot be read).
static const char* read_file(const char* path)
{
    static char text[4096];
    text[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return text;
    ssize_t count = read(fd, text, sizeof text - 1);
    text[count > 0 ? count : 0] = 0;
    close(fd);
    return text;
}

static int count_entries(const char* path)
{
    DIR* dir = opendir(path);
    if (!dir)
        return -1;
    int count = 0;
    struct dirent* entry;
    while ((entry = readdir(dir)))
        if (strcmp(entry->d_name, ".") && strcmp(entry->d_name, ".."))
            ++count;
    closedir(dir);
    return count;
}

static void check_files(const char* dir)
{
    const char* file = at(dir, "file");
    CHECK("create-write-read", write_file(file, "hello virtio-fs\n") == 0
            && strcmp(read_file(file), "hello virtio-fs\n") == 0);
    int fd = open(file, O_RDWR);
    CHECK("pwrite-pread", fd >= 0 && pwrite(fd, "HELLO", 5, 0) == 5);
    char buffer[16] = { 0 };
    CHECK("pread", pread(fd, buffer, 5, 0) == 5 && memcmp(buffer, "HELLO", 5) == 0);
    CHECK("fsync", fsync(fd) == 0 && fdatasync(fd) == 0);
    CHECK("ftruncate", ftruncate(fd, 3) == 0);
    struct stat st;
    CHECK("fstat-size", fstat(fd, &st) == 0 && st.st_size == 3);
    close(fd);
    CHECK("truncate-grow", truncate(file, 1 << 20) == 0 && stat(file, &st) == 0
            && st.st_size == 1 << 20);
    CHECK("truncate-back", truncate(file, 3) == 0);

    // A big file through the page cache and back: 8 MiB of a pattern.
    const char* big = at(dir, "big");
    fd = open(big, O_RDWR | O_CREAT | O_TRUNC, 0600);
    static unsigned char block[65536];
    int ok = fd >= 0;
    for (int i = 0; ok && i < 128; ++i) {
        memset(block, i, sizeof block);
        ok = write(fd, block, sizeof block) == sizeof block;
    }
    for (int i = 0; ok && i < 128; ++i) {
        ok = pread(fd, block, sizeof block, (off_t)i * sizeof block) == sizeof block
            && block[0] == i && block[sizeof block - 1] == i;
    }
    CHECK("big-file", ok);
    close(fd);

    const char* hard = at(dir, "hardlink");
    CHECK("link", link(file, hard) == 0 && stat(file, &st) == 0 && st.st_nlink == 2);
    CHECK("symlink", symlink("file", at(dir, "symlink")) == 0);
    char target[64] = { 0 };
    CHECK("readlink", readlink(at(dir, "symlink"), target, sizeof target) == 4
            && strcmp(target, "file") == 0);
    CHECK("read-through-symlink", strcmp(read_file(at(dir, "symlink")), "HEL") == 0);
    CHECK("rename", rename(hard, at(dir, "renamed")) == 0 && access(hard, F_OK) != 0);
    CHECK("rename-over", write_file(at(dir, "victim"), "old") == 0
            && rename(at(dir, "renamed"), at(dir, "victim")) == 0
            && strcmp(read_file(at(dir, "victim")), "HEL") == 0);
    CHECK("rename-noreplace", renameat2(AT_FDCWD, at(dir, "victim"), AT_FDCWD, file,
                                  RENAME_NOREPLACE) != 0 && errno == EEXIST);
    CHECK("unlink", unlink(at(dir, "victim")) == 0 && stat(file, &st) == 0 && st.st_nlink == 1);
    CHECK("chmod", chmod(file, 0640) == 0 && stat(file, &st) == 0
            && (st.st_mode & 07777) == 0640);
    struct timespec times[2] = { { 1000000000, 0 }, { 1234567890, 0 } };
    CHECK("utimes", utimensat(AT_FDCWD, file, times, 0) == 0 && stat(file, &st) == 0
            && st.st_mtim.tv_sec == 1234567890);
    // Ownership follows the host's rules: the test compares with what the host allows.
    printf("FS-CHOWN %d\n", chown(file, 1234, 1234) == 0 ? 0 : errno);
    CHECK("mkfifo", mkfifo(at(dir, "fifo"), 0600) == 0 && stat(at(dir, "fifo"), &st) == 0
            && S_ISFIFO(st.st_mode));
}

static void check_directories(const char* dir)
{
    const char* sub = at(dir, "sub");
    CHECK("mkdir", mkdir(sub, 0755) == 0);
    CHECK("mkdir-exists", mkdir(sub, 0755) != 0 && errno == EEXIST);
    int ok = 1;
    char name[64];
    for (int i = 0; ok && i < 3000; ++i) {
        snprintf(name, sizeof name, "entry-with-a-longish-name-%05d", i);
        int fd = open(at(sub, name), O_WRONLY | O_CREAT | O_EXCL, 0644);
        ok = fd >= 0 && close(fd) == 0;
    }
    CHECK("create-3000", ok);
    CHECK("readdir-3000", count_entries(sub) == 3000);
    CHECK("readdir-host-5000", count_entries(at(dir, "hostdir")) == 5000);
    CHECK("rmdir-not-empty", rmdir(sub) != 0 && errno == ENOTEMPTY);
    for (int i = 0; ok && i < 3000; ++i) {
        snprintf(name, sizeof name, "entry-with-a-longish-name-%05d", i);
        ok = unlink(at(sub, name)) == 0;
    }
    CHECK("unlink-3000", ok && count_entries(sub) == 0);
    CHECK("rmdir", rmdir(sub) == 0 && access(sub, F_OK) != 0);
    struct statfs fs;
    CHECK("statfs", statfs(dir, &fs) == 0 && fs.f_blocks > 0 && fs.f_bsize > 0);
}

static void check_mmap_xattrs_locks(const char* dir)
{
    const char* file = at(dir, "mapped");
    int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int ok = fd >= 0 && ftruncate(fd, 8192) == 0;
    char* map = ok ? mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    ok = map != MAP_FAILED;
    if (ok) {
        memcpy(map + 4096, "mapped write", 12);
        ok = msync(map, 8192, MS_SYNC) == 0 && munmap(map, 8192) == 0;
    }
    char buffer[16] = { 0 };
    CHECK("mmap-shared-write", ok && pread(fd, buffer, 12, 4096) == 12
            && memcmp(buffer, "mapped write", 12) == 0);
    map = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK("mmap-read", map != MAP_FAILED && memcmp(map + 4096, "mapped write", 12) == 0);
    if (map != MAP_FAILED)
        munmap(map, 8192);

    // Whether user xattrs work depends on the host's file system: report, the test compares.
    int set = fsetxattr(fd, "user.rvisor", "value", 5, 0);
    printf("FS-XATTR %d\n", set == 0 ? 0 : errno);
    if (set == 0) {
        char value[16] = { 0 };
        char list[256] = { 0 };
        ssize_t listed = listxattr(file, list, sizeof list);
        int found = 0;
        for (ssize_t i = 0; i < listed; i += (ssize_t)strlen(list + i) + 1)
            found |= strcmp(list + i, "user.rvisor") == 0;
        CHECK("getxattr", getxattr(file, "user.rvisor", value, sizeof value) == 5
                && memcmp(value, "value", 5) == 0);
        CHECK("getxattr-size", getxattr(file, "user.rvisor", NULL, 0) == 5);
        CHECK("listxattr", found);
        CHECK("removexattr", removexattr(file, "user.rvisor") == 0
                && getxattr(file, "user.rvisor", value, sizeof value) < 0 && errno == ENODATA);
    }

    // Locks are the guest kernel's own: two processes of the guest exclude each other.
    struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
    CHECK("fcntl-lock", fcntl(fd, F_SETLK, &lock) == 0);
    CHECK("flock", flock(fd, LOCK_EX | LOCK_NB) == 0);
    pid_t child = fork();
    if (child == 0) {
        int other = open(file, O_RDWR);
        struct flock want = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        int posix_refused = fcntl(other, F_SETLK, &want) != 0 && (errno == EAGAIN || errno == EACCES);
        int flock_refused = flock(other, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
        _exit(posix_refused && flock_refused ? 0 : 1);
    }
    int status = 0;
    CHECK("locks-exclude", child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status)
            && WEXITSTATUS(status) == 0);
    close(fd);
}

static void check_read_only(const char* dir)
{
    CHECK("ro-read", strcmp(read_file(at(dir, "readme")), "read me\n") == 0);
    errno = 0;
    CHECK("ro-create", open(at(dir, "new"), O_WRONLY | O_CREAT, 0644) < 0 && errno == EROFS);
    CHECK("ro-open-write", open(at(dir, "readme"), O_WRONLY) < 0 && errno == EROFS);
    CHECK("ro-mkdir", mkdir(at(dir, "d"), 0755) != 0 && errno == EROFS);
    CHECK("ro-unlink", unlink(at(dir, "readme")) != 0 && errno == EROFS);
    CHECK("ro-rename", rename(at(dir, "readme"), at(dir, "moved")) != 0 && errno == EROFS);
    CHECK("ro-chmod", chmod(at(dir, "readme"), 0600) != 0 && errno == EROFS);
    CHECK("ro-symlink", symlink("readme", at(dir, "l")) != 0 && errno == EROFS);
    CHECK("ro-truncate", truncate(at(dir, "readme"), 0) != 0 && errno == EROFS);
}

static void read_escapes(const char* dir)
{
    static const char* const names[] = { "up", "absolute", "etc/hostname", "proc-root/etc/hostname" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
        printf("FS-READ %s: [%s]\n", names[i], read_file(at(dir, names[i])));
}

int main(int argc, char** argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: fs_test rw|ro|escape DIR\n");
        return 2;
    }
    if (strcmp(argv[1], "rw") == 0) {
        check_files(argv[2]);
        check_directories(argv[2]);
        check_mmap_xattrs_locks(argv[2]);
    } else if (strcmp(argv[1], "ro") == 0)
        check_read_only(argv[2]);
    else
        read_escapes(argv[2]);
    printf("FS-DONE FAILURES=%d\n", failures);
    return failures != 0;
}
