// SPDX-License-Identifier: MIT
/* TCB methods: configure, read and write registers, suspend, resume, priorities, thread
 * pointer. Changing a thread needs write rights on its capability, reading it read rights.
 * A thread gives priorities only up to its own maximum controlled priority (MCP). */
#include "invoke.h"
#include "ipc.h"
#include "sched.h"

static struct tcb *
tcb_of(const struct cte *slot)
{
    return phys_to_virt(slot->cap.obj);
}

/* Check an IPC buffer address for a thread in the address space vspace (a VSpace
 * capability, or NULL): page aligned, and a page the thread may write (the kernel writes
 * replies there), or 0 for none. The kernel looks it up again at every use
 * (ipc_buffer_of): it may be unmapped later. */
static int
check_ipc_buffer(struct cte *vspace, vaddr_t ipc)
{
    if (ipc % PAGE_SIZE || ipc >= MICA_USER_TOP)
        return MICA_E_INVALID_ARG;
    if (ipc && !(vspace && arch_user_page(vspace->cap.obj, ipc, PTE_P | PTE_U | PTE_W)))
        return MICA_E_INVALID_ARG;
    return MICA_E_OK;
}

/* (cspace, vspace, ipc_buffer, fault_ep): a null cptr clears that reference. */
static int
configure(struct invocation *inv, struct tcb *t)
{
    struct cte *cspace = NULL, *vspace = NULL, *fault_ep = NULL;
    int err = MICA_E_OK;
    if (inv->len < 4)
        return MICA_E_INVALID_ARG;
    /* Running a thread in a space is using all of it: both rights needed. */
    unsigned all = MICA_RIGHT_READ | MICA_RIGHT_WRITE;
    if (inv->mr[0] && (err = lookup_cap(inv->caller, inv->mr[0], MICA_OBJ_CNODE, all, &cspace)))
        return err;
    if (inv->mr[1] && (err = lookup_cap(inv->caller, inv->mr[1], MICA_OBJ_VSPACE, all, &vspace)))
        return err;
    if (inv->mr[3] && (err = lookup_cap(inv->caller, inv->mr[3], MICA_OBJ_ENDPOINT,
                                        MICA_RIGHT_WRITE, &fault_ep)))
        return err;                     /* faults are sends: the capability must allow them */
    vaddr_t ipc = inv->mr[2];
    if ((err = check_ipc_buffer(vspace, ipc)))
        return err;
    if (!vspace && t->state == THREAD_RUNNABLE)
        return MICA_E_BAD_STATE;            /* a running thread needs an address space */

    /* Point of no return. A fault waiting for its reply is abandoned if the address space
     * changes (the thread stops; resumed, it faults again in the new one): a pager's map
     * item must land only in the space that faulted. The old references go first: a CNode they free is only queued,
     * so the new sources stay valid until the invocation ends. */
    if (t->fault_pending && t->state == THREAD_BLOCKED_REPLY &&
        (!vspace || vspace->cap.obj != t->vtable.cap.obj))
        ipc_cancel(t, MICA_E_OK);
    cte_clear(&t->ctable);
    cte_clear(&t->vtable);
    cte_clear(&t->fault_ep);
    if (cspace)
        cte_derive(&t->ctable, cspace, MICA_RIGHTS_ALL, 0);
    if (vspace) {
        cte_derive(&t->vtable, vspace, MICA_RIGHTS_ALL, 0);
        t->space = arch_space_of(vspace->cap.obj, (unsigned)vspace->cap.badge);
    }
    if (fault_ep)
        cte_derive(&t->fault_ep, fault_ep, MICA_RIGHTS_ALL, 0);
    t->ipc_buffer = ipc;
    t->ipc_gen = 0;                     /* look it up afresh */
    return MICA_E_OK;
}

static int
bind_notification(struct invocation *inv, struct tcb *t)
{
    struct cte *slot = NULL;
    int err;
    if (inv->len < 1)
        return MICA_E_INVALID_ARG;
    if (inv->mr[0] &&
        (err = lookup_cap(inv->caller, inv->mr[0], MICA_OBJ_NOTIFICATION, MICA_RIGHT_READ,
                          &slot)))
        return err;
    if (!slot) {                                /* unbind */
        if (t->bound)
            t->bound->bound = NULL;
        t->bound = NULL;
        return MICA_E_OK;
    }
    struct notification *n = phys_to_virt(slot->cap.obj);
    if (t->bound || n->bound)
        return MICA_E_BAD_STATE;                /* one binding each way */
    t->bound = n;
    n->bound = t;
    if (n->word && t->state == THREAD_BLOCKED_RECV)
        ntfn_signal(n, n->word);        /* signalled before: wake its receive now */
    return MICA_E_OK;
}

