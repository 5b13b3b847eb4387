// SPDX-License-Identifier: MIT
/* Channel benchmarks (docs/channels.md), the client side, in the root task: one channel to
 * bench/chan_server.c (module 2), its region mapped by us in both address spaces.
 * chan_msg_single: a request and its completion, one at a time; chan_msg_batch32: 32
 * requests submitted together and their completions reaped, divided by 32. The requests
 * are NOPs, which the channel library answers itself (the transport's cost, as io_uring
 * is measured); chan_msg_batch32_handler is the same with the server's own operation,
 * a call through its handler table. Every completion's result is checked. */
#include "bench.h"
#include "chan.h"

#define BENCH_PRINTF mica_printf
#include "measure.h"

#define CNODE       MICA_SLOT_CNODE
#define CHAN_VA     BENCH_CHAN_VA       /* a PML4 slot nothing else uses, in both spaces */
#define PAGES       BENCH_CHAN_PAGES
#define SQ          32
#define CQ          32

static mica_cptr_t
make(mica_cptr_t ut, uint64_t *next_free, unsigned type, unsigned bits)
{
    mica_cptr_t s = (*next_free)++;
    if (mica_untyped_retype(ut, type, bits, CNODE, s, 1))
        mica_printf("bench: cannot make an object of type %u\n", type);
    return s;
}

static void
one(struct mica_chan *ch, uint64_t x)
{
    struct mica_chan_sqe req = { .opcode = MICA_CHAN_OP_NOP, .arg = { x } };
    struct mica_chan_cqe cqe;
    uint32_t tag = 0;
    mica_chan_prep(ch, &req, &tag);
    mica_chan_submit(ch);
    while (!mica_chan_reap(ch, &cqe, 1))
        mica_chan_wait(ch, MICA_TIMEOUT_FOREVER);
    if (cqe.status || cqe.res[0] != x || cqe.tag != tag)
        mica_printf("bench: wrong completion\n");
}

/* n requests of op (a NOP, or echo: the result is the argument + 1) in flight at once. */
static void
batch(struct mica_chan *ch, unsigned n, unsigned op)
{
    struct mica_chan_sqe req = { .opcode = op };
    struct mica_chan_cqe cqe[SQ];
    uint64_t plus = op == BENCH_CHAN_ECHO, want = 0;
    uint32_t tag = 0;
    for (unsigned i = 0; i < n; i++) {
        req.arg[0] = i;
        mica_chan_prep(ch, &req, &tag);
    }
    mica_chan_submit(ch);
    for (unsigned got = 0; got < n;) {
        unsigned k = mica_chan_reap(ch, cqe, SQ);
        for (unsigned i = 0; i < k; i++)
            want += cqe[i].res[0] - plus;
        got += k;
        if (got < n && !k)
            mica_chan_wait(ch, MICA_TIMEOUT_FOREVER);
    }
    if (want != (uint64_t)n * (n - 1) / 2)
        mica_printf("bench: a request failed\n");
}

void
chan_bench(const struct mica_bootinfo *bi, mica_cptr_t ut, uint64_t *next_free)
{
    static struct mica_chan ch;
    if (bi->module_count <= BENCH_CHAN_MODULE || !bi->module[BENCH_CHAN_MODULE].tcb) {
        mica_printf("bench: boot bench_chan_server.elf as module 3 for the channel figures\n");
        return;
    }
    const struct mica_boot_module *mod = &bi->module[BENCH_CHAN_MODULE];
    mica_cptr_t server_cnode = mod->cnode, server_vs = mod->vspace;
    mica_cptr_t server_ntfn = make(ut, next_free, MICA_OBJ_NOTIFICATION, 0);
    mica_cptr_t our_ntfn = make(ut, next_free, MICA_OBJ_NOTIFICATION, 0);
    long err = 0;
    for (int level = 0; level < 3 && !err; level++)
        err = mica_page_table_map(make(ut, next_free, MICA_OBJ_PAGE_TABLE, 0), MICA_SLOT_VSPACE,
                                  CHAN_VA) |
              mica_page_table_map(make(ut, next_free, MICA_OBJ_PAGE_TABLE, 0), server_vs, CHAN_VA);
    for (unsigned p = 0; p < PAGES && !err; p++) {
        mica_cptr_t f = make(ut, next_free, MICA_OBJ_FRAME, 12), g = (*next_free)++;
        err = mica_cnode_copy(CNODE, g, CNODE, f, MICA_RIGHTS_ALL) |
              mica_frame_map(f, MICA_SLOT_VSPACE, CHAN_VA + p * 4096UL, MICA_MAP_WRITE) |
              mica_frame_map(g, server_vs, CHAN_VA + p * 4096UL, MICA_MAP_WRITE);
    }
    if (!err)
        err = mica_cnode_copy(server_cnode, BENCH_CHAN_NTFN, CNODE, server_ntfn, MICA_RIGHT_READ) |
              mica_cnode_copy(server_cnode, BENCH_CHAN_BELL, CNODE, our_ntfn, MICA_RIGHT_WRITE) |
              mica_chan_client_init(&ch, (void *)CHAN_VA, PAGES * 4096UL, SQ, CQ, server_ntfn,
                                    our_ntfn);
    /* Above us, as bench/server.c: the doorbell switches to it at once. */
    if (!err)
        err = mica_tcb_set_priority(mod->tcb, MICA_BOOT_PRIO + 1) | mica_tcb_resume(mod->tcb);
    if (err) {
        mica_printf("bench: cannot set up the channel\n");
        return;
    }

    uint64_t x = 0;
    MEASURE("chan_msg_single", one(&ch, x++));
    static const struct { const char *name; unsigned op; } batches[] = {
        { "chan_msg_batch32", MICA_CHAN_OP_NOP },
        { "chan_msg_batch32_handler", BENCH_CHAN_ECHO },
    };
    for (unsigned b = 0; b < 2; b++) {
        for (int i = -WARMUP; i < SAMPLES; i++) {
            uint64_t t0 = rdtsc();
            batch(&ch, 32, batches[b].op);
            uint64_t t1 = rdtsc();
            if (i >= 0)
                samples[i] = (t1 - t0) / 32;
        }
        report(batches[b].name);
    }

    struct mica_chan_sqe quit = { .opcode = BENCH_CHAN_QUIT };
    uint32_t tag = 0;
    mica_chan_prep(&ch, &quit, &tag);
    mica_chan_submit(&ch);
    mica_tcb_suspend(mod->tcb);
}
