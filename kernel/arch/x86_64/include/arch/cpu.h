/* SPDX-License-Identifier: MIT */
/* Every x86_64 instruction wrapper the kernel uses, in one place (inline asm lives here). */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

/* Model-specific registers (Intel SDM Vol. 4). */
#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_FMASK           0xc0000084
#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_KERNEL_GS_BASE  0xc0000102
#define MSR_APIC_BASE       0x1b

#define EFER_SCE            (1 << 0)      /* syscall/sysret enable */
#define EFER_NXE            (1 << 11)     /* no-execute enable */

#define CR0_WP              (1 << 16)     /* supervisor writes honour read-only pages */
#define CR0_MP              (1 << 1)
#define CR0_EM              (1 << 2)
#define CR0_TS              (1 << 3)
#define CR0_NE              (1 << 5)        /* x87 errors as #MF, not the legacy IRQ 13 */
#define CR4_PGE             (1 << 7)
#define CR4_UMIP            (1 << 11)       /* sgdt, sidt, sldt, smsw, str: ring 0 only */
#define CR4_OSFXSR          (1 << 9)
#define CR4_PCIDE           (1 << 17)       /* TLB entries tagged by CR3's PCID */
#define CR4_OSXMMEXCPT      (1 << 10)
#define CR4_SMEP            (1 << 20)
#define CR4_SMAP            (1 << 21)

#define RFLAGS_IF           (1 << 9)
#define RFLAGS_DF           (1 << 10)
#define RFLAGS_TF           (1 << 8)
#define RFLAGS_AC           (1 << 18)
#define RFLAGS_NT           (1 << 14)
#define RFLAGS_IOPL         (3 << 12)

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port)); }

static inline uint8_t
inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t
inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t
inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t
rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void
wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

#define DEFINE_CR(n)                                                                \
    static inline uint64_t read_cr##n(void)                                         \
    {                                                                               \
        uint64_t v;                                                                 \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                           \
        return v;                                                                   \
    }                                                                               \
    static inline void write_cr##n(uint64_t v)                                      \
    {                                                                               \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                  \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

struct cpuid { uint32_t a, b, c, d; };

static inline struct cpuid
cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid r;
    __asm__ volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d) : "a"(leaf), "c"(sub));
    return r;
}

static inline uint64_t
rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("pause"); }
static inline void irq_disable(void) { __asm__ volatile("cli" : : : "memory"); }
static inline _Noreturn void cpu_halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }

static inline uint64_t
read_rbp(void)
{
    uint64_t v;
    __asm__ volatile("mov %%rbp, %0" : "=r"(v));
    return v;
}

#endif /* __ASSEMBLER__ */

#endif
