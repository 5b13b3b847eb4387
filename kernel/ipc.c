// SPDX-License-Identifier: MIT
/*
 * Synchronous IPC: endpoints, the reply relation, fault messages, notifications, timeouts.
 *
 * A thread blocks in one of four states (thread.h), queued on the endpoint or notification
 * it waits for (blocked_on, through ipc_next/ipc_prev) or, waiting for a reply, linked to
 * the thread that owes it (replier <-> reply_to). A blocked sender's message stays in its
 * registers and IPC buffer until a receiver takes it, so nothing is ever buffered in the
 * kernel. Every wait can carry a deadline (a timer tick) on this CPU's sorted timeout list.
 * Whoever ends a wait writes the waiter's result registers and makes it runnable.
 */
#include "invoke.h"
#include "ipc.h"
#include "percpu.h"
#include "sched.h"
#include "vspace.h"

#define NS_PER_TICK     (1000000000UL / SCHED_HZ)

/* ---- thread queues ---------------------------------------------------------------- */

static void
tq_remove(struct tcb_queue *q, struct tcb *t)
{
    if (t->ipc_prev)
        t->ipc_prev->ipc_next = t->ipc_next;
    else
        q->head = t->ipc_next;
    if (t->ipc_next)
        t->ipc_next->ipc_prev = t->ipc_prev;
    else
        q->tail = t->ipc_prev;
    t->ipc_next = t->ipc_prev = NULL;
}

/* ---- timeouts ------------------------------------------------------------------------ */

static void
timeout_cancel(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    if (!t->deadline)
        return;
    if (t->timeout_prev)
        t->timeout_prev->timeout_next = t->timeout_next;
    else
        cpu->timeouts = t->timeout_next;
    if (t->timeout_next)
        t->timeout_next->timeout_prev = t->timeout_prev;
    t->timeout_next = t->timeout_prev = NULL;
    t->deadline = 0;
}

/* Arm t's deadline: at least ns from now, in whole ticks. */
static void
timeout_arm(struct tcb *t, uint64_t ns)
{
    struct percpu *cpu = this_cpu();
    if (ns == MICA_TIMEOUT_FOREVER)
        return;
    uint64_t ticks = ns / NS_PER_TICK + (ns % NS_PER_TICK != 0) + 1;    /* this tick is begun */
    t->deadline = ticks > ~0UL - cpu->ticks ? ~0UL : cpu->ticks + ticks;
    struct tcb **link = &cpu->timeouts, *prev = NULL;
    while (*link && (*link)->deadline <= t->deadline) {
        prev = *link;
        link = &(*link)->timeout_next;
    }
    t->timeout_prev = prev;
    t->timeout_next = *link;
    if (*link)
        (*link)->timeout_prev = t;
    *link = t;
}

static void
wake(struct tcb *t)
{
    t->state = THREAD_RUNNABLE;
    if (t != this_cpu()->current)
        sched_enqueue(t);
}

/* Wake the partner of a call or reply: it runs before the ready threads of its priority, as
 * the fast path's direct switch makes it (fastpath.c), so both paths schedule alike. */
static void
wake_partner(struct tcb *t)
{
    t->state = THREAD_RUNNABLE;
    if (t != this_cpu()->current)
        sched_enqueue_first(t);
}

/* End t's wait with err and let it run. */
static void
fail(struct tcb *t, int err)
{
    ipc_cancel(t, err);
    wake(t);
}

void
ipc_timeout_tick(uint64_t now)
{
    struct tcb *t;
    while ((t = this_cpu()->timeouts) && t->deadline <= now)
        fail(t, MICA_E_TIMEOUT);
}

static void
block(struct tcb *t, enum thread_state state, void *on, uint64_t timeout)
{
    t->state = state;
    t->blocked_on = on;
    timeout_arm(t, timeout);
}

/* ---- message transfer --------------------------------------------------------------- */

