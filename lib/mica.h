/* SPDX-License-Identifier: MIT */
/* The native Mica runtime: system-call stubs written against abi/mica/syscall.h, and the
 * few helpers every program needs. Formatting and strings come from musl's libc.a. */
#ifndef MICA_H
#define MICA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <mica/bootinfo.h>
#include <mica/caps.h>
#include <mica/errors.h>
#include <mica/invocation.h>
#include <mica/msg.h>
#include <mica/syscall.h>
#include <mica/x86_64/layout.h>
#include <mica/x86_64/regs.h>

static inline long
mica_syscall2(long n, long a0, long a1)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a0), "S"(a1)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Give up the rest of this time slice. */
static inline long mica_yield(void) { return mica_syscall2(MICA_SYS_YIELD, 0, 0); }

/* Write len bytes (at most MICA_DEBUG_WRITE_MAX) to the kernel console; a mica_error. */
static inline long
mica_debug_write(const void *buf, size_t len)
{
    return mica_syscall2(MICA_SYS_DEBUG_WRITE, (long)buf, (long)len);
}

/* Set the calling thread's thread pointer (FS base), which musl's code reads. */
static inline long
mica_set_tls_base(void *base)
{
    return mica_syscall2(MICA_SYS_SET_TLS_BASE, (long)base, 0);
}

/* Stop the machine (tests and the root task when it is done): 0 for success. A thread
 * without the right to (MICA_TCB_FLAG_HALT) stops itself instead: its task's exit. */
_Noreturn void mica_halt(long status);

/*
 * MICA_SYS_CALL: invoke the object cap with label and len message registers from mr[];
 * the reply's message registers come back in mr[] (room for MICA_MSG_MAX_WORDS), their
 * number in *reply_len (may be NULL). Registers past MICA_MSG_REG_WORDS travel through
 * the IPC buffer, which mica_set_ipc_buffer() names. Returns a mica_error.
 */
long mica_invoke(mica_cptr_t cap, uint64_t label, unsigned len, uint64_t mr[],
                 unsigned *reply_len);

/* A message as the IPC system calls carry it: the info word (label, length, capabilities),
 * the badge of a received message, and MR0-MR3 (the rest is in the IPC buffer). */
struct mica_msg {
    uint64_t info;
    uint64_t badge;
    uint64_t mr[MICA_MSG_REG_WORDS];
};

/* One IPC system call (MICA_SYS_SEND, _CALL, _RECV, _REPLY_RECV) on cap: m goes out and the
 * message received (if any) comes back in it. Returns a mica_error. */
static inline long
mica_ipc(long sysno, mica_cptr_t cap, struct mica_msg *m, uint64_t timeout)
{
    register uint64_t rdi __asm__("rdi") = cap;
    register uint64_t rsi __asm__("rsi") = m->info;
    register uint64_t rdx __asm__("rdx") = m->mr[0];
    register uint64_t r10 __asm__("r10") = m->mr[1];
    register uint64_t r8 __asm__("r8") = m->mr[2];
    register uint64_t r9 __asm__("r9") = m->mr[3];
    register uint64_t r12 __asm__("r12") = timeout;
    long ret = sysno;
    __asm__ volatile("syscall"
                     : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "r"(r12)
                     : "rcx", "r11", "memory");
    m->badge = rdi;
    m->info = rsi;
    m->mr[0] = rdx;
    m->mr[1] = r10;
    m->mr[2] = r8;
    m->mr[3] = r9;
    return ret;
}

static inline long
mica_send(mica_cptr_t ep, struct mica_msg *m, uint64_t timeout)
{
    return mica_ipc(MICA_SYS_SEND, ep, m, timeout);
}
static inline long
mica_call(mica_cptr_t ep, struct mica_msg *m, uint64_t timeout)
{
    return mica_ipc(MICA_SYS_CALL, ep, m, timeout);
}
static inline long
mica_recv(mica_cptr_t ep, struct mica_msg *m, uint64_t timeout)
{
    return mica_ipc(MICA_SYS_RECV, ep, m, timeout);
}
static inline long
mica_reply_recv(mica_cptr_t ep, struct mica_msg *m, uint64_t timeout)
{
    return mica_ipc(MICA_SYS_REPLY_RECV, ep, m, timeout);
}

