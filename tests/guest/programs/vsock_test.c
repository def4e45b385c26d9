// The guest's end of the vsock tests (tests/guest/vsock_test.py); busybox has no vsock tool.
//   vsock_test echo PORT         listen on PORT; echo every connection's bytes back until EOF
//   vsock_test send PORT BYTES   connect to the host's PORT, send BYTES of a pattern, close the
//                                sending side, and check that the same bytes come back
// Prints VSOCK-LISTENING, VSOCK-SEND-OK or VSOCK-FAIL lines for the test to wait for.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/vm_sockets.h> // after sys/socket.h, whose struct sockaddr it uses

static unsigned char pattern(unsigned long i) { return (unsigned char)(i * 7 + i / 4093); }

static int fail(const char* what)
{
    printf("VSOCK-FAIL %s: %s\n", what, strerror(errno));
    fflush(stdout);
    return 1;
}

static int write_all(int fd, const unsigned char* data, size_t size)
{
    while (size > 0) {
        ssize_t count = write(fd, data, size);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0)
            return -1;
        data += count;
        size -= (size_t)count;
    }
    return 0;
}

static void echo(int fd)
{
    unsigned char buffer[65536];
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count <= 0 || write_all(fd, buffer, (size_t)count) != 0)
            break;
    }
    close(fd);
}

static int serve(unsigned port)
{
    int listener = socket(AF_VSOCK, SOCK_STREAM, 0);
    struct sockaddr_vm address = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
        .svm_port = port };
    if (listener < 0 || bind(listener, (struct sockaddr*)&address, sizeof address) != 0
        || listen(listener, 64) != 0)
        return fail("listen");
    signal(SIGCHLD, SIG_IGN);
    printf("VSOCK-LISTENING %u\n", port);
    fflush(stdout);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            return fail("accept");
        }
        if (fork() == 0) {
            close(listener);
            echo(fd);
            _exit(0);
        }
        close(fd);
    }
}

static int send_and_check(unsigned port, unsigned long bytes)
{
    int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
    struct sockaddr_vm address = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_HOST,
        .svm_port = port };
    if (fd < 0 || connect(fd, (struct sockaddr*)&address, sizeof address) != 0)
        return fail("connect");
    pid_t writer = fork();
    if (writer == 0) {
        unsigned char chunk[65536];
        for (unsigned long sent = 0; sent < bytes;) {
            size_t size = bytes - sent < sizeof chunk ? bytes - sent : sizeof chunk;
            for (size_t i = 0; i < size; ++i)
                chunk[i] = pattern(sent + i);
            if (write_all(fd, chunk, size) != 0)
                _exit(fail("write"));
            sent += size;
        }
        shutdown(fd, SHUT_WR);
        _exit(0);
    }
    unsigned char buffer[65536];
    unsigned long received = 0;
    for (;;) {
        ssize_t count = read(fd, buffer, sizeof buffer);
        if (count < 0 && errno == EINTR)
            continue;
        if (count < 0)
            return fail("read");
        if (count == 0)
            break;
        for (ssize_t i = 0; i < count; ++i) {
            if (buffer[i] != pattern(received + (unsigned long)i)) {
                printf("VSOCK-FAIL byte %lu differs\n", received + (unsigned long)i);
                return 1;
            }
        }
        received += (unsigned long)count;
    }
    int status = 0;
    waitpid(writer, &status, 0);
    if (received != bytes || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        printf("VSOCK-FAIL received %lu of %lu bytes\n", received, bytes);
        return 1;
    }
    printf("VSOCK-SEND-OK %lu\n", bytes);
    return 0;
}

int main(int argc, char** argv)
{
    if (argc == 3 && strcmp(argv[1], "echo") == 0)
        return serve((unsigned)strtoul(argv[2], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "send") == 0)
        return send_and_check((unsigned)strtoul(argv[2], NULL, 10), strtoul(argv[3], NULL, 10));
    fprintf(stderr, "usage: vsock_test echo PORT | send PORT BYTES\n");
    return 2;
}
