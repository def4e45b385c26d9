/* Single-precision kernel: C = A x B for 96x96 float matrices, then each row of C is
 * normalised (sqrtf, division) and becomes the next A; the row norms go into the checksum. */
#include <math.h>

#include "kernel.h"

enum { kN = 96 };

static float a[kN][kN], b[kN][kN], c[kN][kN];

int main(int argc, char** argv)
{
    long rounds = kernel_iterations(argc, argv, 2100);
    uint64_t seed = 0x452821e638d01377ull;
    for (int i = 0; i < kN; i++)
        for (int j = 0; j < kN; j++) {
            a[i][j] = (float)(int32_t)(kernel_rand(&seed) >> 32) * (1.0f / 2147483648.0f);
            b[i][j] = (float)(int32_t)(kernel_rand(&seed) >> 32) * (1.0f / 2147483648.0f);
        }
    uint64_t sum = 0;
    double start = kernel_now();
    for (long r = 0; r < rounds; r++) {
        for (int i = 0; i < kN; i++) {
            for (int j = 0; j < kN; j++)
                c[i][j] = 0.0f;
            for (int k = 0; k < kN; k++) {
                float aik = a[i][k];
                for (int j = 0; j < kN; j++)
                    c[i][j] += aik * b[k][j];
            }
        }
        for (int i = 0; i < kN; i++) {
            float norm = 0.0f;
            for (int j = 0; j < kN; j++)
                norm += c[i][j] * c[i][j];
            norm = sqrtf(norm) + 1e-20f;
            for (int j = 0; j < kN; j++)
                a[i][j] = c[i][j] / norm + 0.001f * (float)(j - i);
            if (i % 8 == 0)
                sum = kernel_fold_float(sum, norm);
        }
    }
    double seconds = kernel_now() - start;
    for (int i = 0; i < kN; i += 7)
        sum = kernel_fold_float(sum, a[i][(i * 5) % kN]);
    kernel_report("matmul", seconds, sum);
    return 0;
}
