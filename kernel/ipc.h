/* SPDX-License-Identifier: MIT */
/* Synchronous IPC on endpoints, notifications, fault messages and timeouts. */
#ifndef IPC_H
#define IPC_H

#include "thread.h"

#include <mica/msg.h>
#include <mica/syscall.h>

enum endpoint_state {
    EP_IDLE,                /* nobody waits */
    EP_SEND,                /* senders wait in the queue */
    EP_RECV,                /* receivers wait in the queue */
};

struct endpoint {
    struct tcb_queue queue;
    uint8_t state;
};
_Static_assert(sizeof(struct endpoint) <= 1 << MICA_ENDPOINT_BITS, "endpoint object size");

struct notification {
    uint64_t word;          /* signalled bits nobody has taken yet */
    struct tcb_queue waiters;
    struct tcb *bound;      /* the thread whose receives it also wakes */
};
_Static_assert(sizeof(struct notification) <= 1 << MICA_NOTIFICATION_BITS, "notification size");

/* Queue t at the tail of q (through its ipc_next/ipc_prev links). */
static inline void
tq_push(struct tcb_queue *q, struct tcb *t)
{
    t->ipc_next = NULL;
    t->ipc_prev = q->tail;
    if (q->tail)
        q->tail->ipc_next = t;
    else
        q->head = t;
    q->tail = t;
}

/* Take the first thread off an endpoint's queue; it waits for nothing then. */
static inline struct tcb *
ep_dequeue(struct endpoint *ep)
{
    struct tcb *t = ep->queue.head;
    ep->queue.head = t->ipc_next;
    if (ep->queue.head)
        ep->queue.head->ipc_prev = NULL;
    else
        ep->queue.tail = NULL, ep->state = EP_IDLE;
    t->ipc_next = NULL;
    t->blocked_on = NULL;
    return t;
}

/* s's call (or fault) was received by r: s now waits for r's reply. */
static inline void
ipc_await_reply(struct tcb *s, struct tcb *r)
{
    s->state = THREAD_BLOCKED_REPLY;
    s->blocked_on = NULL;
    s->replier = r;
    r->reply_to = s;
}

/*
 * The IPC operations of the current thread t. Each either completes (t's registers hold
 * the result) or blocks t (the result is written when it wakes). timeout: nanoseconds,
 * MICA_TIMEOUT_POLL or MICA_TIMEOUT_FOREVER.
 */
void ipc_send(struct tcb *t, struct cte *ep_cap, unsigned ncaps, bool call, uint64_t timeout);
void ipc_recv(struct tcb *t, struct cte *ep_cap, uint64_t timeout);
/* Reply to the thread t owes a reply to, if any: MICA_E_OK, or why a fault reply's map
 * item failed (the reply went all the same). */
int ipc_reply(struct tcb *t);
void ntfn_signal(struct notification *n, uint64_t badge);
void ntfn_wait(struct tcb *t, struct notification *n, uint64_t timeout);

/* t, which owes a reply, receives anew: the reply is dropped, its caller gets DELETED. */
void ipc_drop_reply(struct tcb *t);

/* Deliver t's fault to its fault endpoint as a call; false if it has none. */
bool ipc_send_fault(struct tcb *t);

/* Take t out of whatever it waits for; a blocked operation fails with err. */
void ipc_cancel(struct tcb *t, int err);
/* t is being destroyed: also fail the caller it owes a reply, and unbind it. */
void ipc_thread_gone(struct tcb *t);

/* The last capability with this badge went: its queued senders fail with MICA_E_DELETED,
 * so a new client given the badge never receives an old client's messages. */
void endpoint_cancel_badged(struct endpoint *ep, uint64_t badge);

/* The last capability went: wake everyone waiting with MICA_E_DELETED. */
void endpoint_destroy(struct endpoint *ep);
void notification_destroy(struct notification *n);

/* A timer tick: wake the threads whose timeouts ran out. */
void ipc_timeout_tick(uint64_t now);

#endif
