// SPDX-License-Identifier: MIT
/* System-call dispatch: one table indexed by the number from abi/mica/syscall.h. Every
 * handler validates all its arguments. A handler returns a mica_error for rax, or
 * SYSCALL_DONE when it has written the thread's result registers itself (IPC, which may
 * also block the thread and leave the result to whoever wakes it). */
#include "fastpath.h"
#include "invoke.h"
#include "ipc.h"
#include "sched.h"
#include "thread.h"

#include <mica/syscall.h>

#define SYSCALL_DONE    (-1L)

typedef long (*syscall_fn)(struct tcb *t, const struct arch_regs *r);

static long
sys_yield(struct tcb *t, const struct arch_regs *r)
{
    (void)t, (void)r;
    sched_yield();
    return MICA_E_OK;
}

static long
sys_debug_write(struct tcb *t, const struct arch_regs *r)
{
    static char buf[MICA_DEBUG_WRITE_MAX];     /* one CPU for now; per-CPU with SMP */
    vaddr_t src = arch_syscall_arg(r, 0);
    uint64_t len = arch_syscall_arg(r, 1);
    (void)t;

    if (len > sizeof(buf))
        return MICA_E_RANGE;
    int err = arch_copy_from_user(buf, src, len);
    if (err)
        return err;
    kputs(buf, len);
    return MICA_E_OK;
}

static long
sys_debug_halt(struct tcb *t, const struct arch_regs *r)
{
    long status = (long)arch_syscall_arg(r, 0);
    if (!(t->flags & MICA_TCB_FLAG_HALT))
        return MICA_E_NO_RIGHTS;                /* stopping everybody is given, not ambient */
    kprintf("mica: thread '%s' halted the machine, status %ld (%lu IPCs on the fast path)\n",
            t->name, status, fastpath_count);
    arch_halt(status == 0 ? HALT_SUCCESS : HALT_FAILURE);
}

/* The thread pointer is user state like a register, so the kernel only checks that it is a
 * user address (loading a non-canonical one into FS base would fault in the kernel). */
static long
sys_set_tls_base(struct tcb *t, const struct arch_regs *r)
{
    vaddr_t base = arch_syscall_arg(r, 0);
    if (base >= MICA_USER_TOP)
        return MICA_E_INVALID_ARG;
    t->tls_base = base;
    arch_thread_forget(t);
    return MICA_E_OK;
}

/* The capability in the first argument: an endpoint or notification with the rights. */
static int
ipc_cap(struct tcb *t, const struct arch_regs *r, unsigned rights, struct cte **slot)
{
    if (mica_msg_length(arch_syscall_arg(r, 1)) > MICA_MSG_MAX_WORDS)
        return MICA_E_RANGE;
    int err = lookup_cap(t, arch_syscall_arg(r, 0), MICA_OBJ_NULL, 0, slot);
    if (err)
        return err;
    unsigned type = (*slot)->cap.type;
    if (type != MICA_OBJ_ENDPOINT && type != MICA_OBJ_NOTIFICATION)
        return MICA_E_BAD_METHOD;
    return ((*slot)->cap.rights & rights) == rights ? MICA_E_OK : MICA_E_NO_RIGHTS;
}

static long
sys_send(struct tcb *t, const struct arch_regs *r)
{
    struct cte *slot;
    int err = ipc_cap(t, r, MICA_RIGHT_WRITE, &slot);
    if (err)
        return err;
    if (slot->cap.type == MICA_OBJ_NOTIFICATION) {
        ntfn_signal(phys_to_virt(slot->cap.obj), slot->cap.badge);
        return MICA_E_OK;
    }
    ipc_send(t, slot, mica_msg_caps(arch_syscall_arg(r, 1)), false, arch_syscall_timeout(r));
    return SYSCALL_DONE;
}

/* Call an endpoint, or invoke any other object. */
static long
sys_call(struct tcb *t, const struct arch_regs *r)
{
    struct cte *slot;
    if (lookup_cap(t, arch_syscall_arg(r, 0), MICA_OBJ_ENDPOINT, 0, &slot)) {
        invoke_syscall(t);
        return SYSCALL_DONE;
    }
    if (!(slot->cap.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    if (mica_msg_length(arch_syscall_arg(r, 1)) > MICA_MSG_MAX_WORDS)
        return MICA_E_RANGE;
    ipc_send(t, slot, mica_msg_caps(arch_syscall_arg(r, 1)), true, arch_syscall_timeout(r));
    return SYSCALL_DONE;
}

static long
recv(struct tcb *t, const struct arch_regs *r)
{
    struct cte *slot;
    int err = ipc_cap(t, r, MICA_RIGHT_READ, &slot);
    if (err)
        return err;
    if (slot->cap.type == MICA_OBJ_NOTIFICATION)
        ntfn_wait(t, phys_to_virt(slot->cap.obj), arch_syscall_timeout(r));
    else
        ipc_recv(t, slot, arch_syscall_timeout(r));
    return SYSCALL_DONE;
}

static long
sys_recv(struct tcb *t, const struct arch_regs *r)
{
    long ret = recv(t, r);
    if (ret != SYSCALL_DONE)
        arch_set_recv(&t->regs, (uint64_t)ret, 0, 0);
    return SYSCALL_DONE;
}

static long
sys_reply_recv(struct tcb *t, const struct arch_regs *r)
{
    struct cte *slot;
    int err = ipc_cap(t, r, MICA_RIGHT_READ, &slot);    /* check all before replying */
    if (err) {
        arch_set_recv(&t->regs, (uint64_t)err, 0, 0);
        return SYSCALL_DONE;
    }
    if ((err = ipc_reply(t))) {
        arch_set_recv(&t->regs, (uint64_t)err, 0, 0);   /* the reply went, not the receive */
        return SYSCALL_DONE;
    }
    return sys_recv(t, r);
}

static const syscall_fn syscalls[MICA_SYS_COUNT] = {
    [MICA_SYS_YIELD] = sys_yield,
    [MICA_SYS_DEBUG_WRITE] = sys_debug_write,
    [MICA_SYS_DEBUG_HALT] = sys_debug_halt,
    [MICA_SYS_SET_TLS_BASE] = sys_set_tls_base,
    [MICA_SYS_CALL] = sys_call,
    [MICA_SYS_SEND] = sys_send,
    [MICA_SYS_RECV] = sys_recv,
    [MICA_SYS_REPLY_RECV] = sys_reply_recv,
};

void
syscall_dispatch(struct tcb *t)
{
    struct arch_regs *r = &t->regs;
    uint64_t n = arch_syscall_number(r);
    if (t->flags & MICA_TCB_FLAG_REDIRECT_SYSCALLS) {
        if (fastpath_enabled)
            fastpath_redirect(t);       /* returns only if it took no action */
        struct fault f = { .kind = FAULT_SYSCALL, .ip = arch_regs_ip(r) };
        thread_fault(t, &f);
        return;
    }
    long ret = n < MICA_SYS_COUNT ? syscalls[n](t, r) : MICA_E_NO_SYSCALL;
    if (ret != SYSCALL_DONE)
        arch_syscall_return(r, (uint64_t)ret);
}
