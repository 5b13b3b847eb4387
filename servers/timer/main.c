// SPDX-License-Identifier: MIT
/*
 * timer: time and alarms for user space. The clock is the HPET's main counter, read
 * through a device frame (device=0xfed00000/12 in the manifest): nanoseconds since the
 * counter was first started, exact to its period, and monotonic across restarts of this
 * server. Alarms use the kernel's receive timeouts
 * (the choice written down in docs/servers.md): the server waits for requests until the
 * earliest deadline, then signals the notifications whose deadlines have passed, so an
 * alarm is as precise as the kernel's 10 ms tick.
 */
#include "proto.h"
#include "server.h"

#include <mica/task.h>

#define CNODE       MICA_TASK_SLOT_CNODE
#define HPET        0xfed00000UL
#define HPET_VA     0x500000000000UL
#define GCAP_ID     0x000
#define GEN_CONF    0x010
#define MAIN_COUNT  0x0f0
#define MAX_ALARMS  64
#define FIRST_SLOT  (MICA_TASK_SLOT_FIRST_FREE + 8)
#define RECV        (FIRST_SLOT + MAX_ALARMS)   /* a request's capability arrives here */

static volatile uint64_t *hpet;
static uint64_t period_fs;

static struct {
    uint64_t deadline;
    uint64_t slot;              /* 0: free */
} alarms[MAX_ALARMS];

static uint64_t
now(void)
{
    uint64_t ticks = hpet[MAIN_COUNT / 8];      /* femtoseconds each, 1e6 per ns */
    return ticks / 1000000 * period_fs + ticks % 1000000 * period_fs / 1000000;
}

static long
map_hpet(void)
{
    uint64_t frame = MICA_TASK_SLOT_FIRST_FREE;
    long err = mica_device_memory_issue(MICA_TASK_SLOT_DEVICE, MICA_OBJ_FRAME, HPET, 12, CNODE,
                                        frame);
    for (unsigned i = 0; !err && i < 3; i++) {
        uint64_t table = MICA_TASK_SLOT_FIRST_FREE + 1 + i;
        err = mica_untyped_retype(MICA_TASK_SLOT_UNTYPED, MICA_OBJ_PAGE_TABLE, 0, CNODE, table, 1);
        if (!err)
            err = mica_page_table_map(table, MICA_TASK_SLOT_VSPACE, HPET_VA);
    }
    if (!err)
        err = mica_frame_map(frame, MICA_TASK_SLOT_VSPACE, HPET_VA,
                             MICA_MAP_WRITE | MICA_MAP_UNCACHED);
    if (err)
        return err;
    hpet = (volatile uint64_t *)HPET_VA;
    period_fs = hpet[GCAP_ID / 8] >> 32;
    if (!period_fs || period_fs > 100000000)
        return MICA_E_BAD_STATE;                /* not an HPET (HPET specification 2.3.4) */
    hpet[GEN_CONF / 8] |= 1;                    /* the main counter runs, and keeps running */
    return MICA_E_OK;                           /* when we are restarted: time goes on */
}

static void
fire(void *ctx)
{
    (void)ctx;
    uint64_t t = now();
    for (unsigned i = 0; i < MAX_ALARMS; i++) {
        if (!alarms[i].slot || alarms[i].deadline > t)
            continue;
        mica_signal(alarms[i].slot);
        mica_cnode_delete(CNODE, alarms[i].slot);
        alarms[i].slot = 0;
    }
}

/* How long to wait for requests: until the earliest deadline. */
static uint64_t
patience(void *ctx)
{
    (void)ctx;
    uint64_t earliest = ~0UL, t = now();
    for (unsigned i = 0; i < MAX_ALARMS; i++)
        if (alarms[i].slot && alarms[i].deadline < earliest)
            earliest = alarms[i].deadline;
    if (earliest == ~0UL)
        return MICA_TIMEOUT_FOREVER;
    return earliest > t ? earliest - t : 1;
}

static long
handle(void *ctx, struct mica_msg *m, unsigned *len, unsigned *ncaps)
{
    (void)ctx, (void)ncaps;
    switch (mica_msg_label(m->info)) {
    case TIMER_NOW:
        m->mr[0] = now();
        *len = 1;
        return MICA_E_OK;
    case TIMER_ALARM: {
        struct mica_cap_info info = { 0 };
        if (mica_msg_length(m->info) < 1)
            return MICA_E_INVALID_ARG;
        if (!mica_msg_caps(m->info) || mica_cnode_identify(CNODE, RECV, &info) ||
            info.type != MICA_OBJ_NOTIFICATION)
            return MICA_E_NO_CAP;
        for (unsigned i = 0; i < MAX_ALARMS; i++) {
            if (alarms[i].slot && !mica_cnode_identify(CNODE, alarms[i].slot, &info) &&
                info.type != MICA_OBJ_NULL)
                continue;                       /* taken, and its client is alive */
            alarms[i].slot = FIRST_SLOT + i;
            alarms[i].deadline = m->mr[0];
            mica_cnode_move(CNODE, alarms[i].slot, CNODE, RECV);
            return MICA_E_OK;
        }
        return MICA_E_NO_MEMORY;
    }
    default:
        return MICA_E_BAD_METHOD;
    }
}

int
main(void)
{
    long err = map_hpet();
    if (err) {
        mica_printf("timer: no HPET: %s\n", mica_errname(err));
        return 1;
    }
    mica_server_run(&(struct mica_server){ .ep = MICA_TASK_SLOT_SERVICE, .recv_slot = RECV,
                                           .request = handle, .patience = patience,
                                           .woken = fire });
}
