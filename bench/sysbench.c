// SPDX-License-Identifier: MIT
/*
 * The system benchmarks (bench/system.manifest, started by init): the user-level servers
 * as a client sees them. names_lookup: one lookup through names (the endpoint comes back
 * in the reply); console_write_64b: a 64-byte write to the console with its synchronous
 * protocol, answered once the bytes are in the UART's FIFO; console_chan_write_64b: the
 * same through a channel (lib/console_chan.h), 32 writes submitted together and their 32
 * completions reaped, per write. The console's output goes to the serial log, so its
 * benchmarks take fewer samples than the others (under -icount the figures are exact
 * anyway); the figures go to the kernel's debug console.
 */
#include <stdio.h>
#include <string.h>

#include "console_chan.h"
#include "services.h"

#include <mica/task.h>

#define BENCH_PRINTF mica_printf
#include "measure.h"

#define CNODE       MICA_TASK_SLOT_CNODE
/* The console's benchmarks write to the serial log: fewer samples than the others. */
#define CONSOLE_SAMPLES 101
#define CONSOLE_WARMUP  8
#define BATCH_SAMPLES   11              /* of 32 writes each */
#define BATCH_WARMUP    2
#define BATCH           32
#define CHAN_SLOTS      (MICA_TASK_SLOT_FIRST_FREE + 4)
#define CHAN_VA         0x550000000000UL
#define LOOKED_UP   (MICA_TASK_SLOT_FIRST_FREE + 0)
#define CONSOLE     (MICA_TASK_SLOT_FIRST_FREE + 1)

/* A 64-byte line for the console's benchmarks: "sysbench <what> <n>" padded with dots. */
static void
line64(char out[64], const char *what, unsigned n)
{
    memset(out, '.', 64);
    int k = snprintf(out, 64, "sysbench %s %u", what, n);
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

static void
chan_batch(struct console_chan *cc, char lines[BATCH][64])
{
    uint32_t tag;
    struct mica_chan_cqe cqe[BATCH];
    for (unsigned i = 0; i < BATCH; i++) {
        long err = console_chan_write(cc, lines[i], 64, &tag);
        if (err)
            mica_printf("sysbench: channel write failed: %s\n", mica_errname(err));
    }
    mica_chan_submit(&cc->ch);
    for (unsigned got = 0; got < BATCH;) {
        unsigned k = console_chan_reap(cc, cqe, BATCH);
        for (unsigned i = 0; i < k; i++)
            if (cqe[i].status || cqe[i].res[0] != 64)
                mica_printf("sysbench: a channel write failed: %s\n",
                            mica_errname(cqe[i].status));
        got += k;
        if (got < BATCH && !k && console_chan_wait(cc)) {
            mica_printf("sysbench: the console went\n");
            return;
        }
    }
}

static void
bench_console_chan(void)
{
    static struct console_chan cc;
    long err = console_chan_open(&cc, MICA_TASK_SLOT_UNTYPED, CHAN_SLOTS, CHAN_VA);
    if (err) {
        mica_printf("sysbench: no channel to the console: %s\n", mica_errname(err));
        return;
    }
    static char lines[BATCH][64];
    for (int i = -BATCH_WARMUP; i < BATCH_SAMPLES; i++) {
        for (unsigned k = 0; k < BATCH; k++)
            line64(lines[k], "console_chan_write_64b", (unsigned)(i + BATCH_WARMUP) * BATCH + k);
        uint64_t t0 = rdtsc();
        chan_batch(&cc, lines);
        uint64_t t1 = rdtsc();
        if (i >= 0)
            samples[i] = (t1 - t0) / BATCH;
    }
    report_n("console_chan_write_64b", BATCH_SAMPLES);
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
    bench_console_chan();
    mica_halt(0);
}
