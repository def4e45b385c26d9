/* Double-precision kernel: a softened gravitational n-body simulation of 32 bodies with a
 * leapfrog (kick-drift) step; all pairs per step, one sqrt and one division per pair. The
 * system is chaotic, so any rounding difference shows in the checksum (positions and the
 * final energy). */
#include <math.h>

#include "kernel.h"

enum { kBodies = 32 };

static double px[kBodies], py[kBodies], pz[kBodies];
static double vx[kBodies], vy[kBodies], vz[kBodies];
static double mass[kBodies];

static double unit(uint64_t* seed)
{ /* in [-1, 1) */
    return (double)(kernel_rand(seed) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static void step(double dt)
{
    const double soft = 0.01;
    for (int i = 0; i < kBodies; i++) {
        double ax = 0, ay = 0, az = 0;
        for (int j = 0; j < kBodies; j++) {
            if (j == i)
                continue;
            double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
            double d2 = dx * dx + dy * dy + dz * dz + soft;
            double inv = mass[j] / (d2 * sqrt(d2));
            ax += dx * inv;
            ay += dy * inv;
            az += dz * inv;
        }
        vx[i] += ax * dt;
        vy[i] += ay * dt;
        vz[i] += az * dt;
    }
    for (int i = 0; i < kBodies; i++) {
        px[i] += vx[i] * dt;
        py[i] += vy[i] * dt;
        pz[i] += vz[i] * dt;
    }
}

static double energy(void)
{
    double e = 0;
    for (int i = 0; i < kBodies; i++) {
        e += 0.5 * mass[i] * (vx[i] * vx[i] + vy[i] * vy[i] + vz[i] * vz[i]);
        for (int j = i + 1; j < kBodies; j++) {
            double dx = px[j] - px[i], dy = py[j] - py[i], dz = pz[j] - pz[i];
            e -= mass[i] * mass[j] / sqrt(dx * dx + dy * dy + dz * dz + 0.01);
        }
    }
    return e;
}

int main(int argc, char** argv)
{
    long steps = kernel_iterations(argc, argv, 100000);
    uint64_t seed = 0xbe5466cf34e90c6cull;
    for (int i = 0; i < kBodies; i++) {
        px[i] = unit(&seed), py[i] = unit(&seed), pz[i] = unit(&seed);
        vx[i] = 0.1 * unit(&seed), vy[i] = 0.1 * unit(&seed), vz[i] = 0.1 * unit(&seed);
        mass[i] = 0.5 + 0.5 * (unit(&seed) + 1.0) / 2.0;
    }
    double start = kernel_now();
    for (long s = 0; s < steps; s++)
        step(1e-4);
    double seconds = kernel_now() - start;
    uint64_t sum = kernel_fold_double(0, energy());
    for (int i = 0; i < kBodies; i++) {
        sum = kernel_fold_double(sum, px[i]);
        sum = kernel_fold_double(sum, py[i]);
        sum = kernel_fold_double(sum, pz[i]);
    }
    kernel_report("nbody", seconds, sum);
    return 0;
}
