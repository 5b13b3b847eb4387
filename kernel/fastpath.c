// SPDX-License-Identifier: MIT
/*
 * The IPC fast path: call and reply-receive with the message in registers, between
 * threads where the partner can run at once. All checks come first and change nothing;
 * if any fails, the slow path (ipc.c) does the same operation with the same result (the
 * boot tests run the IPC suite with the fast path on and off: `nofastpath`). After the
 * point of no return: no queue walks but the endpoint's head, no scheduler queues, no
 * allocation; the kernel switches straight to the partner.
 */
#include "fastpath.h"
#include "invariants.h"
#include "ipc.h"
#include "percpu.h"
#include "sched.h"

#include <mica/invocation.h>

#include <arch/switch.h>

bool fastpath_enabled = true;
uint64_t fastpath_count;            /* operations done here: the tests check both paths ran */

/* The capability named by the call's first argument, if it is an endpoint with the rights. */
static inline struct cte *
endpoint_cap(struct tcb *t, unsigned rights)
{
    struct cte *slot = cnode_slot(&t->ctable.cap, arch_syscall_arg(&t->regs, 0));
    if (!slot || slot->cap.type != MICA_OBJ_ENDPOINT || (slot->cap.rights & rights) != rights)
        return NULL;
    return slot;
}

/* A message the fast path carries: in registers, with no capabilities and none of the info
 * word's unused bits (the receiver gets the word as it was sent): all that is one compare
 * of the bits below the label. No timeout to arm, no redirection. */
static inline bool
simple_message(const struct tcb *t, uint64_t info)
{
    return (info & ((1UL << MICA_MSG_LABEL_SHIFT) - 1)) <= MICA_MSG_REG_WORDS &&
           arch_syscall_timeout(&t->regs) == MICA_TIMEOUT_FOREVER &&
           !(t->flags & MICA_TCB_FLAG_REDIRECT_SYSCALLS);
}

/* Can the kernel switch from t (which blocks) straight to partner? Only if no ready thread
 * has a higher priority; they are all at most t's (t was running). The slow path puts the
 * partner first among its equals (wake_partner), so it too runs the partner next. */
static inline bool
can_switch_to(const struct tcb *t, const struct tcb *partner)
{
    return (partner->prio >= t->prio || (int)partner->prio >= rq_highest(&this_cpu()->rq)) &&
           thread_has_vspace(partner) && !partner->deadline;
}

static inline void
copy_message(struct tcb *from, struct tcb *to, uint64_t badge, uint64_t info)
{
    arch_copy_mrs(&to->regs, &from->regs);
    arch_set_recv(&to->regs, MICA_E_OK, badge, info);     /* simple_message(): as it was sent */
}

static inline __attribute__((always_inline)) noreturn void
switch_to(struct tcb *t)
{
    fastpath_count++;
    t->state = THREAD_RUNNABLE;
    this_cpu()->current = t;
    invariants_exit_check();
    arch_switch_to_user(t);
}

void
fastpath_call(struct tcb *t)
{
    uint64_t info = arch_syscall_arg(&t->regs, 1);
    struct cte *slot;
    if (!simple_message(t, info) || !(slot = endpoint_cap(t, MICA_RIGHT_WRITE)))
        return;
    struct endpoint *ep = phys_to_virt(slot->cap.obj);
    struct tcb *r = ep->queue.head;
    if (ep->state != EP_RECV || !can_switch_to(t, r) || r->reply_to)
        return;

    /* Point of no return. */
    ep_dequeue(ep);
    copy_message(t, r, slot->cap.badge, info);
    t->ipc_rights = slot->cap.rights;          /* may the reply carry capabilities */
    ipc_await_reply(t, r);
    switch_to(r);
}

/* Redirected system calls: the same call, the message made from the system call's
 * registers (MR4-MR7 in the handler's IPC buffer), and the same direct switch. */
