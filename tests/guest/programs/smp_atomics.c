// Every hart hammers one shared counter with amoadd and another with an lr/sc loop; the totals
// must come out exact. Run inside the guest by the integration tests.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { kIterations = 200000 };

static uint64_t amo_counter;
static uint64_t lrsc_counter;

static void amo_add(uint64_t* target)
{
    __asm__ volatile("amoadd.d zero, %1, (%0)" : : "r"(target), "r"(1ull) : "memory");
}

static void lrsc_add(uint64_t* target)
{
    uint64_t value, failed;
    do {
        __asm__ volatile("lr.d %0, (%2)\n\t"
                         "addi %0, %0, 1\n\t"
                         "sc.d %1, %0, (%2)"
                         : "=&r"(value), "=&r"(failed)
                         : "r"(target)
                         : "memory");
    } while (failed);
}

static void* worker(void* unused)
{
    (void)unused;
    for (int i = 0; i < kIterations; ++i) {
        amo_add(&amo_counter);
        lrsc_add(&lrsc_counter);
    }
    return NULL;
}

int main(void)
{
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    pthread_t ids[64];
    if (threads > 64)
        threads = 64;
    for (long i = 0; i < threads; ++i)
        pthread_create(&ids[i], NULL, worker, NULL);
    for (long i = 0; i < threads; ++i)
        pthread_join(ids[i], NULL);
    const uint64_t expected = (uint64_t)threads * kIterations;
    printf("SMP-ATOMICS threads=%ld amoadd=%llu lrsc=%llu expected=%llu\n", threads,
           (unsigned long long)amo_counter, (unsigned long long)lrsc_counter,
           (unsigned long long)expected);
    return amo_counter == expected && lrsc_counter == expected ? 0 : 1;
}
