// SPDX-License-Identifier: MIT
/* Thread lifecycle (init, resume, suspend, destroy), fault delivery, and the one way out of
 * the kernel. TCB memory comes from untyped memory (object.c) or, for boot tasks, from the
 * boot allocator. */
#include "invariants.h"
#include "ipc.h"
#include "percpu.h"
#include "sched.h"
#include "thread.h"

_Static_assert(sizeof(struct tcb) <= 1 << MICA_TCB_BITS, "a TCB fits in its object");

void
thread_init(struct tcb *t, const char *name)
{
    arch_thread_init(t, 0, 0, 0);
    t->state = THREAD_INACTIVE;
    strlcpy(t->name, name, sizeof(t->name));
}

void
thread_resume(struct tcb *t)
{
    if (t->state != THREAD_INACTIVE && t->state != THREAD_STOPPED)
        return;                     /* running, or blocked: it goes on as it is */
    t->state = THREAD_RUNNABLE;
    if (t != this_cpu()->current)
        sched_enqueue(t);
}

void
thread_suspend(struct tcb *t)
{
    ipc_cancel(t, MICA_E_BAD_STATE);    /* a blocked operation fails */
    sched_dequeue(t);
    t->state = THREAD_INACTIVE;
}

void
thread_destroy(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    ipc_thread_gone(t);
    thread_suspend(t);
    if (cpu->fpu_owner == t)        /* its memory may become another object: never save there */
        cpu->fpu_owner = NULL;
    arch_thread_forget(t);
    cte_clear(&t->ctable);
    cte_clear(&t->vtable);
    cte_clear(&t->fault_ep);
}

static const char *const fault_names[] = {
    [FAULT_PAGE] = "page fault",
    [FAULT_GENERAL_PROTECTION] = "general protection fault",
    [FAULT_UNDEFINED_INSN] = "undefined instruction",
    [FAULT_DIVIDE] = "divide error",
    [FAULT_BREAKPOINT] = "breakpoint",
    [FAULT_OTHER] = "exception",
    [FAULT_SYSCALL] = "redirected system call",
};

/* A fault goes to the thread's fault endpoint as a call; without one, log and stop. */
void
thread_fault(struct tcb *t, const struct fault *f)
{
    t->fault = *f;
    if (ipc_send_fault(t))
        return;
    char detail[96] = "";
    if (f->kind == FAULT_PAGE)
        ksnprintf(detail, sizeof(detail), " at %#lx (%s, %s)", f->addr,
                  f->flags & FAULT_PAGE_WRITE ? "write" : f->flags & FAULT_PAGE_EXEC ? "fetch" : "read",
                  f->flags & FAULT_PAGE_PRESENT ? "protection" : "not present");
    kprintf("mica: thread '%s' stopped: %s%s, ip %#lx, vector %u, error %#lx; no fault handler\n",
            t->name, fault_names[f->kind], detail, f->ip, f->vector, f->code);
    sched_dequeue(t);
    t->state = THREAD_STOPPED;
}

noreturn void
kernel_exit(void)
{
    struct tcb *t;
    while ((t = sched_choose()) && !thread_has_vspace(t)) {
        /* Its address space was deleted (revoked) under it: it cannot run. */
        kprintf("mica: thread '%s' stopped: its address space is gone\n", t->name);
        t->state = THREAD_STOPPED;
    }
    invariants_exit_check();
    if (t)
        arch_enter_user(t);
    arch_idle();
}