void
fastpath_redirect(struct tcb *t)
{
    struct cte *slot = &t->fault_ep;
    if (slot->cap.type != MICA_OBJ_ENDPOINT || !(slot->cap.rights & MICA_RIGHT_WRITE))
        return;
    struct endpoint *ep = phys_to_virt(slot->cap.obj);
    struct tcb *r = ep->queue.head;
    struct mica_ipc_buffer *buf;
    if (ep->state != EP_RECV || !can_switch_to(t, r) || r->reply_to || !(buf = ipc_buffer_of(r)))
        return;

    /* Point of no return. */
    ep_dequeue(ep);
    arch_syscall_message(&r->regs, buf->mr, &t->regs);
    arch_set_recv(&r->regs, MICA_E_OK, slot->cap.badge, mica_msginfo(MICA_FAULT_SYSCALL, 8));
    t->fault = (struct fault){ .kind = FAULT_SYSCALL, .ip = arch_regs_ip(&t->regs) };
    t->fault_pending = true;
    ipc_await_reply(t, r);
    switch_to(r);
}

void
fastpath_reply_recv(struct tcb *t)
{
    uint64_t info = arch_syscall_arg(&t->regs, 1);
    struct tcb *c = t->reply_to;
    if (!simple_message(t, info) || !c || !can_switch_to(t, c))
        return;
    /* A fault reply only if it is a system call's result: resume, rax from MR0. */
    if (c->fault_pending && (c->fault.kind != FAULT_SYSCALL ||
                             mica_msg_label(info) != MICA_FAULT_REPLY_RESUME))
        return;
    struct cte *slot = endpoint_cap(t, MICA_RIGHT_READ);
    if (!slot)
        return;
    struct endpoint *ep = phys_to_virt(slot->cap.obj);
    if (ep->state == EP_SEND || (t->bound && t->bound->word))
        return;

    /* Point of no return. */
    t->reply_to = NULL;
    c->replier = NULL;
    if (c->fault_pending) {
        c->fault_pending = false;
        if (mica_msg_length(info))
            arch_syscall_return(&c->regs, arch_get_mr(&t->regs, 0));
    } else {
        copy_message(t, c, 0, info);
    }
    t->state = THREAD_BLOCKED_RECV;
    t->blocked_on = ep;
    tq_push(&ep->queue, t);
    ep->state = EP_RECV;
    switch_to(c);
}

/* ---- send and receive: notifications, and one-way messages ------------------------- */

/* The capability a send or receive names, if it has the rights; NULL for a redirected
 * thread (its system calls go to its handler) or a message the slow path would refuse. */
static inline struct cte *
send_recv_cap(struct tcb *t, unsigned rights)
{
    if (t->flags & MICA_TCB_FLAG_REDIRECT_SYSCALLS ||
        mica_msg_length(arch_syscall_arg(&t->regs, 1)) > MICA_MSG_MAX_WORDS)
        return NULL;
    struct cte *slot = cnode_slot(&t->ctable.cap, arch_syscall_arg(&t->regs, 0));
    if (!slot || (slot->cap.rights & rights) != rights)
        return NULL;
    return slot;
}

/* w, just made ready by our send: if the slow path's exit would preempt us for it (it is
 * above us and every ready thread, and our slice goes on: we go back to the head of our
 * queue), do that now; otherwise it waits its turn at the tail of its queue and we go on,
 * as the slow path's exit would have it. Whether w may run was checked before. */
static inline noreturn void
after_wake(struct percpu *cpu, struct tcb *t, struct tcb *w)
{
    arch_syscall_return(&t->regs, MICA_E_OK);
    w->state = THREAD_RUNNABLE;
    if (w->prio > t->prio) {
        rq_push_head(&cpu->rq, &t->rq, t->prio);
        switch_to(w);
    }
    rq_push_tail(&cpu->rq, &w->rq, w->prio);
    switch_to(t);
}

/* Would the slow path's exit, after our send made w ready, either keep us (w not above
 * us) or switch to w? Then the fast path may do the same. */
