#include "host/sandbox.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <linux/if_tun.h>
#include <linux/sched.h>
#include <memory>
#include <seccomp.h>
#include <stdexcept>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rvisor::host {

namespace {

// The system calls a running VM makes, found by running every guest test under `strace -f` and
// reading the code paths the tests do not reach (errors, reboots, snapshots). A guest reboot
// builds a new Machine, so what building one needs is here too.
constexpr int kAllowedSyscalls[] = {
    // Hart threads, the I/O thread, virtio workers and the API's thread pool: waiting, waking,
    // and what glibc does to start and end a thread (clone itself is filtered below).
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(nanosleep),
    SCMP_SYS(clock_nanosleep),
    // Time, when the vDSO falls back to the kernel (the guest's timebase, timeouts).
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(gettimeofday),
    // Memory: guest RAM on a memfd (a reboot makes a new one), the translator's code cache,
    // thread stacks and malloc.
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mprotect),
    SCMP_SYS(madvise),
    SCMP_SYS(mremap),
    SCMP_SYS(brk),
    SCMP_SYS(memfd_create),
    // Signals: SIGINT and SIGTERM stop the VM; glibc blocks signals around thread creation;
    // abort() raises SIGABRT on itself.
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(tgkill),
    // The console (a terminal or pipes), the I/O loop and slirp's poll, eventfd wake-ups.
    SCMP_SYS(read),
    SCMP_SYS(write),
    SCMP_SYS(readv),
    SCMP_SYS(writev),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(eventfd2),
    SCMP_SYS(close),
    // Files: virtio-blk I/O and flushes, snapshot files (sparse memory files are written by
    // their data and holes), and a reboot reading the kernel, initrd and disks again.
    SCMP_SYS(openat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(fstat),
    SCMP_SYS(statx),
    SCMP_SYS(lseek),
    SCMP_SYS(pread64),
    SCMP_SYS(pwrite64),
    SCMP_SYS(preadv),
    SCMP_SYS(pwritev),
    SCMP_SYS(fdatasync),
    SCMP_SYS(fsync),
    SCMP_SYS(fallocate),
    SCMP_SYS(ftruncate),
    SCMP_SYS(flock),
    SCMP_SYS(fcntl),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(renameat2),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(getcwd),
    SCMP_SYS(getrandom),
    // Sockets: user networking (libslirp's TCP/UDP/ICMP sockets for the guest's connections and
    // host forwards; socket itself is filtered below) and the API's Unix socket, whose server
    // checks each client's credentials.
    SCMP_SYS(connect),
    SCMP_SYS(bind),
    SCMP_SYS(listen),
    SCMP_SYS(accept),
    SCMP_SYS(accept4),
    SCMP_SYS(shutdown),
    SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    SCMP_SYS(setsockopt),
    SCMP_SYS(getsockopt),
    SCMP_SYS(sendto),
    SCMP_SYS(recvfrom),
    SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg),
};

// What a virtio-fs share's FUSE server adds: every request names a parent descriptor and one
// name (openat2 with RESOLVE_BENEATH), the xattr calls go through /proc/self/fd paths, and a
// directory stream reads a duplicate of the directory's descriptor.
constexpr int kFileSharingSyscalls[] = {
    SCMP_SYS(openat2),
    SCMP_SYS(mkdirat),
    SCMP_SYS(mknodat),
    SCMP_SYS(symlinkat),
    SCMP_SYS(linkat),
    SCMP_SYS(readlinkat),
    SCMP_SYS(fchmod),
    SCMP_SYS(chmod),
    SCMP_SYS(fchmodat),
    SCMP_SYS(fchown),
    SCMP_SYS(fchownat),
    SCMP_SYS(utimensat),
    SCMP_SYS(getdents64),
    SCMP_SYS(dup),
    SCMP_SYS(statfs),
    SCMP_SYS(fstatfs),
    SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2),
    SCMP_SYS(syncfs),
    SCMP_SYS(setxattr),
    SCMP_SYS(lsetxattr),
    SCMP_SYS(fsetxattr),
    SCMP_SYS(getxattr),
    SCMP_SYS(lgetxattr),
    SCMP_SYS(fgetxattr),
    SCMP_SYS(listxattr),
    SCMP_SYS(llistxattr),
    SCMP_SYS(flistxattr),
    SCMP_SYS(removexattr),
    SCMP_SYS(lremovexattr),
    SCMP_SYS(fremovexattr),
};

// The ioctls a running VM makes: the terminal's mode (saved, made raw, restored at exit), a tap
// device's interface (set again when a reboot opens the tap anew), and libslirp's FIONREAD on
// a UDP socket and SIOCGIFINDEX (if_nametoindex, for a scoped IPv6 name server in the host's
// resolv.conf).
constexpr unsigned long kAllowedIoctls[] = { TCGETS, TCSETS, TUNSETIFF, FIONREAD, SIOCGIFINDEX };

// The socket families: libslirp's IPv4 and IPv6 sockets, and if_nametoindex's Unix datagram
// socket. No netlink, packet, vsock or crypto sockets.
constexpr int kAllowedSocketFamilies[] = { AF_INET, AF_INET6, AF_UNIX };

struct FilterRelease {
    void operator()(scmp_filter_ctx filter) const { seccomp_release(filter); }
};
using Filter = std::unique_ptr<void, FilterRelease>;

void check(int result, const char* what)
{
    if (result < 0)
        throw std::runtime_error(
            fmt::format("cannot set up the seccomp sandbox: {}: {}", what, std::strerror(-result)));
}

} // namespace

void close_inherited_descriptors()
{
    if (close_range(3, ~0U, 0) != 0)
        throw std::runtime_error(
            fmt::format("cannot close inherited descriptors: {}", std::strerror(errno)));
}

bool seccomp_filter_in_build()
{
#ifdef RVISOR_SANITIZE_BUILD
    return false;
#else
    return true;
#endif
}

void enter_sandbox(const SandboxNeeds& needs)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        throw std::runtime_error(fmt::format("cannot set no_new_privs: {}", std::strerror(errno)));
    if (!seccomp_filter_in_build())
        return;
    Filter filter(seccomp_init(SCMP_ACT_KILL_PROCESS));
    if (!filter)
        throw std::runtime_error("cannot set up the seccomp sandbox: libseccomp failed");
    // The API server's and the I/O threads already run: they must be filtered too.
    check(seccomp_attr_set(filter.get(), SCMP_FLTATR_CTL_TSYNC, 1), "thread sync");
    for (int syscall : kAllowedSyscalls)
        check(seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, syscall, 0), "allow");
    if (needs.file_sharing)
        for (int syscall : kFileSharingSyscalls)
            check(seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, syscall, 0), "allow file sharing");
    for (unsigned long request : kAllowedIoctls)
        check(seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                  scmp_arg_cmp { 1, SCMP_CMP_EQ, request, 0 }),
            "allow ioctl");
    for (int family : kAllowedSocketFamilies)
        check(seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
                  scmp_arg_cmp { 0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(family), 0 }),
            "allow socket");
    // (scmp_arg_cmp spelled out: the SCMP_A* macros leave a field unset, which clang flags.)
    // clone only makes threads (CLONE_THREAD): a VM never forks or execs. clone3 passes its
    // flags in memory, where a filter cannot read them; told it does not exist, glibc falls back
    // to clone.
    check(seccomp_rule_add(filter.get(), SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
              SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)),
        "allow clone");
    check(seccomp_rule_add(filter.get(), SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0),
        "refuse clone3");
    check(seccomp_load(filter.get()), "load");
}

} // namespace rvisor::host
