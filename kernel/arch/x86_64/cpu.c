// SPDX-License-Identifier: MIT
/* Per-CPU setup: GDT and TSS, the IDT, the syscall MSRs, GS for per-CPU data, FPU/SSE for
 * user code, SMEP/SMAP; and the exit to user mode, which switches address space and FPU. */
#include "paging.h"
#include "percpu.h"
#include "thread.h"

#include <arch/switch.h>

#include <arch/cpu.h>

#define IDT_VECTORS     256
#define IST_STACK_SIZE  4096
#define KSTACK_SIZE     16384
#define IST_COUNT       3

enum { IST_DOUBLE_FAULT = 1, IST_NMI = 2, IST_MACHINE_CHECK = 3 };

struct idt_gate {
    uint16_t offset_lo, selector;
    uint8_t ist, type_attr;     /* type_attr: present, DPL, 0xe = 64-bit interrupt gate */
    uint16_t offset_mid;
    uint32_t offset_hi, reserved;
} __attribute__((packed));

static struct idt_gate idt[IDT_VECTORS];
/* Each CPU's stacks, each above an unmapped guard page, so an overflow faults (and the
 * double fault, on its own IST stack, reports it) instead of running into its neighbour. */
struct cpu_stacks {
    uint8_t guard[PAGE_SIZE];
    uint8_t kstack[KSTACK_SIZE];
    struct {
        uint8_t guard[PAGE_SIZE];
        uint8_t stack[IST_STACK_SIZE];
    } ist[IST_COUNT];
};
static struct cpu_stacks stacks[MAX_CPUS] __attribute__((aligned(PAGE_SIZE)));

struct percpu cpus[MAX_CPUS];
bool smap_enabled;              /* read by entry.S: stac/clac only where SMAP exists */

extern char intr_stubs[];       /* entry.S: 256 stubs, 16 bytes apart */
extern char syscall_entry[];

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static uint64_t
segment(uint64_t access, uint64_t flags)
{
    return (access << 40) | (flags << 52) | 0xffff | (0xfUL << 48);
}

static void
gdt_init(struct arch_percpu *a)
{
    uint64_t tss = (uint64_t)&a->tss;

    a->gdt[0] = 0;
    a->gdt[1] = segment(0x9a, 0xa);     /* kernel code: present, ring 0, L=1 */
    a->gdt[2] = segment(0x92, 0xc);     /* kernel data */
    a->gdt[3] = 0;                      /* would be 32-bit user code: unused */
    a->gdt[4] = segment(0xf2, 0xc);     /* user data, ring 3 */
    a->gdt[5] = segment(0xfa, 0xa);     /* user code, ring 3, L=1 */
    a->gdt[6] = (sizeof(struct tss) - 1) | ((tss & 0xffffff) << 16) | (0x89UL << 40) |
                ((tss >> 24 & 0xff) << 56);     /* available 64-bit TSS */
    a->gdt[7] = tss >> 32;
    a->tss.iopb_offset = sizeof(struct tss);    /* no I/O bitmap: ring 3 gets no ports */

    struct desc_ptr gp = { sizeof(a->gdt) - 1, (uint64_t)a->gdt };
    __asm__ volatile("lgdt %0\n\t"
                     "mov %1, %%ds\n\t"
                     "mov %1, %%es\n\t"
                     "mov %1, %%ss\n\t"
                     "pushq %2\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "ltr %w3"
                     : : "m"(gp), "r"((uint64_t)SEL_KDATA), "i"(SEL_KCODE), "r"(SEL_TSS)
                     : "rax", "memory");
}

static void
idt_set(unsigned vec, unsigned ist, unsigned dpl)
{
    uint64_t addr = (uint64_t)intr_stubs + 16 * vec;
    idt[vec] = (struct idt_gate){
        .offset_lo = addr & 0xffff,
        .selector = SEL_KCODE,
        .ist = ist,
        .type_attr = 0x80 | dpl << 5 | 0xe,
        .offset_mid = addr >> 16 & 0xffff,
        .offset_hi = addr >> 32,
    };
}

static void
idt_init_once(void)
{
    if (idt[0].type_attr)
        return;
    for (unsigned v = 0; v < IDT_VECTORS; v++)
        idt_set(v, 0, 0);
    idt_set(2, IST_NMI, 0);
    idt_set(8, IST_DOUBLE_FAULT, 0);
    idt_set(18, IST_MACHINE_CHECK, 0);
    idt_set(3, 0, 3);           /* int3 from user mode is a breakpoint fault, not a #GP */
}

/* The legacy 8259 PICs: moved off the exception vectors, then masked for good. */
static void
pic_disable(void)
{
    static const uint8_t init[][2] = {
        { 0x20, 0x11 }, { 0xa0, 0x11 },     /* ICW1: init, ICW4 follows */
        { 0x21, 0x20 }, { 0xa1, 0x28 },     /* ICW2: vectors 0x20 and 0x28 */
        { 0x21, 0x04 }, { 0xa1, 0x02 },     /* ICW3: cascade on IRQ2 */
        { 0x21, 0x01 }, { 0xa1, 0x01 },     /* ICW4: 8086 mode */
        { 0x21, 0xff }, { 0xa1, 0xff },     /* mask everything */
    };
    for (unsigned i = 0; i < ARRAY_SIZE(init); i++)
        outb(init[i][0], init[i][1]);
}

