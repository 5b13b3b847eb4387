// SPDX-License-Identifier: MIT
/*
 * The system benchmarks (bench/system.manifest, started by init): the user-level servers
 * as a client sees them. names_lookup: one lookup through names (the endpoint comes back
 * in the reply); console_write_64b: a 64-byte write to the console with its synchronous
 * protocol, answered once the bytes are in the UART's FIFO. The console's output goes to
 * the serial log, so its benchmarks take fewer samples than the others (under -icount the
 * figures are exact anyway); the figures go to the kernel's debug console.
 */
#include <stdio.h>
#include <string.h>

#include "services.h"

#include <mica/task.h>

#define BENCH_PRINTF mica_printf
#include "measure.h"

#define CNODE       MICA_TASK_SLOT_CNODE
/* The console's benchmarks write to the serial log: fewer samples than the others. */
#define CONSOLE_SAMPLES 101
#define CONSOLE_WARMUP  8
#define LOOKED_UP   (MICA_TASK_SLOT_FIRST_FREE + 0)
#define CONSOLE     (MICA_TASK_SLOT_FIRST_FREE + 1)

/* A 64-byte line for the console's benchmarks: "sysbench <what> <n>" padded with dots. */
static void
line64(char out[64], const char *what, unsigned n)
{
    memset(out, '.', 64);
    int k = snprintf(out, 64, "sysbench %s %u ", what, n);
    out[k] = ' ';
    out[63] = '\n';
}

/* report() for the first n samples. */
static void
report_n(const char *name, unsigned n)
{
    qsort(samples, n, sizeof(samples[0]), cmp_samples);
    mica_printf("BENCH %s median=%lu min=%lu\n", name, (unsigned long)samples[n / 2],
                (unsigned long)samples[0]);
}

static void
bench_names(void)
{
    for (int i = -WARMUP; i < SAMPLES; i++) {
        uint64_t t0 = rdtsc();
        long err = mica_names_lookup(MICA_TASK_SLOT_NAMES, "console", LOOKED_UP);
        uint64_t t1 = rdtsc();
        if (err)
            mica_printf("sysbench: lookup failed: %s\n", mica_errname(err));
        mica_cnode_delete(CNODE, LOOKED_UP);
        if (i >= 0)
            samples[i] = t1 - t0;
    }
    report("names_lookup");
}

static void
bench_console(void)
{
    char line[64];
    for (int i = -CONSOLE_WARMUP; i < CONSOLE_SAMPLES; i++) {
        line64(line, "console_write_64b", (unsigned)(i + CONSOLE_WARMUP));
        uint64_t t0 = rdtsc();
        long err = mica_console_write(CONSOLE, line, sizeof(line));
        uint64_t t1 = rdtsc();
        if (err)
            mica_printf("sysbench: console write failed: %s\n", mica_errname(err));
        if (i >= 0)
            samples[i] = t1 - t0;
    }
    report_n("console_write_64b", CONSOLE_SAMPLES);
}

int
main(void)
{
    long err = mica_names_lookup(MICA_TASK_SLOT_NAMES, "console", CONSOLE);
    if (err) {
        mica_printf("sysbench: no console: %s\n", mica_errname(err));
        mica_halt(1);
    }
    bench_names();
    bench_console();
    mica_halt(0);
}
