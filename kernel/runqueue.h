/* SPDX-License-Identifier: MIT */
/* Ready queues: one FIFO per priority and a bitmap of the non-empty ones, so the highest
 * ready priority is found in O(1). Pure data structure: no locking, no CPU knowledge. */
#ifndef RUNQUEUE_H
#define RUNQUEUE_H

#include "kernel.h"
#include <mica/caps.h>

#define RQ_PRIOS        (MICA_MAX_PRIO + 1)
#define RQ_WORDS        (RQ_PRIOS / 64)

struct rq_link {
    struct rq_link *next, *prev;    /* NULL when not queued (prev of a head is NULL too) */
    bool queued;
};

struct runqueue {
    uint64_t summary;               /* bit w: bitmap[w] is not zero */
    uint64_t bitmap[RQ_WORDS];      /* bit p: queue p is not empty */
    struct rq_link *head[RQ_PRIOS];
    struct rq_link *tail[RQ_PRIOS];
};

void rq_init(struct runqueue *rq);
void rq_push_tail(struct runqueue *rq, struct rq_link *l, unsigned prio);
void rq_push_head(struct runqueue *rq, struct rq_link *l, unsigned prio);
/* Remove l, which must be queued at prio. */
void rq_remove(struct runqueue *rq, struct rq_link *l, unsigned prio);
/* The highest priority with a queued link, or -1 when all queues are empty: two bit scans
 * (it is on the IPC fast path). */
static inline int
rq_highest(const struct runqueue *rq)
{
    if (!rq->summary)
        return -1;
    int w = 63 - __builtin_clzll(rq->summary);
    return w * 64 + 63 - __builtin_clzll(rq->bitmap[w]);
}
/* Check the structure; the name of the broken invariant, or NULL. */
const char *rq_check(const struct runqueue *rq);

#endif
