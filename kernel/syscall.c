// SPDX-License-Identifier: MIT
/* System-call dispatch: one table indexed by the number from abi/mica/syscall.h. Every
 * handler validates all its arguments and returns a mica_error. */
#include "invoke.h"
#include "sched.h"
#include "thread.h"

#include <mica/syscall.h>

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
    kprintf("mica: thread '%s' halted the machine, status %ld\n", t->name, status);
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

static long
sys_call(struct tcb *t, const struct arch_regs *r)
{
    (void)r;
    invoke_syscall(t);              /* writes its own reply registers */
    return (long)t->regs.rax;
}

static const syscall_fn syscalls[MICA_SYS_COUNT] = {
    [MICA_SYS_YIELD] = sys_yield,
    [MICA_SYS_DEBUG_WRITE] = sys_debug_write,
    [MICA_SYS_DEBUG_HALT] = sys_debug_halt,
    [MICA_SYS_SET_TLS_BASE] = sys_set_tls_base,
    [MICA_SYS_CALL] = sys_call,
};

void
syscall_dispatch(struct tcb *t)
{
    struct arch_regs *r = &t->regs;
    uint64_t n = arch_syscall_number(r);
    long ret = n < MICA_SYS_COUNT ? syscalls[n](t, r) : MICA_E_NO_SYSCALL;
    arch_syscall_return(r, (uint64_t)ret);
}
