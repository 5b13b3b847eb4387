/* SPDX-License-Identifier: MIT */
/* Every hook an architecture port provides to the portable kernel (kernel/arch/<arch>/). */
#ifndef KERNEL_ARCH_H
#define KERNEL_ARCH_H

#include "kernel.h"
#include <arch/mmu.h>
#include <arch/regs.h>

struct bootinfo;
struct percpu;
struct tcb;

/* Boot, in this order: console, memory, this CPU, the timer. */
void arch_console_init(void);
void arch_console_putc(char c);
void arch_paging_init(const struct bootinfo *bi);
void arch_cpu_init(struct percpu *cpu);
void arch_timer_init(unsigned hz);

/* Whether the kernel uses device registers in [base, base + size) (its MMIO mappings). */
bool arch_phys_kernel_mmio(paddr_t base, uint64_t size);

/* Early reads of physical memory (the boot loader's information), before paging is set up:
 * a pointer to len bytes at addr, or NULL if the early mapping does not cover them. */
const void *arch_boot_read(paddr_t addr, size_t len);

/* Address spaces: a root page table per task; the kernel half is shared by all. */
enum {
    VM_READ = 1 << 0,
    VM_WRITE = 1 << 1,
    VM_EXEC = 1 << 2,
};
int arch_vspace_create(paddr_t *root);
/* What the switch to a thread loads for the address space root with ASID asid (CR3). */
uint64_t arch_space_of(paddr_t root, unsigned asid);
/* Make the zeroed page at root an address space: the kernel half is shared by all. */
void arch_vspace_init(paddr_t root);
/* root is being destroyed: make sure no CPU runs on it any more. */
void arch_vspace_release(paddr_t root);
/* Map the page pa at user address va with the rights prot (VM_*); mapping the same page
 * again changes its rights. MICA_E_INVALID_ARG if va is not a page-aligned user address or
 * already maps another page; MICA_E_NO_MEMORY if a page table cannot be allocated. */
int arch_vspace_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned prot);
/* The physical page mapped at user address va, or 0. (<arch/mmu.h> also gives the inline
 * arch_user_page(), which can ask for a page user code may write.) */
paddr_t arch_vspace_lookup(paddr_t root, vaddr_t va);
/* Free every user page and page table below root, then root itself. */
void arch_vspace_destroy(paddr_t root);

/* User-managed paging structures (vspace.c checks the arguments first):
 * - install table at the first level missing on the walk to va: MICA_E_SLOT_FULL if none;
 * - remove table from the walk to va, if it is there;
 * - whether a table maps nothing;
 * - map the frame pa of 2^bits bytes at va with MICA_MAP_* attributes: MICA_E_NO_TABLE if a
 *   table on the way is missing, MICA_E_SLOT_FULL if va is mapped;
 * - remove the mapping of pa at va, if it is there;
 * - what va maps to: the physical address (0: nothing) and its MICA_MAP_* attributes. */
int arch_table_map(paddr_t root, vaddr_t va, paddr_t table);
void arch_table_unmap(paddr_t root, unsigned asid, vaddr_t va, paddr_t table);
bool arch_table_reachable(paddr_t root, vaddr_t va, paddr_t table);
bool arch_table_empty(paddr_t table);
int arch_frame_map(paddr_t root, vaddr_t va, paddr_t pa, unsigned bits, unsigned attrs);
void arch_frame_unmap(paddr_t root, unsigned asid, vaddr_t va, paddr_t pa, unsigned bits);

/* TLB tags: an address space's ASID tags its TLB entries where the CPU can (PCIDs), so a
 * switch keeps them. arch_tlb_tags(false) before arch_cpu_init() turns that off (`nopcid`);
 * arch_asid_new() says an ASID names a new address space: its old entries must go. */
void arch_tlb_tags(bool on);
void arch_asid_new(unsigned asid);
paddr_t arch_vspace_query(paddr_t root, vaddr_t va, unsigned *attrs);

/* For the invariant checks: call fn for every present entry of the user half of the address
 * space root, parents before the tables they point to: span_bits is log2 of the bytes the
 * entry covers, va the first of them, pa the page or table it names, leaf whether it maps
 * a page. And whether two roots share the same kernel half, as every address space must. */
typedef void (*arch_walk_fn)(void *ctx, unsigned span_bits, vaddr_t va, paddr_t pa, bool leaf);
void arch_vspace_walk(paddr_t root, arch_walk_fn fn, void *ctx);
bool arch_vspace_same_kernel(paddr_t a, paddr_t b);

/* Threads: registers for a first entry to user mode at entry, with stack sp and argument arg. */
void arch_thread_init(struct tcb *t, vaddr_t entry, vaddr_t sp, uint64_t arg);
/* Forget what this CPU has loaded of t (its thread pointer): t's TLS base changed, or t is
 * being destroyed and its memory may hold another thread soon. */
void arch_thread_forget(struct tcb *t);

/* Leave the kernel into thread t; the kernel stack is abandoned. */
noreturn void arch_enter_user(struct tcb *t);
/* Wait for an interrupt on an empty kernel stack. */
noreturn void arch_idle(void);

