/* Memory-bound kernel: pointer chasing through a single random cycle over 4 MiB (1 Mi 32-bit
 * indices, shuffled with Sattolo's algorithm), so nearly every load misses the caches and,
 * in the guest, touches a new page. The setup is not timed. */
#include "kernel.h"

enum { kSlots = 1 << 20 };

int main(int argc, char** argv)
{
    long rounds = kernel_iterations(argc, argv, 16);
    uint32_t* next = malloc(sizeof(uint32_t) * kSlots);
    if (!next) {
        puts("chase: out of memory");
        return 1;
    }
    uint64_t seed = 0x082efa98ec4e6c89ull;
    for (uint32_t i = 0; i < kSlots; i++)
        next[i] = i;
    for (uint32_t i = kSlots - 1; i > 0; i--) { /* Sattolo: one cycle through every slot */
        uint32_t j = (uint32_t)(kernel_rand(&seed) % i);
        uint32_t t = next[i];
        next[i] = next[j];
        next[j] = t;
    }

    double start = kernel_now();
    uint64_t sum = 0;
    uint32_t p = 0;
    for (long r = 0; r < rounds; r++) {
        for (long s = 0; s < kSlots; s++) {
            p = next[p];
            sum += p ^ (uint64_t)s;
        }
        if (p != 0) { /* a full cycle comes back to the start */
            printf("chase: the cycle did not close (%u)\n", p);
            return 1;
        }
    }
    double seconds = kernel_now() - start;
    kernel_report("chase", seconds, kernel_fold(sum, p));
    free(next);
    return 0;
}