/* Notifications: signal ORs the capability's badge (or 1) into the word; wait returns the
 * word in *bits and clears it (timeout MICA_TIMEOUT_POLL: poll). */
static inline long
mica_signal(mica_cptr_t ntfn)
{
    struct mica_msg m = { 0 };
    return mica_ipc(MICA_SYS_SEND, ntfn, &m, MICA_TIMEOUT_POLL);
}
static inline long
mica_wait(mica_cptr_t ntfn, uint64_t *bits, uint64_t timeout)
{
    struct mica_msg m = { 0 };
    long err = mica_ipc(MICA_SYS_RECV, ntfn, &m, timeout);
    *bits = m.badge;
    return err;
}

/* A thread's area, reached through FS (the TLS base): musl's thread descriptor first,
 * then the runtime's per-thread words (the IPC buffer's address). */
#define MICA_AREA_IPC_WORD  32
#define MICA_AREA_TCB_WORD  33      /* the thread's own TCB capability (0: unknown) */
struct mica_thread_area {
    uintptr_t word[64];
} __attribute__((aligned(64)));

/* Prepare an area for a new thread whose IPC buffer is ipc; then point the thread's TLS
 * base at it (mica_tcb_set_tls_base) before it runs. */
void mica_thread_area_init(struct mica_thread_area *area, struct mica_ipc_buffer *ipc);

/* This thread's IPC buffer, from its thread area (the kernel's copy is set by configure). */
static inline struct mica_ipc_buffer *
mica_ipc_buffer(void)
{
    struct mica_ipc_buffer *buf;
    __asm__("mov %%fs:%c1, %0" : "=r"(buf) : "i"(MICA_AREA_IPC_WORD * 8));
    return buf;
}

/* The root task's boot information (NULL in other tasks), and the main thread's area. */
extern const struct mica_bootinfo *mica_bootinfo;
void *mica_thread_area(void);

/* The value of "key=value" (or "" for a bare "key") on the kernel command line, which the
 * root task's boot information carries, copied into buf; 0 if absent (or not the root task). */
int mica_boot_option(const char *key, char *buf, size_t size);

/* The root task's largest untyped capability (0 in other tasks). */
mica_cptr_t mica_boot_largest_untyped(void);

/* Object methods (docs/api.md). Each returns a mica_error. */
long mica_cnode_copy(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src,
                     unsigned rights);
long mica_cnode_mint(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src,
                     unsigned rights, uint64_t badge);
long mica_cnode_move(mica_cptr_t cnode, uint64_t dest, mica_cptr_t src_cnode, uint64_t src);
long mica_cnode_delete(mica_cptr_t cnode, uint64_t slot);
long mica_cnode_revoke(mica_cptr_t cnode, uint64_t slot);

struct mica_cap_info {
    uint64_t type, rights, badge, size_bits;
};
long mica_cnode_identify(mica_cptr_t cnode, uint64_t slot, struct mica_cap_info *out);

long mica_untyped_retype(mica_cptr_t untyped, unsigned type, unsigned size_bits,
                         mica_cptr_t dest_cnode, uint64_t dest, uint64_t count);

long mica_tcb_configure(mica_cptr_t tcb, mica_cptr_t cspace, mica_cptr_t vspace,
                        uint64_t ipc_buffer, mica_cptr_t fault_ep);
long mica_tcb_read_regs(mica_cptr_t tcb, uint64_t regs[MICA_REG_COUNT]);
long mica_tcb_write_regs(mica_cptr_t tcb, const uint64_t regs[MICA_REG_COUNT]);
long mica_tcb_suspend(mica_cptr_t tcb);
long mica_tcb_resume(mica_cptr_t tcb);
long mica_tcb_set_priority(mica_cptr_t tcb, uint64_t prio);
long mica_tcb_set_mcp(mica_cptr_t tcb, uint64_t mcp);
long mica_tcb_set_tls_base(mica_cptr_t tcb, uint64_t base);
/* The kernel's idea of the thread's IPC buffer; for the calling thread itself, also store
 * it in the thread area (MICA_AREA_IPC_WORD), which the runtime reads. */
