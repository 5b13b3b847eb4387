/* SPDX-License-Identifier: MIT */
/* The protocol between bench/bench.c (root task) and bench/server.c (its own address space). */
#ifndef BENCH_H
#define BENCH_H

#define BENCH_EP            10      /* the server's endpoint, in its CNode */
#define BENCH_NTFN          11      /* the notification it waits on in the notify phase */
#define BENCH_REPORT_EP     12      /* where it sends the time it woke at */

#define OP_NOTIFY_PHASE     100     /* reply, then wait on the notification for ever */
#define SYSCALL_RESULT      4242    /* what a redirected system call returns */

#endif