static inline bool
wake_is_simple(const struct percpu *cpu, const struct tcb *t, const struct tcb *w)
{
    return t->slice && !w->deadline &&
           (w->prio <= t->prio || ((int)w->prio > rq_highest(&cpu->rq) && thread_has_vspace(w)));
}

/* A signal that wakes a waiter (the doorbell of a channel whose server sleeps,
 * docs/channels.md), or a one-way message (in registers, no capabilities) to a receiver
 * that waits: delivered, and then what the slow path's exit would do (after_wake()). */
void
fastpath_send(struct tcb *t)
{
    struct cte *slot = send_recv_cap(t, MICA_RIGHT_WRITE);
    if (!slot)
        return;
    struct percpu *cpu = this_cpu();
    if (slot->cap.type == MICA_OBJ_NOTIFICATION) {
        struct notification *n = phys_to_virt(slot->cap.obj);
        struct tcb *w = n->waiters.head;
        if (!w || !wake_is_simple(cpu, t, w))
            return;

        /* Point of no return. */
        n->waiters.head = w->ipc_next;
        if (n->waiters.head)
            n->waiters.head->ipc_prev = NULL;
        else
            n->waiters.tail = NULL;
        w->ipc_next = NULL;
        w->blocked_on = NULL;
        arch_set_recv(&w->regs, MICA_E_OK, n->word | (slot->cap.badge ? slot->cap.badge : 1),
                      mica_msginfo(0, 0));
        n->word = 0;
        after_wake(cpu, t, w);
    }
    uint64_t info = arch_syscall_arg(&t->regs, 1);
    if (slot->cap.type != MICA_OBJ_ENDPOINT ||
        (info & ((1UL << MICA_MSG_LABEL_SHIFT) - 1)) > MICA_MSG_REG_WORDS)
        return;                         /* capabilities, a long message, unknown bits */
    struct endpoint *ep = phys_to_virt(slot->cap.obj);
    struct tcb *r = ep->queue.head;
    if (ep->state != EP_RECV || !wake_is_simple(cpu, t, r))
        return;

    /* Point of no return. */
    ep_dequeue(ep);
    copy_message(t, r, slot->cap.badge, info);
    t->ipc_rights = slot->cap.rights;
    after_wake(cpu, t, r);
}

/* A wait on a notification, or a receive on an endpoint, that blocks while a thread is
 * ready: the slow path would block and then choose the first of the highest ready
 * priority; so does this, without the general exit. */
void
fastpath_recv(struct tcb *t)
{
    struct cte *slot = send_recv_cap(t, MICA_RIGHT_READ);
    if (!slot || t->reply_to || arch_syscall_timeout(&t->regs) != MICA_TIMEOUT_FOREVER)
        return;
    void *on = phys_to_virt(slot->cap.obj);
    if (slot->cap.type == MICA_OBJ_NOTIFICATION) {
        if (((struct notification *)on)->word)
            return;
    } else if (slot->cap.type != MICA_OBJ_ENDPOINT || ((struct endpoint *)on)->state == EP_SEND ||
               (t->bound && t->bound->word)) {
        return;
    }
    struct percpu *cpu = this_cpu();
    int top = rq_highest(&cpu->rq);
    if (top < 0)
        return;
    struct rq_link *l = cpu->rq.head[top];
    struct tcb *next = (struct tcb *)((char *)l - offsetof(struct tcb, rq));
    if (!thread_has_vspace(next))
        return;

    /* Point of no return. */
    rq_remove(&cpu->rq, l, (unsigned)top);
    if (!next->slice)
        next->slice = SCHED_SLICE_TICKS;
    cpu->resched = cpu->resched_tail = false;
    t->blocked_on = on;
    if (slot->cap.type == MICA_OBJ_NOTIFICATION) {
        t->state = THREAD_BLOCKED_NTFN;
        tq_push(&((struct notification *)on)->waiters, t);
    } else {
        struct endpoint *ep = on;
        t->state = THREAD_BLOCKED_RECV;
        tq_push(&ep->queue, t);
        ep->state = EP_RECV;
    }
    switch_to(next);
}