/* System-call arguments, by name, from a saved user context. */
static inline uint64_t arch_syscall_number(const struct arch_regs *r) { return r->rax; }
static inline uint64_t arch_syscall_arg(const struct arch_regs *r, unsigned i)
{
    switch (i) {
    case 0: return r->rdi;
    case 1: return r->rsi;
    case 2: return r->rdx;
    case 3: return r->r10;
    case 4: return r->r8;
    default: return r->r9;
    }
}
static inline void arch_syscall_return(struct arch_regs *r, uint64_t v) { r->rax = v; }
static inline uint64_t arch_syscall_timeout(const struct arch_regs *r) { return r->r12; }
static inline uint64_t arch_regs_ip(const struct arch_regs *r) { return r->rip; }

/* Make a thread that entered by `syscall` execute the instruction again when it resumes. */
static inline void
arch_syscall_restart(struct arch_regs *r)
{
    r->rip -= 2;                    /* syscall is 0f 05 */
}

/* Message registers MR0-MR3, where the system call carries them. */
static inline uint64_t arch_get_mr(const struct arch_regs *r, unsigned i)
{
    return arch_syscall_arg(r, 2 + i);
}
static inline void
arch_set_mr(struct arch_regs *r, unsigned i, uint64_t v)
{
    switch (i) {
    case 0: r->rdx = v; break;
    case 1: r->r10 = v; break;
    case 2: r->r8 = v; break;
    default: r->r9 = v; break;
    }
}

/* A redirected system call as a message (its number, six arguments, return address) into
 * the receiver's registers (MR0-MR3) and IPC buffer words mr[4..7]. */
static inline void
arch_syscall_message(struct arch_regs *to, uint64_t *mr, const struct arch_regs *from)
{
    to->rdx = from->rax;
    to->r10 = from->rdi;
    to->r8 = from->rsi;
    to->r9 = from->rdx;
    mr[4] = from->r10;
    mr[5] = from->r8;
    mr[6] = from->r9;
    mr[7] = from->rip;
}

/* Copy the register message registers MR0-MR3 of one saved context to another. */
static inline void
arch_copy_mrs(struct arch_regs *to, const struct arch_regs *from)
{
    to->rdx = from->rdx;
    to->r10 = from->r10;
    to->r8 = from->r8;
    to->r9 = from->r9;
}

/* What a receive returns besides the message registers: error, badge, message info. */
static inline void
arch_set_recv(struct arch_regs *r, uint64_t err, uint64_t badge, uint64_t info)
{
    r->rax = err;
    r->rdi = badge;
    r->rsi = info;
}

/* The reply of MICA_SYS_CALL: error, message info and the register message registers. */
static inline void
arch_set_reply(struct arch_regs *r, uint64_t err, uint64_t info, const uint64_t mr[4])
{
    r->rax = err;
    r->rsi = info;
    r->rdx = mr[0];
    r->r10 = mr[1];
    r->r8 = mr[2];
    r->r9 = mr[3];
}

/* A thread's registers in enum mica_reg order, and back: MICA_E_INVALID_ARG (nothing
 * changed) for an instruction or stack pointer outside user space; flags are masked. */
void arch_get_regs(const struct tcb *t, uint64_t regs[]);
int arch_set_regs(struct tcb *t, const uint64_t regs[]);

/* Copy n bytes from user address usrc; MICA_E_FAULT if any byte is not readable user
 * memory (some bytes may have been copied). */
int arch_copy_from_user(void *dst, vaddr_t usrc, size_t n);

/* Stop the machine; under QEMU with the isa-debug-exit device, QEMU exits and its
 * status tells the reason (docs/testing.md). */
noreturn void arch_halt(enum halt_reason why);
void arch_set_exit_port(uint16_t port);

/* Print the return addresses on the frame-pointer chain that starts at fp. */
void arch_backtrace(uint64_t fp);

/*
 * Interrupt lines for user-level drivers (kernel/irq.c). Lines are numbered from 0 to
 * arch_irq_count() - 1; arch_irq_reserved() says which of them the kernel keeps (its own
 * devices, inputs with no device). Every line starts masked. When an interrupt arrives on
 * a line the arch masks it, acknowledges the interrupt controller and calls irq_deliver();
 * the line stays masked until arch_irq_mask(line, false).
 */
void arch_irq_init(void);
unsigned arch_irq_count(void);
bool arch_irq_reserved(unsigned line);
void arch_irq_mask(unsigned line, bool masked);
void irq_deliver(unsigned line);        /* kernel/irq.c, called by the arch */

/* I/O ports (kernel/ioport.c), on architectures that have them: whether the kernel keeps a
 * port for itself; a read or write of width 1, 2 or 4 bytes at port. */
bool arch_port_reserved(unsigned port);
uint32_t arch_port_in(unsigned port, unsigned width);
void arch_port_out(unsigned port, unsigned width, uint32_t value);
/* count bytes to one port, in order (x86: rep outsb). */
void arch_port_out_string(unsigned port, const uint8_t *bytes, unsigned count);

#endif
