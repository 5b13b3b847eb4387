// SPDX-License-Identifier: MIT
/* Thread creation, fault delivery and the one way out of the kernel. Thread control blocks
 * take a page each from the boot allocator for now; with untyped memory (issue 5) they are
 * retyped from memory the creator holds. */
#include "pmm.h"
#include "sched.h"
#include "thread.h"

_Static_assert(sizeof(struct tcb) <= PAGE_SIZE, "a TCB fits in a page");

struct tcb *
thread_create(const char *name, paddr_t root, vaddr_t entry, vaddr_t sp, uint64_t arg)
{
    paddr_t pa = pmm_alloc(&kernel_pmm);
    if (!pa)
        return NULL;
    struct tcb *t = phys_to_virt(pa);
    memset(t, 0, sizeof(*t));
    arch_thread_init(t, entry, sp, arg);
    t->vspace_root = root;
    t->state = THREAD_RUNNABLE;
    strlcpy(t->name, name, sizeof(t->name));
    sched_enqueue(t);
    return t;
}

static const char *const fault_names[] = {
    [FAULT_PAGE] = "page fault",
    [FAULT_GENERAL_PROTECTION] = "general protection fault",
    [FAULT_UNDEFINED_INSN] = "undefined instruction",
    [FAULT_DIVIDE] = "divide error",
    [FAULT_BREAKPOINT] = "breakpoint",
    [FAULT_OTHER] = "exception",
};

/* No thread has a fault handler yet (fault IPC comes with endpoints): log and stop it. */
void
thread_fault(struct tcb *t, const struct fault *f)
{
    char detail[96] = "";
    if (f->kind == FAULT_PAGE)
        ksnprintf(detail, sizeof(detail), " at %#lx (%s, %s)", f->addr,
                  f->flags & FAULT_PAGE_WRITE ? "write" : f->flags & FAULT_PAGE_EXEC ? "fetch" : "read",
                  f->flags & FAULT_PAGE_PRESENT ? "protection" : "not present");
    kprintf("mica: thread '%s' stopped: %s%s, ip %#lx, vector %u, error %#lx; no fault handler\n",
            t->name, fault_names[f->kind], detail, f->ip, f->vector, f->code);
    t->state = THREAD_STOPPED;
}

noreturn void
kernel_exit(void)
{
    struct tcb *t = sched_choose();
    if (t)
        arch_enter_user(t);
    arch_idle();
}