static const uint64_t fault_labels[] = {
    [FAULT_PAGE] = MICA_FAULT_PAGE,
    [FAULT_GENERAL_PROTECTION] = MICA_FAULT_GENERAL_PROTECTION,
    [FAULT_UNDEFINED_INSN] = MICA_FAULT_UNDEFINED_INSN,
    [FAULT_DIVIDE] = MICA_FAULT_DIVIDE,
    [FAULT_BREAKPOINT] = MICA_FAULT_BREAKPOINT,
    [FAULT_OTHER] = MICA_FAULT_OTHER,
    [FAULT_SYSCALL] = MICA_FAULT_SYSCALL,
};

/* Put words[0..n) into r's message registers; returns how many fit (its IPC buffer). */
static unsigned
put_words(struct tcb *r, const uint64_t *words, unsigned n)
{
    for (unsigned i = 0; i < n && i < MICA_MSG_REG_WORDS; i++)
        arch_set_mr(&r->regs, i, words[i]);
    if (n <= MICA_MSG_REG_WORDS)
        return n;
    struct mica_ipc_buffer *buf = ipc_buffer_of(r);
    if (!buf)
        return MICA_MSG_REG_WORDS;
    memcpy(&buf->mr[MICA_MSG_REG_WORDS], &words[MICA_MSG_REG_WORDS],
           (n - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    return n;
}

/* The message of a faulted thread s, made by the kernel; returns its message info. */
static uint64_t
fault_message(struct tcb *s, struct tcb *r)
{
    const struct fault *f = &s->fault;
    uint64_t w[8];
    unsigned n;
    if (f->kind == FAULT_SYSCALL) {
        w[0] = arch_syscall_number(&s->regs);
        for (unsigned i = 0; i < 6; i++)
            w[1 + i] = arch_syscall_arg(&s->regs, i);
        w[7] = arch_regs_ip(&s->regs);
        n = 8;
    } else {
        w[0] = f->ip;
        w[1] = f->addr;
        w[2] = f->code;
        w[3] = f->flags;
        w[4] = f->vector;
        n = 5;
    }
    return mica_msginfo(fault_labels[f->kind], put_words(r, w, n));
}

/* A map item: the frame capability in src goes to the empty slot dest of r's CSpace (a
 * copy with the write right only if attrs grant writing; moved if grant) and is mapped at
 * va of r's address space. False, with nothing changed, if it cannot be. */
static bool
map_item(struct tcb *r, struct cte *dest, struct cte *src, uint64_t va, uint64_t attrs,
         bool grant)
{
    if (src->cap.type != MICA_OBJ_FRAME)
        return false;
    if (grant) {
        struct cap was = src->cap;              /* its mapping in the sender's space */
        src->cap.extra = 0;
        if (vspace_map_frame(&r->vtable.cap, &src->cap, va, attrs)) {
            src->cap.extra = was.extra;
            return false;
        }
        if (was.extra != src->cap.extra)        /* a stale record naming the new place (a */
            vspace_release(&was);               /* reused ASID) must not undo it */
        cte_move(dest, src);
        return true;
    }
    unsigned rights = MICA_RIGHT_READ | MICA_RIGHT_GRANT |
                      (attrs & MICA_MAP_WRITE ? MICA_RIGHT_WRITE : 0);
    if (cte_derive(dest, src, rights, 0))
        return false;
    if (vspace_map_frame(&r->vtable.cap, &dest->cap, va, attrs)) {
        cte_delete(dest);                       /* a fresh copy: nothing else goes with it */
        return false;
    }
    return true;
}

/* Copy (or move) the capabilities named in s's IPC buffer to r's receive slots, as map
 * items into r's receive window if map; how many went. */
static unsigned
transfer_caps(struct tcb *s, struct mica_ipc_buffer *sbuf, struct tcb *r,
              struct mica_ipc_buffer *rbuf, unsigned ncaps, uint64_t info)
{
    bool move = info & MICA_MSG_MOVE_CAPS, map = info & MICA_MSG_MAP;
    if (!ncaps || !sbuf || !rbuf || !rbuf->recv_cnode)
        return 0;
    struct cte *cnode;
    if (lookup_cap(r, rbuf->recv_cnode, MICA_OBJ_CNODE, MICA_RIGHT_WRITE, &cnode))
        return 0;
    uint64_t window = rbuf->recv_window, end = window + rbuf->recv_window_size, va = window;
    if (map && (window % PAGE_SIZE || end < window))
        return 0;
    unsigned done = 0;
    for (; done < ncaps; done++) {
        struct cte *src, *dest = cnode_slot(&cnode->cap, rbuf->recv_slot + done);
        if (!dest || dest->cap.type != MICA_OBJ_NULL ||
            lookup_cap(s, sbuf->caps[done], MICA_OBJ_NULL, 0, &src))
            break;
        if (map) {
            uint64_t size = 1UL << src->cap.size_bits;
            va = ALIGN_UP(va, size);
            if (va < window || va > end || end - va < size ||
                !map_item(r, dest, src, va, sbuf->map_attrs, move))
                break;
            va += size;
        } else if (move) {
            cte_move(dest, src);
        } else if (cte_derive(dest, src, MICA_RIGHTS_ALL, 0)) {
            break;                      /* untyped memory is moved, never copied */
        }
    }
    return done;
}

/* Give s's message to r, with the badge, as the result of r's receive. */
static void
transfer(struct tcb *s, struct tcb *r, uint64_t badge, bool grant)
{
    uint64_t info;
    if (s->fault_pending) {
        info = fault_message(s, r);
    } else {
        uint64_t sent = arch_syscall_arg(&s->regs, 1);
        unsigned len = MIN(mica_msg_length(sent), MICA_MSG_MAX_WORDS);
        unsigned ncaps = grant ? mica_msg_caps(sent) : 0;
        struct mica_ipc_buffer *sbuf = NULL, *rbuf = NULL;
        if (len > MICA_MSG_REG_WORDS || ncaps) {
            sbuf = ipc_buffer_of(s);
            rbuf = ipc_buffer_of(r);
        }
        arch_copy_mrs(&r->regs, &s->regs);
        if (len > MICA_MSG_REG_WORDS) {
            if (sbuf && rbuf)
                memcpy(&rbuf->mr[MICA_MSG_REG_WORDS], &sbuf->mr[MICA_MSG_REG_WORDS],
                       (len - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
            else
                len = MICA_MSG_REG_WORDS;   /* no buffer on one side: the rest is cut */
        }
        unsigned caps = transfer_caps(s, sbuf, r, rbuf, ncaps, sent);
        info = mica_msginfo_caps(mica_msg_label(sent), caps, len);
    }
    arch_set_recv(&r->regs, MICA_E_OK, badge, info);
}

/* ---- endpoints ---------------------------------------------------------------------- */

void
ipc_send(struct tcb *t, struct cte *ep_cap, unsigned ncaps, bool call, uint64_t timeout)
{
    struct endpoint *ep = phys_to_virt(ep_cap->cap.obj);
    bool grant = ep_cap->cap.rights & MICA_RIGHT_GRANT;
    if (ncaps && !grant) {
        arch_syscall_return(&t->regs, MICA_E_NO_RIGHTS);
        return;
    }
    t->ipc_rights = ep_cap->cap.rights;     /* for the message, and for a call's reply */
    if (ep->state == EP_RECV) {
        struct tcb *r = ep_dequeue(ep);
        timeout_cancel(r);
        transfer(t, r, ep_cap->cap.badge, grant);
        if (call) {
            wake_partner(r);
            ipc_await_reply(t, r);
            if (timeout != MICA_TIMEOUT_POLL)   /* a poll covered only the send */
                timeout_arm(t, timeout);
        } else {
            wake(r);
            arch_syscall_return(&t->regs, MICA_E_OK);
        }
        return;
    }
    if (timeout == MICA_TIMEOUT_POLL) {
        arch_syscall_return(&t->regs, MICA_E_TIMEOUT);
        return;
    }
    t->ipc_badge = ep_cap->cap.badge;
    t->ipc_call = call;
    block(t, THREAD_BLOCKED_SEND, ep, timeout);
    tq_push(&ep->queue, t);
    ep->state = EP_SEND;
}

bool
ipc_send_fault(struct tcb *t)
{
    if (t->fault_ep.cap.type != MICA_OBJ_ENDPOINT || !(t->fault_ep.cap.rights & MICA_RIGHT_WRITE))
        return false;
    t->fault_pending = true;
    ipc_send(t, &t->fault_ep, 0, true, MICA_TIMEOUT_FOREVER);
    return true;
}

/* A receiver that still owes a reply takes a new message: that caller gets an error. */
void
ipc_drop_reply(struct tcb *t)
{
    struct tcb *c = t->reply_to;
    t->reply_to = NULL;
    c->replier = NULL;
    fail(c, MICA_E_DELETED);
}

static void
deliver_notification(struct tcb *t, struct notification *n, uint64_t label)
{
    arch_set_recv(&t->regs, MICA_E_OK, n->word, mica_msginfo(label, 0));
    n->word = 0;
}

void
ipc_recv(struct tcb *t, struct cte *ep_cap, uint64_t timeout)
{
    struct endpoint *ep = phys_to_virt(ep_cap->cap.obj);
    if (t->reply_to)
        ipc_drop_reply(t);
    if (t->bound && t->bound->word) {
        deliver_notification(t, t->bound, MICA_LABEL_NOTIFICATION);
        return;
    }
    if (ep->state == EP_SEND) {
        struct tcb *s = ep_dequeue(ep);
        transfer(s, t, s->ipc_badge, s->ipc_rights & MICA_RIGHT_GRANT);
        if (s->ipc_call || s->fault_pending) {
            ipc_await_reply(s, t);          /* its deadline, if any, now bounds the reply */
        } else {
            timeout_cancel(s);
            arch_syscall_return(&s->regs, MICA_E_OK);
            wake(s);
        }
        return;
    }
    if (timeout == MICA_TIMEOUT_POLL) {
        arch_set_recv(&t->regs, MICA_E_TIMEOUT, 0, 0);
        return;
    }
    block(t, THREAD_BLOCKED_RECV, ep, timeout);
    tq_push(&ep->queue, t);
    ep->state = EP_RECV;
}

/* A page fault's reply may carry one map item: the pager's own frame capability, mapped at
 * the faulting page (the pager keeps the capability, and with it the books). */
static int
fault_map(struct tcb *server, struct tcb *c, uint64_t info)
{
    struct mica_ipc_buffer *buf = ipc_buffer_of(server);
    struct cte *frame;
    if (c->fault.kind != FAULT_PAGE || mica_msg_caps(info) != 1 || (info & MICA_MSG_MOVE_CAPS) ||
        !buf)
        return MICA_E_INVALID_ARG;
    int err = lookup_cap(server, buf->caps[0], MICA_OBJ_FRAME, 0, &frame);
    if (err)
        return err;
    uint64_t va = ALIGN_DOWN(c->fault.addr, 1UL << frame->cap.size_bits);
    return vspace_map_frame(&c->vtable.cap, &frame->cap, va, buf->map_attrs);
}

/* The reply to a fault: resume the thread, with new registers or a system call's result,
 * after mapping the page a map item gives. Even if that fails the thread resumes (to fault
 * again); the error goes to the pager. */
static int
fault_reply(struct tcb *server, struct tcb *c)
{
    uint64_t info = arch_syscall_arg(&server->regs, 1);
    unsigned len = mica_msg_length(info);
    struct mica_ipc_buffer *buf;
    int err = info & MICA_MSG_MAP ? fault_map(server, c, info) : MICA_E_OK;
    c->fault_pending = false;
    if (mica_msg_label(info) == MICA_FAULT_REPLY_REGS && len >= MICA_REG_COUNT &&
        (buf = ipc_buffer_of(server))) {
        uint64_t regs[MICA_REG_COUNT];
        for (unsigned i = 0; i < MICA_REG_COUNT; i++)
            regs[i] = i < MICA_MSG_REG_WORDS ? arch_get_mr(&server->regs, i) : buf->mr[i];
        arch_set_regs(c, regs);         /* refused values leave the registers as they were */
    } else if (mica_msg_label(info) == MICA_FAULT_REPLY_RESUME && c->fault.kind == FAULT_SYSCALL &&
               len >= 1) {
        arch_syscall_return(&c->regs, arch_get_mr(&server->regs, 0));
    }
    return err;
}

int
ipc_reply(struct tcb *t)
{
    struct tcb *c = t->reply_to;
    int err = MICA_E_OK;
    if (!c)
        return err;                     /* nobody to reply to: nothing happens */
    t->reply_to = NULL;
    c->replier = NULL;
    timeout_cancel(c);
    if (c->fault_pending)
        err = fault_reply(t, c);
    else
        transfer(t, c, 0, c->ipc_rights & MICA_RIGHT_GRANT);  /* as the call's capability allows */
    wake_partner(c);
    return err;
}

/* ---- notifications ------------------------------------------------------------------ */

void
ntfn_signal(struct notification *n, uint64_t badge)
{
    n->word |= badge ? badge : 1;
    struct tcb *t = n->waiters.head;
    if (t) {
        tq_remove(&n->waiters, t);
        t->blocked_on = NULL;
        timeout_cancel(t);
        deliver_notification(t, n, 0);
        wake(t);
    } else if (n->bound && n->bound->state == THREAD_BLOCKED_RECV) {
        t = n->bound;
        ipc_cancel(t, MICA_E_OK);       /* out of the endpoint's queue */
        deliver_notification(t, n, MICA_LABEL_NOTIFICATION);
        wake(t);
    }
}

void
ntfn_wait(struct tcb *t, struct notification *n, uint64_t timeout)
{
    if (t->reply_to)
        ipc_drop_reply(t);              /* any plain receive does */
    if (n->word) {
        deliver_notification(t, n, 0);
        return;
    }
    if (timeout == MICA_TIMEOUT_POLL) {
        arch_set_recv(&t->regs, MICA_E_TIMEOUT, 0, 0);
        return;
    }
    block(t, THREAD_BLOCKED_NTFN, n, timeout);
    tq_push(&n->waiters, t);
}

/* ---- cancellation and destruction --------------------------------------------------- */

void
ipc_cancel(struct tcb *t, int err)
{
    switch (t->state) {
    case THREAD_BLOCKED_SEND:
    case THREAD_BLOCKED_RECV: {
        struct endpoint *ep = t->blocked_on;
        tq_remove(&ep->queue, t);
        if (!ep->queue.head)
            ep->state = EP_IDLE;
        break;
    }
    case THREAD_BLOCKED_NTFN:
        tq_remove(&((struct notification *)t->blocked_on)->waiters, t);
        break;
    case THREAD_BLOCKED_REPLY:
        if (t->replier)
            t->replier->reply_to = NULL;
        t->replier = NULL;
        break;
    default:
        return;
    }
    timeout_cancel(t);
    t->blocked_on = NULL;
    t->state = THREAD_INACTIVE;
    if (t->fault_pending) {
        /* Its registers are its own, not a result: an exception simply happens again when
         * it runs; a redirected system call is made again. */
        t->fault_pending = false;
        if (t->fault.kind == FAULT_SYSCALL)
            arch_syscall_restart(&t->regs);
        return;
    }
    arch_set_recv(&t->regs, (uint64_t)err, 0, 0);
}

void
ipc_thread_gone(struct tcb *t)
{
    ipc_cancel(t, MICA_E_DELETED);
    if (t->reply_to)
        ipc_drop_reply(t);
    if (t->bound) {
        t->bound->bound = NULL;
        t->bound = NULL;
    }
}

void
endpoint_cancel_badged(struct endpoint *ep, uint64_t badge)
{
    if (ep->state != EP_SEND)
        return;
    for (struct tcb *t = ep->queue.head, *next; t; t = next) {
        next = t->ipc_next;
        if (t->ipc_badge == badge)
            fail(t, MICA_E_DELETED);
    }
}

void
endpoint_destroy(struct endpoint *ep)
{
    while (ep->queue.head)
        fail(ep->queue.head, MICA_E_DELETED);
}

void
notification_destroy(struct notification *n)
{
    while (n->waiters.head)
        fail(n->waiters.head, MICA_E_DELETED);
    if (n->bound)
        n->bound->bound = NULL;
}
