// SPDX-License-Identifier: MIT
/* Where entry.S lands: exceptions and interrupts from user and kernel mode, and syscalls.
 * A user exception becomes an arch-neutral struct fault for the thread's handler; a kernel
 * exception is a kernel bug and stops the machine with a register dump and a stack trace,
 * except a page fault in the user-copy routine, which returns an error to the caller. */
#include "percpu.h"
#include "sched.h"
#include "thread.h"

#include "apic.h"

#include <arch/cpu.h>

#define VEC_PAGE_FAULT      14

static const char *const exception_names[32] = {
    [0] = "divide error (#DE)",             [1] = "debug (#DB)",
    [2] = "non-maskable interrupt",         [3] = "breakpoint (#BP)",
    [4] = "overflow (#OF)",                 [5] = "bound range exceeded (#BR)",
    [6] = "invalid opcode (#UD)",           [7] = "device not available (#NM)",
    [8] = "double fault (#DF)",             [10] = "invalid TSS (#TS)",
    [11] = "segment not present (#NP)",     [12] = "stack fault (#SS)",
    [13] = "general protection (#GP)",      [14] = "page fault (#PF)",
    [16] = "x87 floating point (#MF)",      [17] = "alignment check (#AC)",
    [18] = "machine check (#MC)",           [19] = "SIMD floating point (#XM)",
    [20] = "virtualization (#VE)",          [21] = "control protection (#CP)",
};

static const char *
vector_name(uint64_t v)
{
    if (v < 32 && exception_names[v])
        return exception_names[v];
    return v < 32 ? "reserved exception" : "interrupt";
}

/* Page-fault error code bits (Intel SDM Vol. 3A, 4.7). */
#define PF_PRESENT  (1u << 0)
#define PF_WRITE    (1u << 1)
#define PF_USER     (1u << 2)
#define PF_FETCH    (1u << 4)

