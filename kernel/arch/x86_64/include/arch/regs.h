/* SPDX-License-Identifier: MIT */
/* The saved user context of a thread. Entry code (entry.S) writes it directly into the
 * thread control block: the CPU pushes the interrupt frame at TSS.rsp0, which points at the
 * end of the current thread's struct arch_regs, and the stub pushes the rest below it. */
#ifndef ARCH_REGS_H
#define ARCH_REGS_H

/* Selectors (gdt.c); the order is the one syscall/sysret require (Intel SDM Vol. 3A, 5.8.8). */
#define SEL_KCODE       0x08
#define SEL_KDATA       0x10
#define SEL_UDATA       (0x20 | 3)
#define SEL_UCODE       (0x28 | 3)
#define SEL_TSS         0x30

/* regs.vector for a frame saved by the syscall instruction rather than an interrupt. */
#define VECTOR_SYSCALL  0x100

#ifndef __ASSEMBLER__
#include <stddef.h>
#include <stdint.h>

#include <mica/x86_64/regs.h>

struct arch_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;        /* how the thread entered: an exception/IRQ vector or VECTOR_SYSCALL */
    uint64_t error;         /* the exception's error code, or 0 */
    uint64_t rip, cs, rflags, rsp, ss;      /* the hardware interrupt frame */
};

/* The FXSAVE area (Intel SDM Vol. 1, 10.5.1): x87, MMX and SSE state, 16-byte aligned. */
struct arch_fpu {
    uint8_t area[512];
} __attribute__((aligned(16)));

/* Offsets used by entry.S. */
#define REGS_VECTOR     (15 * 8)
_Static_assert(offsetof(struct arch_regs, vector) == REGS_VECTOR, "entry.S frame layout");
_Static_assert(offsetof(struct arch_regs, rip) == 17 * 8, "entry.S frame layout");
_Static_assert(sizeof(struct arch_regs) == 22 * 8, "entry.S frame layout");
#else
#define REGS_VECTOR     (15 * 8)
#endif

#endif
