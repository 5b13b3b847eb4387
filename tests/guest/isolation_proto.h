/* SPDX-License-Identifier: MIT */
/* Between tests/guest/isolation.c (root task) and isolation_peer.c (module 1, a task of its
 * own): what the root task gives the peer, and the peer's reports (call labels). */
#ifndef ISOLATION_PROTO_H
#define ISOLATION_PROTO_H

#define PEER_REPORT     10      /* report endpoint, badge REPORT_BADGE */
#define PEER_UNTYPED    11      /* 64 KiB of its own: threads, then exhausted */
#define PEER_SERVICE    12      /* the root's service endpoint, badge SERVICE_BADGE, write */
#define PEER_FIRST_FREE 13
#define PEER_SLOTS      64      /* its CNode (a boot task's) */

#define REPORT_BADGE    1
#define SERVICE_BADGE   0x5eed

/* Memory of the root task only, and a page it maps read-only into the peer too. */
#define SECRET_VADDR    0x0000200000000000UL
#define SHARED_VADDR    0x0000300000000000UL
#define SECRET_WORD     0x5ec7e75ec7e75ec7UL

enum peer_report {              /* MRs as noted */
    R_GUESS = 1,                /* MR0 wrong results, MR1 indices tried */
    R_BADGE,                    /* on PEER_SERVICE, rdi forged: the root checks the badge */
    R_STALE,                    /* MR0 the error of a send on PEER_SERVICE after revoke */
    R_PRIO,                     /* MR0 wrong results */
    R_READ_FAULT,               /* MR0 fault label, MR1 address, MR2 flags */
    R_WRITE_FAULT,              /* as above */
    R_KERNEL_COPY,              /* MR0 DEBUG_WRITE error, MR1 SET_IPC_BUFFER error */
    R_SHARED_READ,              /* MR0 the word read */
    R_SHARED_WRITE,             /* MR0 fault label, MR1 address, MR2 flags */
    R_EXHAUST,                  /* MR0 objects made, MR1 the error that stopped it */
    R_DONE,
};

#endif
