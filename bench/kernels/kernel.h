/* Shared helpers for the bench/kernels programs: the iteration argument, a monotonic clock,
 * a 64-bit checksum mixer, and the one line each program prints:
 *   KERNEL <name> <seconds> <checksum as 16 hex digits>
 * Built for the guest (riscv64, static) and for the host, and the checksums must agree, so
 * floating-point code is compiled with -ffp-contract=off and uses only + - * / and sqrt. */
#ifndef BENCH_KERNEL_H
#define BENCH_KERNEL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double kernel_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* argv[1], the iteration count (> 0), or the default. */
static inline long kernel_iterations(int argc, char** argv, long fallback)
{
    if (argc < 2)
        return fallback;
    char* end;
    long n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) {
        fprintf(stderr, "usage: %s [ITERATIONS]\n", argv[0]);
        exit(2);
    }
    return n;
}

/* Folds a 64-bit value into a running checksum (order-dependent). */
static inline uint64_t kernel_fold(uint64_t sum, uint64_t v)
{
    sum ^= v + 0x9e3779b97f4a7c15ull + (sum << 6) + (sum >> 2);
    return sum * 0xff51afd7ed558ccdull;
}

static inline uint64_t kernel_fold_double(uint64_t sum, double d)
{
    uint64_t bits;
    memcpy(&bits, &d, sizeof bits);
    return kernel_fold(sum, bits);
}

static inline uint64_t kernel_fold_float(uint64_t sum, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return kernel_fold(sum, bits);
}

/* xorshift64: a small deterministic generator for inputs. */
static inline uint64_t kernel_rand(uint64_t* state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static inline void kernel_report(const char* name, double seconds, uint64_t checksum)
{
    /* One write, so the line reaches the console whole. */
    char line[128];
    int n = snprintf(
        line, sizeof line, "KERNEL %s %.6f %016llx\n", name, seconds, (unsigned long long)checksum);
    fwrite(line, 1, (size_t)n, stdout);
    fflush(stdout);
}

#endif