static void
dump_regs(const struct arch_regs *r)
{
    kprintf("  rip %016lx  cs %04lx  rflags %016lx  rsp %016lx  ss %04lx\n",
            r->rip, r->cs, r->rflags, r->rsp, r->ss);
    kprintf("  rax %016lx  rbx %016lx  rcx %016lx  rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    kprintf("  rsi %016lx  rdi %016lx  rbp %016lx  r8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    kprintf("  r9  %016lx  r10 %016lx  r11 %016lx  r12 %016lx\n", r->r9, r->r10, r->r11, r->r12);
    kprintf("  r13 %016lx  r14 %016lx  r15 %016lx\n", r->r13, r->r14, r->r15);
    kprintf("  cr0 %016lx  cr2 %016lx  cr3 %016lx  cr4 %016lx\n",
            read_cr0(), read_cr2(), read_cr3(), read_cr4());
}

void
arch_backtrace(uint64_t fp)
{
    kprintf("  stack trace (addr2line -e build/kernel.elf):\n");
    for (unsigned depth = 0; fp && depth < 32; depth++) {
        /* Walk only through kernel memory, never into user pages or off a mapping. */
        if (fp % 8 || fp < KERNEL_VMA || fp > ~0UL - 16)
            break;
        const uint64_t *frame = (const uint64_t *)fp;
        if (!frame[1])
            break;
        kprintf("    #%u %016lx\n", depth, frame[1]);
        fp = frame[0];
    }
}

static noreturn void
kernel_exception(const struct arch_regs *r, const char *mode)
{
    static bool panicking;
    if (panicking) {                /* a fault while reporting one: say so and stop */
        kprintf("\nmica: PANIC: %s during a panic, rip %016lx\n", vector_name(r->vector), r->rip);
        arch_halt(HALT_PANIC);
    }
    panicking = true;
    char detail[80] = "";
    if (r->vector == VEC_PAGE_FAULT)
        ksnprintf(detail, sizeof(detail), " at %016lx (%s, %s)", read_cr2(),
                  r->error & PF_WRITE ? "write" : r->error & PF_FETCH ? "fetch" : "read",
                  r->error & PF_PRESENT ? "protection" : "not present");
    kprintf("\nmica: PANIC: %s in %s mode%s, vector %lu, error code %#lx\n",
            vector_name(r->vector), mode, detail, r->vector, r->error);
    dump_regs(r);
    kprintf("    #- %016lx (faulting instruction)\n", r->rip);
    arch_backtrace(r->rbp);
    kprintf("mica: system halted\n");
    arch_halt(HALT_PANIC);
}

struct extable_entry {
    uint64_t insn, fixup;
};
extern const struct extable_entry __extable_start[], __extable_end[];

/* A kernel-mode fault where the kernel touches user memory resumes at the fixup. */
static bool
fixup_user_access(struct arch_regs *r)
{
    if (r->vector != VEC_PAGE_FAULT || read_cr2() >= MICA_USER_TOP)
        return false;
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++) {
        if (e->insn == r->rip) {
            r->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static void
handle_interrupt(uint64_t vector)
{
    if (vector == VEC_APIC_TIMER) {
        apic_eoi();
        sched_tick();
        return;
    }
    if (vector >= VEC_IOAPIC_BASE && vector < VEC_IOAPIC_END) {
        ioapic_interrupt((unsigned)vector);
        return;
    }
    if (vector == VEC_APIC_SPURIOUS || (vector >= VEC_PIC_BASE && vector < VEC_PIC_END))
        return;             /* spurious: no EOI, nothing to do */
    kprintf("mica: unexpected interrupt vector %lu, ignored\n", vector);
    apic_eoi();             /* or it would block every vector below it, the timer's too */
}

static enum fault_kind
fault_kind(uint64_t vector)
{
    switch (vector) {
    case 0: return FAULT_DIVIDE;
    case 3: return FAULT_BREAKPOINT;
    case 6: return FAULT_UNDEFINED_INSN;
    case 13: return FAULT_GENERAL_PROTECTION;
    case VEC_PAGE_FAULT: return FAULT_PAGE;
    default: return FAULT_OTHER;
    }
}

static void
decode_fault(const struct arch_regs *r, struct fault *f)
{
    *f = (struct fault){
        .kind = fault_kind(r->vector),
        .vector = (unsigned)r->vector,
        .code = r->error,
        .ip = r->rip,
    };
    if (f->kind == FAULT_PAGE) {
        f->addr = read_cr2();
        f->flags = (r->error & PF_WRITE ? FAULT_PAGE_WRITE : 0) |
                   (r->error & PF_PRESENT ? FAULT_PAGE_PRESENT : 0) |
                   (r->error & PF_FETCH ? FAULT_PAGE_EXEC : 0);
    }
}

/* Entry from user mode; regs is the current thread's saved context. */
noreturn void
trap_from_user(struct arch_regs *regs)
{
    struct tcb *t = this_cpu()->current;
    if (regs != &t->regs)           /* NMI, #DF, #MC: on an IST stack, never a thread's fault */
        kernel_exception(regs, "user");
    if (regs->vector >= 32) {
        handle_interrupt(regs->vector);
    } else {
        struct fault f;
        decode_fault(regs, &f);
        thread_fault(t, &f);
    }
    kernel_exit();
}

/* Entry from kernel mode: an interrupt while idle, or a fault. Returns to resume. */
void
trap_from_kernel(struct arch_regs *regs)
{
    if (regs->vector >= 32) {
        handle_interrupt(regs->vector);
        kernel_exit();              /* only idle takes interrupts: schedule afresh */
    }
    if (fixup_user_access(regs))
        return;
    kernel_exception(regs, "kernel");
}

/* From syscall_entry, after the fast path declined (entry.S). */
noreturn void
syscall_from_user(struct tcb *t)
{
    syscall_dispatch(t);
    kernel_exit();
}

int copy_user_bytes(void *dst, const void *src, size_t n);     /* entry.S */

static bool
user_range(vaddr_t addr, size_t n)
{
    vaddr_t end;
    return !__builtin_add_overflow(addr, n, &end) && end <= MICA_USER_TOP;
}

int
arch_copy_from_user(void *dst, vaddr_t usrc, size_t n)
{
    if (!user_range(usrc, n))
        return MICA_E_FAULT;
    return copy_user_bytes(dst, (const void *)usrc, n) ? MICA_E_FAULT : MICA_E_OK;
}

