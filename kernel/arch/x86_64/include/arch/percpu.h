/* SPDX-License-Identifier: MIT */
/* The x86_64 part of per-CPU data, reached through GS in the kernel. Entry code reads the
 * first fields at fixed offsets, so their order is ABI between this file and entry.S. */
#ifndef ARCH_PERCPU_H
#define ARCH_PERCPU_H

#define PERCPU_SELF         0
#define PERCPU_KSTACK_TOP   8
#define PERCPU_USER_RSP     16
#define PERCPU_REGS_END     24

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iopb_offset;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "TSS is 104 bytes (Intel SDM Vol. 3A, 8.7)");

struct arch_percpu {
    void *self;             /* %gs:0: this struct (which starts struct percpu) */
    uint64_t kstack_top;    /* where the kernel stack starts on every entry */
    uint64_t user_rsp;      /* syscall entry's scratch slot for the user stack pointer */
    uint64_t regs_end;      /* end of the current thread's arch_regs (== tss.rsp[0]) */
    uint64_t gdt[9];        /* null, kcode, kdata, unused, udata, ucode, tss (2), pad */
    struct tss tss;
    uint64_t cr3;           /* page-table root now loaded */
    const void *fs_thread;  /* the thread whose FS base was last loaded */
};

_Static_assert(offsetof(struct arch_percpu, kstack_top) == PERCPU_KSTACK_TOP, "entry.S");
_Static_assert(offsetof(struct arch_percpu, user_rsp) == PERCPU_USER_RSP, "entry.S");
_Static_assert(offsetof(struct arch_percpu, regs_end) == PERCPU_REGS_END, "entry.S");

static inline void *
arch_percpu_self(void)
{
    void *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}
#endif

#endif
