/* SPDX-License-Identifier: MIT */
/* A server's receive loop, written once: requests (label = method, badge = client) are
 * answered with the status as the reply's label; the bound notification and timeouts wake
 * it too. */
#ifndef MICA_SERVER_H
#define MICA_SERVER_H

#include "mica.h"

#define MICA_SERVER_NO_REPLY    (-1L)   /* a request's handler answers nothing */

struct mica_server {
    mica_cptr_t ep;                     /* the endpoint it receives on */
    uint64_t recv_slot;                 /* where capabilities sent arrive (0: none taken);
                                         * what a handler leaves there is deleted */
    /* A request in m: put the results in m's message registers (and the IPC buffer),
     * their number in *len, capabilities to give in the IPC buffer's caps[] and their
     * number in *ncaps; return the status, or MICA_SERVER_NO_REPLY. */
    long (*request)(void *ctx, struct mica_msg *m, unsigned *len, unsigned *ncaps);
    void (*notified)(void *ctx, uint64_t bits);     /* the bound notification, or NULL */
    uint64_t (*patience)(void *ctx);    /* how long to wait next (NULL: for ever) */
    void (*woken)(void *ctx);           /* after every wake-up, first (NULL: nothing) */
    void *ctx;
};

_Noreturn void mica_server_run(const struct mica_server *s);

#endif
