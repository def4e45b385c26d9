// Runs in the guest for bench/io.sh: COUNT random 4 KiB direct (O_DIRECT) reads or writes of
// DEVICE, one at a time, at offsets from a seeded PRNG (the same offsets in every run and under
// every VMM), timed as a whole with CLOCK_MONOTONIC, and prints
//   RANDOM-IO read iops=N count=C seconds=S
// (or "write"). Writes store a pattern, so they overwrite whatever DEVICE holds.
// "random_io now" prints CLOCK_MONOTONIC in seconds to the nanosecond (/proc/uptime has only
// hundredths), for bench/io.sh to time its other steps with.
// Usage: random_io read|write DEVICE COUNT
//        random_io now
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char** argv)
{
    if (argc == 2 && strcmp(argv[1], "now") == 0) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        printf("%lld.%09ld\n", (long long)t.tv_sec, t.tv_nsec);
        return 0;
    }
    if (argc != 4 || (strcmp(argv[1], "read") != 0 && strcmp(argv[1], "write") != 0)) {
        fprintf(stderr, "usage: random_io read|write DEVICE COUNT | random_io now\n");
        return 2;
    }
    int writing = strcmp(argv[1], "write") == 0;
    int fd = open(argv[2], (writing ? O_WRONLY : O_RDONLY) | O_DIRECT);
    long count = atol(argv[3]);
    off_t blocks = fd < 0 ? 0 : lseek(fd, 0, SEEK_END) / 4096;
    void* buffer;
    if (fd < 0 || count <= 0 || blocks <= 0 || posix_memalign(&buffer, 4096, 4096) != 0) {
        perror("random_io");
        return 1;
    }
    memset(buffer, 0xa5, 4096);
    uint64_t state = 88172645463325252ull; // xorshift64: the same offsets in every run
    double start = now();
    for (long i = 0; i < count; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        off_t offset = (off_t)(state % (uint64_t)blocks) * 4096;
        ssize_t done = writing ? pwrite(fd, buffer, 4096, offset) : pread(fd, buffer, 4096, offset);
        if (done != 4096) {
            perror(writing ? "random_io: pwrite" : "random_io: pread");
            return 1;
        }
    }
    double seconds = now() - start;
    printf("RANDOM-IO %s iops=%.0f count=%ld seconds=%.3f\n", argv[1], count / seconds, count,
        seconds);
    return 0;
}