static void
features_init(void)
{
    struct cpuid leaf7 = cpuid(7, 0);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT | CR4_PGE;
    if (leaf7.b & (1u << 7))
        cr4 |= CR4_SMEP;
    if (leaf7.b & (1u << 20)) {
        cr4 |= CR4_SMAP;
        smap_enabled = true;
    }
    if (leaf7.c & (1u << 2))
        cr4 |= CR4_UMIP;            /* keep kernel addresses (GDT, IDT) from user mode */
    if ((cpuid(1, 0).c & (1u << 17)) && paging_pcid_wanted()) {
        cr4 |= CR4_PCIDE;           /* CR3 holds PCID 0 (the kernel's) now, as it must */
        pcid_enabled = true;
        pcid_mask = PCID_COUNT - 1;
    }
    write_cr4(cr4);
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE | CR0_WP);
    kprintf("mica: CPU protections:%s%s%s%s%s\n", rdmsr(MSR_EFER) & EFER_NXE ? " NX" : "",
            cr4 & CR4_SMEP ? " SMEP" : "", cr4 & CR4_SMAP ? " SMAP" : "",
            cr4 & CR4_UMIP ? " UMIP" : "", cr4 & CR4_PCIDE ? ", TLB tagged by PCID" : "");
}

void
arch_cpu_init(struct percpu *cpu)
{
    struct arch_percpu *a = &cpu->arch;
    unsigned id = cpu->id;

    a->self = cpu;
    struct cpu_stacks *s = &stacks[id];
    a->kstack_top = (uint64_t)s->kstack + KSTACK_SIZE;
    a->tss.rsp[0] = a->kstack_top;
    paging_unmap_kernel_page((vaddr_t)s->guard);
    for (unsigned i = 0; i < IST_COUNT; i++) {
        a->tss.ist[i] = (uint64_t)s->ist[i].stack + IST_STACK_SIZE;
        paging_unmap_kernel_page((vaddr_t)s->ist[i].guard);
    }
    a->cr3 = read_cr3();
    gdt_init(a);

    idt_init_once();
    struct desc_ptr ip = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(ip));

    wrmsr(MSR_GS_BASE, (uint64_t)cpu);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, (uint64_t)(0x18 | 3) << 48 | (uint64_t)SEL_KCODE << 32);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_FMASK, RFLAGS_IF | RFLAGS_DF | RFLAGS_TF | RFLAGS_AC | RFLAGS_NT);

    features_init();
    if (id == 0)
        pic_disable();
}

/* A thread's first registers: ring 3, interrupts on, the FPU in its reset state. */
void
arch_thread_init(struct tcb *t, vaddr_t entry, vaddr_t sp, uint64_t arg)
{
    memset(&t->regs, 0, sizeof(t->regs));
    t->regs.rip = entry;
    t->regs.rsp = sp;
    t->regs.rdi = arg;
    t->regs.cs = SEL_UCODE;
    t->regs.ss = SEL_UDATA;
    t->regs.rflags = RFLAGS_IF | 0x2;           /* bit 1 is always set */
    t->regs.vector = VECTOR_SYSCALL;            /* enter by sysret */
    memset(&t->fpu, 0, sizeof(t->fpu));
    t->fpu.area[0] = 0x7f;                      /* FCW 0x037f: all x87 exceptions masked */
    t->fpu.area[1] = 0x03;
    uint32_t mxcsr = 0x1f80;                    /* all SSE exceptions masked */
    memcpy(&t->fpu.area[24], &mxcsr, sizeof(mxcsr));
}

void
arch_thread_forget(struct tcb *t)
{
    struct arch_percpu *a = arch_percpu_self();
    if (a->fs_thread == t)
        a->fs_thread = NULL;
}

noreturn void
arch_enter_user(struct tcb *t)
{
    arch_switch_to_user(t);
}

/* Under QEMU, a write of v to the isa-debug-exit port ends QEMU with status (v << 1) | 1. */
static uint16_t exit_port;

void
arch_set_exit_port(uint16_t port)
{
    exit_port = port;
}

noreturn void
arch_halt(enum halt_reason why)
{
    if (exit_port)
        outl(exit_port, 0x10 + (uint32_t)why);      /* QEMU exits with 33, 35 or 37 */
    cpu_halt_forever();
}

/* enum mica_reg order <-> struct arch_regs. */
#define REG_FIELDS(X) X(RIP, rip) X(RSP, rsp) X(RFLAGS, rflags) X(RAX, rax) X(RBX, rbx) \
    X(RCX, rcx) X(RDX, rdx) X(RSI, rsi) X(RDI, rdi) X(RBP, rbp) X(R8, r8) X(R9, r9)     \
    X(R10, r10) X(R11, r11) X(R12, r12) X(R13, r13) X(R14, r14) X(R15, r15)

void
arch_get_regs(const struct tcb *t, uint64_t regs[])
{
#define GET(name, field) regs[MICA_REG_##name] = t->regs.field;
    REG_FIELDS(GET)
#undef GET
}

int
arch_set_regs(struct tcb *t, const uint64_t regs[])
{
    if (regs[MICA_REG_RIP] >= MICA_USER_TOP || regs[MICA_REG_RSP] >= MICA_USER_TOP)
        return MICA_E_INVALID_ARG;
#define SET(name, field) t->regs.field = regs[MICA_REG_##name];
    REG_FIELDS(SET)
#undef SET
    t->regs.rflags = (regs[MICA_REG_RFLAGS] & MICA_RFLAGS_USER) | RFLAGS_IF | 0x2;
    t->regs.vector = 0;         /* leave by iret: every register is the thread's now */
    return MICA_E_OK;
}
