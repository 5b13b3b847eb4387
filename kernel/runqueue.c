// SPDX-License-Identifier: MIT
/* Ready queues with a priority bitmap (see runqueue.h). */
#include "runqueue.h"

void
rq_init(struct runqueue *rq)
{
    memset(rq, 0, sizeof(*rq));
}

static void
mark(struct runqueue *rq, unsigned prio, bool nonempty)
{
    unsigned w = prio / 64;
    uint64_t bit = 1UL << (prio % 64);
    if (nonempty)
        rq->bitmap[w] |= bit;
    else
        rq->bitmap[w] &= ~bit;
    if (rq->bitmap[w])
        rq->summary |= 1UL << w;
    else
        rq->summary &= ~(1UL << w);
}

void
rq_push_tail(struct runqueue *rq, struct rq_link *l, unsigned prio)
{
    assert(!l->queued && prio < RQ_PRIOS);
    l->next = NULL;
    l->prev = rq->tail[prio];
    if (l->prev)
        l->prev->next = l;
    else
        rq->head[prio] = l;
    rq->tail[prio] = l;
    l->queued = true;
    mark(rq, prio, true);
}

void
rq_push_head(struct runqueue *rq, struct rq_link *l, unsigned prio)
{
    assert(!l->queued && prio < RQ_PRIOS);
    l->prev = NULL;
    l->next = rq->head[prio];
    if (l->next)
        l->next->prev = l;
    else
        rq->tail[prio] = l;
    rq->head[prio] = l;
    l->queued = true;
    mark(rq, prio, true);
}

void
rq_remove(struct runqueue *rq, struct rq_link *l, unsigned prio)
{
    assert(l->queued && prio < RQ_PRIOS);
    if (l->prev)
        l->prev->next = l->next;
    else
        rq->head[prio] = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        rq->tail[prio] = l->prev;
    l->next = l->prev = NULL;
    l->queued = false;
    if (!rq->head[prio])
        mark(rq, prio, false);
}

const char *
rq_check(const struct runqueue *rq)
{
    for (unsigned w = 0; w < RQ_WORDS; w++)
        if (!(rq->summary >> w & 1) != !rq->bitmap[w])
            return "summary and bitmap disagree";
    if (rq->summary >> RQ_WORDS)
        return "summary has bits past the bitmap";
    for (unsigned p = 0; p < RQ_PRIOS; p++) {
        bool bit = rq->bitmap[p / 64] >> (p % 64) & 1;
        if (bit != (rq->head[p] != NULL) || (rq->head[p] == NULL) != (rq->tail[p] == NULL))
            return "bitmap, head and tail disagree";
        const struct rq_link *prev = NULL;
        for (const struct rq_link *l = rq->head[p]; l; prev = l, l = l->next)
            if (l->prev != prev || !l->queued)
                return "queue links broken";
        if (prev != rq->tail[p])
            return "tail is not the last link";
    }
    return NULL;
}