static int
priority(struct invocation *inv, struct tcb *t)
{
    if (inv->len < 1)
        return MICA_E_INVALID_ARG;
    if (inv->mr[0] > MICA_MAX_PRIO)
        return MICA_E_RANGE;
    if (inv->mr[0] > inv->caller->mcp)
        return MICA_E_NO_RIGHTS;
    if (inv->label == MICA_TCB_SET_MCP)
        t->mcp = (uint8_t)inv->mr[0];
    else
        sched_set_priority(t, (unsigned)inv->mr[0]);
    return MICA_E_OK;
}

int
tcb_invoke(struct invocation *inv)
{
    struct tcb *t = tcb_of(inv->slot);
    unsigned need = inv->label == MICA_TCB_READ_REGS ? MICA_RIGHT_READ : MICA_RIGHT_WRITE;
    if ((inv->slot->cap.rights & need) != need)
        return MICA_E_NO_RIGHTS;

    switch (inv->label) {
    case MICA_TCB_CONFIGURE:
        return configure(inv, t);
    case MICA_TCB_READ_REGS:
        if (!ipc_buffer_of(inv->caller))    /* the reply does not fit in registers */
            return MICA_E_BAD_STATE;
        arch_get_regs(t, inv->mr);
        inv->reply_len = MICA_REG_COUNT;
        return MICA_E_OK;
    case MICA_TCB_WRITE_REGS:
        if (inv->len < MICA_REG_COUNT)
            return MICA_E_INVALID_ARG;
        if (t->state != THREAD_INACTIVE && t->state != THREAD_STOPPED)
            return MICA_E_BAD_STATE;    /* running or blocked: its IPC would overwrite them */
        return arch_set_regs(t, inv->mr);
    case MICA_TCB_SUSPEND:
        thread_suspend(t);
        return MICA_E_OK;
    case MICA_TCB_RESUME:
        if (!thread_has_vspace(t))
            return MICA_E_BAD_STATE;
        thread_resume(t);
        return MICA_E_OK;
    case MICA_TCB_SET_PRIORITY:
    case MICA_TCB_SET_MCP:
        return priority(inv, t);
    case MICA_TCB_SET_IPC_BUFFER: {
        int err = inv->len < 1 ? MICA_E_INVALID_ARG
                               : check_ipc_buffer(thread_has_vspace(t) ? &t->vtable : NULL,
                                                  inv->mr[0]);
        if (err)
            return err;
        t->ipc_buffer = inv->mr[0];
        t->ipc_gen = 0;
        return MICA_E_OK;
    }
    case MICA_TCB_BIND_NOTIFICATION:
        return bind_notification(inv, t);
    case MICA_TCB_SET_FLAGS:
        if (inv->len < 1)
            return MICA_E_INVALID_ARG;
        if (inv->mr[0] & ~(uint64_t)(MICA_TCB_FLAG_REDIRECT_SYSCALLS | MICA_TCB_FLAG_HALT))
            return MICA_E_INVALID_ARG;
        if ((inv->mr[0] & MICA_TCB_FLAG_HALT) && !(t->flags & MICA_TCB_FLAG_HALT) &&
            !(inv->caller->flags & MICA_TCB_FLAG_HALT))
            return MICA_E_NO_RIGHTS;            /* only a thread that may halt gives it */
        t->flags = (uint32_t)inv->mr[0];
        return MICA_E_OK;
    case MICA_TCB_SET_NAME: {
        /* Up to 31 bytes from the words given; anything but printable ASCII becomes '?'. */
        const char *from = (const char *)inv->mr;
        size_t n = MIN(inv->len, 4u) * sizeof(uint64_t);
        size_t i = 0;
        for (; i < n && i < sizeof(t->name) - 1 && from[i]; i++)
            t->name[i] = from[i] >= 0x20 && from[i] < 0x7f ? from[i] : '?';
        t->name[i] = '\0';
        return MICA_E_OK;
    }
    case MICA_TCB_SET_TLS_BASE:
        if (inv->len < 1)
            return MICA_E_INVALID_ARG;
        if (inv->mr[0] >= MICA_USER_TOP)
            return MICA_E_INVALID_ARG;
        t->tls_base = inv->mr[0];
        arch_thread_forget(t);
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}
