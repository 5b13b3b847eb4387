/* SPDX-License-Identifier: MIT */
/* The scheduler: per-CPU ready queues at 256 priorities, round robin within a priority,
 * a time slice of SCHED_SLICE_TICKS timer ticks. The highest ready priority always runs. */
#ifndef SCHED_H
#define SCHED_H

#include "percpu.h"
#include "thread.h"

#define SCHED_HZ            100     /* timer interrupts per second */
#define SCHED_SLICE_TICKS   2       /* a time slice: 20 ms */

/* Make a runnable thread ready on this CPU: behind the others of its priority. */
void sched_enqueue(struct tcb *t);
/* ... or ahead of them: the partner of an IPC handoff, which the fast path switches to. */
void sched_enqueue_first(struct tcb *t);
/* Take a thread off the ready queues, if it is on them. */
void sched_dequeue(struct tcb *t);
/* The thread to run next on this CPU (it becomes current), or NULL to idle. */
struct tcb *sched_choose(void);
/* The current thread goes behind the others of its priority. */
void sched_yield(void);
/* A timer interrupt: count down the current time slice. */
void sched_tick(void);
/* Change t's priority, requeueing it and preempting as the new order demands. */
void sched_set_priority(struct tcb *t, unsigned prio);

#endif
