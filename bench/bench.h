/* SPDX-License-Identifier: MIT */
/* The protocol between bench/bench.c (root task) and bench/server.c (its own address space). */
#ifndef BENCH_H
#define BENCH_H

#include "mica.h"

#define BENCH_EP            10      /* the server's endpoint, in its CNode */
#define BENCH_NTFN          11      /* the notification it waits on in the notify phase */
#define BENCH_REPORT_EP     12      /* where it sends the time it woke at */

#define OP_NOTIFY_PHASE     100     /* reply, then wait on the notification for ever */

/* The channel benchmarks: bench/chan_client.c in the root task, bench/chan_server.c as
 * module 3 (after the memory server), started by the root task once the channel is mapped
 * in both spaces. */
#define BENCH_CHAN_MODULE   3
#define BENCH_CHAN_NTFN     13      /* the server's doorbell */
#define BENCH_CHAN_BELL     14      /* the client's doorbell, to signal */
#define BENCH_CHAN_VA       0x530000000000UL    /* the region, in both address spaces */
#define BENCH_CHAN_PAGES    3       /* header and rings of 32 + 32: 2 pages; 1 of buffer */
#define BENCH_CHAN_ECHO     16      /* MICA_CHAN_OP_USER: result arg0 + 1 */
#define BENCH_CHAN_QUIT     17      /* the server stops */
void chan_bench(const struct mica_bootinfo *bi, mica_cptr_t ut, uint64_t *next_free);
#define SYSCALL_RESULT      4242    /* what a redirected system call returns */

#endif
