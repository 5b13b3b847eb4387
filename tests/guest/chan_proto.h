/* SPDX-License-Identifier: MIT */
/* The protocol between tests/guest/chan.c (root task, the clients) and chan_server.c (boot
 * modules 1 and 2: a server and its replacement after the first is killed). */
#ifndef CHAN_PROTO_H
#define CHAN_PROTO_H

#include "chan.h"

#define SRV_EP          10      /* the control endpoint, in the server's CNode */
#define SRV_NTFN        11      /* its doorbell */
#define SRV_UNTYPED     12      /* memory for its guard */
#define SRV_FIRST_SLOT  16      /* channel capabilities from here (lib/chan.h) */
#define SRV_NCONN       4
#define SRV_MAX_PAGES   4
#define SRV_ARENA       0x500000000000UL    /* channels mapped here; page tables by root */
#define SRV_ADMIN       0xad    /* the badge of the root task's own control messages */

/* Channel operations (opcodes from MICA_CHAN_OP_USER). */
enum chan_test_op {
    T_ECHO = MICA_CHAN_OP_USER, /* res[0] = arg0 * 3 + 1 */
    T_SUM,                      /* res[0] = the sum of the buffer's bytes */
    T_FILL,                     /* the buffer's bytes = arg0; res[0] = length */
    T_DEFER,                    /* completed by a later T_RELEASE: res[0] = arg0 * 3 + 1 */
    T_RELEASE,                  /* complete this channel's deferred requests in an order
                                 * shuffled by arg0; res[0] = how many */
    T_OPS_END,
};

/* Control messages (label) from the root task, with badge SRV_ADMIN. */
enum chan_test_ctl {
    CTL_STATS = 1,      /* (chan) -> MR0 state, MR1 errors, MR2 violations, MR3 taken,
                         * MR4 doorbells rung, MR5 the server's holes mapped (its guard) */
};

#endif
