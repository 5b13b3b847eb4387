/* SPDX-License-Identifier: MIT */
/* The scheduler: a per-CPU FIFO of runnable threads, preempted by the timer. */
#ifndef SCHED_H
#define SCHED_H

#include "percpu.h"
#include "thread.h"

#define SCHED_HZ    100         /* timer interrupts per second: one time slice each */

void sched_enqueue(struct tcb *t);
/* The thread to run next on this CPU (it becomes current), or NULL to idle. */
struct tcb *sched_choose(void);
/* The current thread gives up the rest of its slice. */
void sched_yield(void);
/* A timer interrupt: end the current time slice. */
void sched_tick(void);

#endif
