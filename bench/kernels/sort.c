/* Branchy kernel: quicksort (median of three, insertion sort below 16 elements, recursion on
 * the smaller side) of 64 Ki pseudo-random 32-bit keys, each round with new keys, then a check
 * that the result is ordered. Data-dependent branches, calls and returns. */
#include "kernel.h"

enum { kKeys = 65536 };

static uint32_t keys[kKeys];

static void insertion_sort(uint32_t* a, long n)
{
    for (long i = 1; i < n; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t* a, uint32_t* b)
{
    uint32_t t = *a;
    *a = *b;
    *b = t;
}

static void quicksort(uint32_t* a, long n)
{
    while (n > 16) {
        long mid = n / 2;
        if (a[mid] < a[0])
            swap(&a[mid], &a[0]);
        if (a[n - 1] < a[0])
            swap(&a[n - 1], &a[0]);
        if (a[n - 1] < a[mid])
            swap(&a[n - 1], &a[mid]);
        uint32_t pivot = a[mid];
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i >= j)
                break;
            swap(&a[i], &a[j]);
            i++;
            j--;
        }
        long left = j + 1; /* a[0..j] <= pivot <= a[j+1..n-1] */
        if (left < n - left) {
            quicksort(a, left);
            a += left;
            n -= left;
        } else {
            quicksort(a + left, n - left);
            n = left;
        }
    }
    insertion_sort(a, n);
}

int main(int argc, char** argv)
{
    long rounds = kernel_iterations(argc, argv, 85);
    uint64_t seed = 0xa4093822299f31d0ull;
    uint64_t sum = 0;
    double start = kernel_now();
    for (long r = 0; r < rounds; r++) {
        /* Some rounds with few distinct keys, to vary the branch patterns. */
        uint32_t mask = (r % 4 == 3) ? 0x3ff : 0xffffffffu;
        for (int i = 0; i < kKeys; i++)
            keys[i] = (uint32_t)(kernel_rand(&seed) >> 16) & mask;
        quicksort(keys, kKeys);
        for (int i = 1; i < kKeys; i++)
            if (keys[i - 1] > keys[i]) {
                printf("sort: not ordered at round %ld index %d\n", r, i);
                return 1;
            }
        for (int i = 0; i < kKeys; i += 4099)
            sum = kernel_fold(sum, keys[i]);
    }
    double seconds = kernel_now() - start;
    kernel_report("sort", seconds, sum);
    return 0;
}
