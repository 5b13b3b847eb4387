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


/* ---- notifications ------------------------------------------------------------------ */

/* A capability in the first argument of a notification system call, with the rights (and
 * a Mica system call: a redirected thread's go to its handler). */
static inline struct notification *
notification_cap(struct tcb *t, unsigned rights, uint64_t *badge)
{
    if (t->flags & MICA_TCB_FLAG_REDIRECT_SYSCALLS)
        return NULL;
    struct cte *slot = cnode_slot(&t->ctable.cap, arch_syscall_arg(&t->regs, 0));
    if (!slot || slot->cap.type != MICA_OBJ_NOTIFICATION || (slot->cap.rights & rights) != rights ||
        mica_msg_length(arch_syscall_arg(&t->regs, 1)) > MICA_MSG_MAX_WORDS)
        return NULL;
    *badge = slot->cap.badge;
    return phys_to_virt(slot->cap.obj);
}

/* A signal that wakes a waiter above us: the slow path would deliver, make it ready, and
 * at the exit preempt us (back to the head of our queue, our slice not over) for it. Here
 * the same happens with no detour through the ready queue's top: the doorbell of a
 * channel whose server sleeps (docs/channels.md). */
void
fastpath_send(struct tcb *t)
{
    uint64_t badge;
    struct notification *n = notification_cap(t, MICA_RIGHT_WRITE, &badge);
    if (!n)
        return;
    struct percpu *cpu = this_cpu();
    struct tcb *w = n->waiters.head;
    if (!w || w->prio <= t->prio || (int)w->prio <= rq_highest(&cpu->rq) || !t->slice ||
        !thread_has_vspace(w) || w->deadline)
        return;

    /* Point of no return. */
    n->waiters.head = w->ipc_next;
    if (n->waiters.head)
        n->waiters.head->ipc_prev = NULL;
    else
        n->waiters.tail = NULL;
    w->ipc_next = NULL;
    w->blocked_on = NULL;
    arch_set_recv(&w->regs, MICA_E_OK, n->word | (badge ? badge : 1), mica_msginfo(0, 0));
    n->word = 0;
    arch_syscall_return(&t->regs, MICA_E_OK);
    rq_push_head(&cpu->rq, &t->rq, t->prio);
    switch_to(w);
}

/* A wait that blocks, when a thread is ready: the slow path would block and then choose
 * the first of the highest ready priority; so does this, without the general exit. */
void
fastpath_recv(struct tcb *t)
{
    uint64_t badge;
    struct notification *n = notification_cap(t, MICA_RIGHT_READ, &badge);
    if (!n || n->word || t->reply_to || arch_syscall_timeout(&t->regs) != MICA_TIMEOUT_FOREVER)
        return;
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
    t->state = THREAD_BLOCKED_NTFN;
    t->blocked_on = n;
    tq_push(&n->waiters, t);
    switch_to(next);
}
