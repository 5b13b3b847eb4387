/* SPDX-License-Identifier: MIT */
/* The switch to a thread and out to user mode, inline for the IPC fast path (fastpath.c);
 * everything else goes through arch_enter_user(). */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include "percpu.h"
#include "thread.h"

#include <arch/cpu.h>

noreturn void arch_return_to_user(struct arch_regs *regs);     /* entry.S */

static inline __attribute__((always_inline)) noreturn void
arch_switch_to_user(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    struct arch_percpu *a = &cpu->arch;

    a->regs_end = (uint64_t)(&t->regs + 1);
    a->tss.rsp[0] = a->regs_end;
    paddr_t root = t->vtable.cap.obj;       /* the caller checked it is a VSpace */
    if (a->cr3 != root) {
        a->cr3 = root;
        write_cr3(root);
    }
    /* User code can reload FS (a selector load zeroes its base), so the base is rewritten
     * whenever the thread changes, never trusted by value. */
    if (a->fs_thread != t) {
        a->fs_thread = t;
        wrmsr(MSR_FS_BASE, t->tls_base);
    }
    if (cpu->fpu_owner != t) {
        if (cpu->fpu_owner)
            __asm__ volatile("fxsave64 %0" : "=m"(cpu->fpu_owner->fpu));
        __asm__ volatile("fxrstor64 %0" : : "m"(t->fpu));
        cpu->fpu_owner = t;
    }
    arch_return_to_user(&t->regs);
}

#endif
