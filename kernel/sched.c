// SPDX-License-Identifier: MIT
/* Priority scheduling with round robin within a priority (see sched.h). The current thread
 * is never on a ready queue. It is preempted when its slice ends (it goes to the tail of
 * its queue) or when a higher-priority thread becomes ready (it goes back to the head, to
 * finish its slice). */
#include "ipc.h"
#include "sched.h"

#define tcb_of(link)    ((struct tcb *)((char *)(link) - offsetof(struct tcb, rq)))

static void
preempt_if_higher(struct percpu *cpu, unsigned prio)
{
    if (cpu->current && cpu->current->state == THREAD_RUNNABLE && prio > cpu->current->prio)
        cpu->resched = true;
}

void
sched_enqueue(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    assert(t->state == THREAD_RUNNABLE && t != cpu->current);
    rq_push_tail(&cpu->rq, &t->rq, t->prio);
    preempt_if_higher(cpu, t->prio);
}

void
sched_enqueue_first(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    assert(t->state == THREAD_RUNNABLE && t != cpu->current);
    rq_push_head(&cpu->rq, &t->rq, t->prio);
    preempt_if_higher(cpu, t->prio);
}

void
sched_dequeue(struct tcb *t)
{
    if (t->rq.queued)
        rq_remove(&this_cpu()->rq, &t->rq, t->prio);
}

struct tcb *
sched_choose(void)
{
    struct percpu *cpu = this_cpu();
    struct tcb *cur = cpu->current;
    int top = rq_highest(&cpu->rq);

    if (cur && cur->state == THREAD_RUNNABLE) {
        bool slice_over = cur->slice == 0;
        if (top < 0 || top < cur->prio || (top == cur->prio && !slice_over && !cpu->resched)) {
            if (slice_over)
                cur->slice = SCHED_SLICE_TICKS;     /* alone at its priority: a new slice */
            goto keep;
        }
        if (slice_over || cpu->resched_tail) {
            cur->slice = SCHED_SLICE_TICKS;
            rq_push_tail(&cpu->rq, &cur->rq, cur->prio);
        } else {
            rq_push_head(&cpu->rq, &cur->rq, cur->prio);
        }
    }
    cur = NULL;
    if (top >= 0) {
        struct rq_link *l = cpu->rq.head[top];
        rq_remove(&cpu->rq, l, (unsigned)top);
        cur = tcb_of(l);
        if (!cur->slice)
            cur->slice = SCHED_SLICE_TICKS;
    }
keep:
    cpu->resched = cpu->resched_tail = false;
    cpu->current = cur;
    return cur;
}

void
sched_yield(void)
{
    struct percpu *cpu = this_cpu();
    cpu->resched = cpu->resched_tail = true;
}

void
sched_tick(void)
{
    struct percpu *cpu = this_cpu();
    cpu->ticks++;
    if (cpu->current && cpu->current->slice)
        cpu->current->slice--;
    ipc_timeout_tick(cpu->ticks);
}

void
sched_set_priority(struct tcb *t, unsigned prio)
{
    struct percpu *cpu = this_cpu();
    if (t->rq.queued) {
        rq_remove(&cpu->rq, &t->rq, t->prio);
        t->prio = (uint8_t)prio;
        rq_push_tail(&cpu->rq, &t->rq, t->prio);
        preempt_if_higher(cpu, t->prio);
    } else {
        t->prio = (uint8_t)prio;
        if (t == cpu->current)
            cpu->resched = true;        /* it may no longer be the highest */
    }
}
