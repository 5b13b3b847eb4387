// SPDX-License-Identifier: MIT
/* The channel benchmarks' server, boot module 2 (bench/chan_client.c is the client): serve
 * one channel, set up by the root task in both address spaces, until the client says quit. */
#include "bench.h"
#include "chan.h"

static long
echo(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
     uint64_t res[MICA_CHAN_RESULTS])
{
    (void)srv, (void)c;
    res[0] = req->arg[0] + 1;
    return MICA_E_OK;
}

static long
quit(struct mica_chan_server *srv, struct mica_chan_conn *c, const struct mica_chan_req *req,
     uint64_t res[MICA_CHAN_RESULTS])
{
    (void)c, (void)req, (void)res;
    srv->stop = true;
    return MICA_E_OK;
}

static mica_chan_handler *const ops[] = { echo, quit };

int
main(void)
{
    static struct mica_chan_server srv;
    struct mica_chan_server_config cfg = {
        .ops = ops, .nops = 2, .ntfn = BENCH_CHAN_NTFN, .nconn = 1,
    };
    if (mica_chan_server_init(&srv, &cfg) ||
        mica_chan_attach(&srv, 0, (void *)BENCH_CHAN_VA, BENCH_CHAN_PAGES * 4096UL,
                         BENCH_CHAN_BELL)) {
        mica_printf("bench: the channel server cannot start\n");
        return 1;
    }
    mica_chan_server_run(&srv);
    for (;;)
        mica_tcb_suspend(MICA_SLOT_TCB);    /* above the root task: never spin */
}