long mica_tcb_set_ipc_buffer(mica_cptr_t tcb, uint64_t addr);
long mica_tcb_bind_notification(mica_cptr_t tcb, mica_cptr_t ntfn);
long mica_tcb_set_flags(mica_cptr_t tcb, uint64_t flags);
/* Its name in the kernel's messages (faults, halts): up to 31 printable bytes. */
long mica_tcb_set_name(mica_cptr_t tcb, const char *name);

/* Frames, page tables and address spaces. */
long mica_frame_map(mica_cptr_t frame, mica_cptr_t vspace, uint64_t vaddr, unsigned attrs);
long mica_frame_unmap(mica_cptr_t frame);
long mica_frame_address(mica_cptr_t frame, uint64_t *paddr);
long mica_page_table_map(mica_cptr_t table, mica_cptr_t vspace, uint64_t vaddr);
long mica_page_table_unmap(mica_cptr_t table);
long mica_vspace_query(mica_cptr_t vspace, uint64_t vaddr, uint64_t *paddr, unsigned *attrs);

/* Device memory: a device frame (type MICA_OBJ_FRAME; it maps only with MICA_MAP_UNCACHED)
 * or a smaller block (MICA_OBJ_DEVICE_MEMORY) at paddr, into slot dest of dest_cnode. */
long mica_device_memory_issue(mica_cptr_t block, unsigned type, uint64_t paddr, unsigned size_bits,
                              mica_cptr_t dest_cnode, uint64_t dest);

/* Interrupts: take a line (IRQ control, the root task's MICA_SLOT_IRQ_CONTROL) into
 * (dest_cnode, dest); bind a notification, signalled with badge (0: the capability's own)
 * at each interrupt; acknowledge (unmask the line); unbind (mask it). */
long mica_irq_control_get(mica_cptr_t control, uint64_t line, mica_cptr_t dest_cnode,
                          uint64_t dest);
long mica_irq_handler_set_notification(mica_cptr_t handler, mica_cptr_t ntfn, uint64_t badge);
long mica_irq_handler_ack(mica_cptr_t handler);
long mica_irq_handler_clear(mica_cptr_t handler);

/* I/O ports: a capability for ports first..last of ours into (dest_cnode, dest); reading
 * and writing 1, 2 or 4 bytes at a port in the range. */
long mica_io_ports_issue(mica_cptr_t ports, uint64_t first, uint64_t last,
                         mica_cptr_t dest_cnode, uint64_t dest);
long mica_io_in(mica_cptr_t ports, uint64_t port, unsigned width, uint32_t *value);
long mica_io_out(mica_cptr_t ports, uint64_t port, unsigned width, uint32_t value);
/* n bytes to one port in one invocation (n at most MICA_IO_PORTS_STRING_MAX: RANGE). */
long mica_io_out_string(mica_cptr_t ports, uint64_t port, const void *bytes, size_t n);
static inline long
mica_io_in8(mica_cptr_t ports, uint64_t port, uint8_t *value)
{
    uint32_t v = 0;
    long err = mica_io_in(ports, port, 1, &v);
    *value = (uint8_t)v;
    return err;
}
static inline long
mica_io_out8(mica_cptr_t ports, uint64_t port, uint8_t value)
{
    return mica_io_out(ports, port, 1, value);
}

/* A thread sharing its creator's CNode and VSpace (slots MICA_SLOT_CNODE, _VSPACE), with
 * its own IPC buffer, thread area and stack, all in this structure. */
#define MICA_THREAD_STACK_WORDS 2048
struct mica_thread {
    struct mica_ipc_buffer ipc __attribute__((aligned(4096)));
    struct mica_thread_area area;
    mica_cptr_t tcb;
    uint64_t stack[MICA_THREAD_STACK_WORDS] __attribute__((aligned(16)));
};

/* Retype a TCB from untyped into slot of our CNode, set it up to run fn(arg) at prio
 * (fn must never return), and leave it suspended: mica_tcb_resume(th->tcb) starts it. */
long mica_thread_create(struct mica_thread *th, mica_cptr_t untyped, uint64_t slot,
                        void (*fn)(uint64_t), uint64_t arg, unsigned prio);

/* Any length of text to the kernel console, in MICA_DEBUG_WRITE_MAX pieces. */
long mica_puts(const char *s);
int mica_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
