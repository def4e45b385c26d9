// Runs in the guest for bench/ratelimit.sh and guest.ratelimit.neighbour: COUNT random 4 KiB
// direct reads of DEVICE, each timed with CLOCK_MONOTONIC, and prints their latency percentiles
// in microseconds:
//   RANDOM-READ count=N p50=X p99=Y max=Z
// Usage: random_read DEVICE COUNT
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int compare(const void* a, const void* b)
{
    int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: random_read DEVICE COUNT\n");
        return 2;
    }
    int fd = open(argv[1], O_RDONLY | O_DIRECT);
    long count = atol(argv[2]);
    off_t blocks = fd < 0 ? 0 : lseek(fd, 0, SEEK_END) / 4096;
    void* buffer;
    if (fd < 0 || count <= 0 || blocks <= 0 || posix_memalign(&buffer, 4096, 4096) != 0) {
        perror("random_read");
        return 1;
    }
    int64_t* latencies = calloc((size_t)count, sizeof *latencies);
    uint64_t state = 88172645463325252ull; // xorshift64: the same offsets in every run
    for (long i = 0; i < count; ++i) {
        state ^= state << 13, state ^= state >> 7, state ^= state << 17;
        off_t offset = (off_t)(state % (uint64_t)blocks) * 4096;
        int64_t start = now_ns();
        if (pread(fd, buffer, 4096, offset) != 4096) {
            perror("random_read: pread");
            return 1;
        }
        latencies[i] = now_ns() - start;
    }
    qsort(latencies, (size_t)count, sizeof *latencies, compare);
    printf("RANDOM-READ count=%ld p50=%.0f p99=%.0f max=%.0f\n", count, latencies[count / 2] / 1e3,
        latencies[count * 99 / 100] / 1e3, latencies[count - 1] / 1e3);
    return 0;
}
