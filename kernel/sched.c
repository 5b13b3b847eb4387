// SPDX-License-Identifier: MIT
/* Round-robin scheduling on each CPU: a FIFO of runnable threads and a time slice of one
 * timer tick. The current thread is not on the queue; a preempted one goes to its tail. */
#include "sched.h"

void
sched_enqueue(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    assert(t->state == THREAD_RUNNABLE);
    t->next = NULL;
    if (cpu->run_tail)
        cpu->run_tail->next = t;
    else
        cpu->run_head = t;
    cpu->run_tail = t;
}

static struct tcb *
dequeue(struct percpu *cpu)
{
    struct tcb *t = cpu->run_head;
    if (t) {
        cpu->run_head = t->next;
        if (!cpu->run_head)
            cpu->run_tail = NULL;
        t->next = NULL;
    }
    return t;
}

struct tcb *
sched_choose(void)
{
    struct percpu *cpu = this_cpu();
    struct tcb *cur = cpu->current;

    if (cur && cur->state == THREAD_RUNNABLE) {
        if (!cpu->resched || !cpu->run_head)
            goto out;
        sched_enqueue(cur);
    }
    cur = dequeue(cpu);
out:
    cpu->resched = false;
    cpu->current = cur;
    return cur;
}

void
sched_yield(void)
{
    this_cpu()->resched = true;
}

void
sched_tick(void)
{
    struct percpu *cpu = this_cpu();
    cpu->ticks++;
    cpu->resched = true;
}
