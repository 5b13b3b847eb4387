/* SPDX-License-Identifier: MIT */
/* The switch to a thread and out to user mode, inline for the IPC fast path (fastpath.c);
 * everything else goes through arch_enter_user(). */
#ifndef ARCH_SWITCH_H
#define ARCH_SWITCH_H

#include "percpu.h"
#include "thread.h"

#include <arch/cpu.h>

noreturn void arch_return_to_user(struct arch_regs *regs);     /* entry.S */

extern bool pcid_enabled;
extern uint64_t pcid_stale[PCID_COUNT / 64];

/* The CR3 value to load for root|pcid: keep the PCID's TLB entries, unless they are stale
 * (paging.c). */
static inline uint64_t
pcid_cr3(uint64_t cr3)
{
    unsigned pcid = cr3 % PCID_COUNT;
    uint64_t bit = 1UL << (pcid % 64), *word = &pcid_stale[pcid / 64];
    if (*word & bit) {
        *word &= ~bit;
        return cr3;
    }
    return cr3 | CR3_NOFLUSH;
}

static inline __attribute__((always_inline)) noreturn void
arch_switch_to_user(struct tcb *t)
{
    struct percpu *cpu = this_cpu();
    struct arch_percpu *a = &cpu->arch;

    a->regs_end = (uint64_t)(&t->regs + 1);
    a->tss.rsp[0] = a->regs_end;
    uint64_t cr3 = t->space;                /* the caller checked thread_has_vspace() */
    if (a->cr3 != cr3) {
        a->cr3 = cr3;
        write_cr3(pcid_enabled ? pcid_cr3(cr3) : cr3);
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
