/* SPDX-License-Identifier: MIT */
/* The IPC fast path (fastpath.c): it either completes the operation and leaves the kernel,
 * or returns having changed nothing, for the slow path to do it. */
#ifndef FASTPATH_H
#define FASTPATH_H

#include "thread.h"

extern bool fastpath_enabled;       /* off with `nofastpath` on the kernel command line */
extern uint64_t fastpath_count;     /* how many operations took the fast path */

/* Entered straight from the system-call entry with the current thread (entry.S). */
void fastpath_call(struct tcb *t);
void fastpath_reply_recv(struct tcb *t);
/* Signal (send) and wait (receive) on a notification. */
void fastpath_send(struct tcb *t);
void fastpath_recv(struct tcb *t);
/* From the system-call dispatch, for a thread whose system calls are redirected. */
void fastpath_redirect(struct tcb *t);

#endif
