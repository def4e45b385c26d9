/* Integer kernel: a table-driven CRC-32 over a 64 KiB buffer, then a 64-bit multiply /
 * xor-shift / rotate mixing pass over the same buffer with a few divisions and remainders,
 * which rewrites it for the next round. Loads, stores, shifts, multiplies, divides. */
#include "kernel.h"

enum { kWords = 8192 }; /* 64 KiB */

static uint32_t table[256];
static uint64_t words[kWords];

static void make_table(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ 0xedb88320u : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const unsigned char* p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

int main(int argc, char** argv)
{
    long rounds = kernel_iterations(argc, argv, 2000);
    make_table();
    uint64_t seed = 0x243f6a8885a308d3ull;
    for (int i = 0; i < kWords; i++)
        words[i] = kernel_rand(&seed);

    double start = kernel_now();
    uint32_t crc = 0;
    uint64_t h = 0x13198a2e03707344ull;
    for (long r = 0; r < rounds; r++) {
        crc = crc32(crc, (const unsigned char*)words, sizeof words);
        for (int i = 0; i < kWords; i++) {
            uint64_t w = words[i] ^ (crc + (uint64_t)i);
            w ^= w >> 33;
            w *= 0xc4ceb9fe1a85ec53ull;
            w ^= w >> 29;
            if ((i & 15) == 0)
                w += w / ((h >> 40) | 1) + (uint32_t)w % ((uint32_t)i | 7u);
            words[i] = w;
            h = rotl(h ^ w, 23) * 0x9e3779b97f4a7c15ull;
        }
    }
    double seconds = kernel_now() - start;
    kernel_report("crc", seconds, kernel_fold(h, crc));
    return 0;
}
