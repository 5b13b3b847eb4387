/* SPDX-License-Identifier: MIT */
/* Per-CPU kernel state. Each CPU reaches its own through this_cpu() (GS on x86_64). */
#ifndef PERCPU_H
#define PERCPU_H

#include "kernel.h"
#include "runqueue.h"
#include <arch/percpu.h>

struct tcb;

#define MAX_CPUS    8

struct percpu {
    struct arch_percpu arch;    /* first: entry code finds its fields at fixed offsets */
    unsigned id;
    struct tcb *current;        /* the thread this CPU runs, NULL when idle */
    struct tcb *fpu_owner;      /* whose FPU state the registers hold */
    struct runqueue rq;         /* runnable threads waiting for this CPU */
    bool resched;               /* run the scheduler's choice again before leaving */
    bool resched_tail;          /* ... with the current thread behind its equals (yield) */
    uint64_t ticks;             /* timer interrupts taken */
    struct tcb *timeouts;       /* threads with a deadline, soonest first (ipc.c) */
};

extern struct percpu cpus[MAX_CPUS];

static inline struct percpu *
this_cpu(void)
{
    return arch_percpu_self();
}

#endif
