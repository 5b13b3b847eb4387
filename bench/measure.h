/* SPDX-License-Identifier: MIT */
/* Timing shared by the Mica benchmarks (bench.c) and their Linux counterparts
 * (linux/lbench.c): SAMPLES timings after WARMUP untimed runs, reported as the median and
 * minimum in TSC ticks. The includer defines BENCH_PRINTF (its printf). */
#ifndef BENCH_MEASURE_H
#define BENCH_MEASURE_H

#include <stdint.h>
#include <stdlib.h>

#define SAMPLES     2001
#define WARMUP      200

static uint64_t samples[SAMPLES];

static inline uint64_t
rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static int
cmp_samples(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void
report(const char *name)
{
    qsort(samples, SAMPLES, sizeof(samples[0]), cmp_samples);
    BENCH_PRINTF("BENCH %s median=%lu min=%lu\n", name, (unsigned long)samples[SAMPLES / 2],
                 (unsigned long)samples[0]);
}

/* The same with the mean, for operations whose rare slow cases (a pool refilled, a page
 * table made) are part of their cost. */
__attribute__((unused)) static void
report_mean(const char *name)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < SAMPLES; i++)
        sum += samples[i];
    qsort(samples, SAMPLES, sizeof(samples[0]), cmp_samples);
    BENCH_PRINTF("BENCH %s median=%lu min=%lu mean=%lu\n", name,
                 (unsigned long)samples[SAMPLES / 2], (unsigned long)samples[0],
                 (unsigned long)(sum / SAMPLES));
}

/* Time one operation, given as a statement, WARMUP + SAMPLES times (i_ counts from -WARMUP). */
#define MEASURE(name, ...)                                                          \
    do {                                                                            \
        for (int i_ = -WARMUP; i_ < SAMPLES; i_++) {                               \
            uint64_t t0_ = rdtsc();                                                 \
            __VA_ARGS__;                                                            \
            uint64_t t1_ = rdtsc();                                                 \
            if (i_ >= 0)                                                            \
                samples[i_] = t1_ - t0_;                                            \
        }                                                                           \
        report(name);                                                               \
    } while (0)

#endif
