/* SPDX-License-Identifier: MIT */
/* Threads: the user context the entry code saves, the address space they run in, and
 * their scheduling state. A blocked or stopped thread's whole state lives here, never on a
 * kernel stack: there is one kernel stack per CPU. */
#ifndef THREAD_H
#define THREAD_H

#include "arch.h"
#include "cspace.h"
#include "runqueue.h"

enum thread_state {
    THREAD_INACTIVE,        /* new or suspended: runs only after resume */
    THREAD_RUNNABLE,        /* running, or on a run queue */
    THREAD_STOPPED,         /* stopped after a fault nobody handles; resume restarts it */
};

/* A thread control block: one 4 KiB object, retyped from untyped memory (or made at boot). */
struct tcb {
    struct arch_regs regs;      /* written by entry code on every kernel entry */
    struct arch_fpu fpu;        /* saved when another thread takes the FPU */
    vaddr_t tls_base;           /* the user thread pointer (FS base on x86_64) */
    paddr_t vspace_root;        /* page-table root of vtable's address space; 0: none */
    vaddr_t ipc_buffer;         /* user address of its IPC buffer page; 0: none */
    struct cte ctable;          /* its capability space: a copy of a CNode capability */
    struct cte vtable;          /* its address space: a copy of a VSpace capability */
    struct cte fault_ep;        /* where its faults go: a copy of an endpoint capability */
    struct rq_link rq;          /* run-queue link; owned by sched.c */
    enum thread_state state;
    uint8_t prio;               /* scheduling priority, 0..255 */
    uint8_t mcp;                /* maximum controlled priority: the most it may give */
    uint8_t slice;              /* timer ticks left in its time slice */
    char name[32];
};

/* How a user thread faulted, in arch-neutral terms, for the fault handler (or the log). */
enum fault_kind {
    FAULT_PAGE,
    FAULT_GENERAL_PROTECTION,
    FAULT_UNDEFINED_INSN,
    FAULT_DIVIDE,
    FAULT_BREAKPOINT,
    FAULT_OTHER,
};

#define FAULT_PAGE_WRITE    (1u << 0)   /* page fault flags */
#define FAULT_PAGE_PRESENT  (1u << 1)   /* a protection fault on a present page */
#define FAULT_PAGE_EXEC     (1u << 2)

struct fault {
    enum fault_kind kind;
    unsigned vector;        /* the architecture's number for it */
    uint64_t code;          /* the architecture's error code */
    unsigned flags;         /* FAULT_PAGE_* for page faults */
    vaddr_t addr;           /* faulting data address (page faults) */
    vaddr_t ip;
};

/* Make a new, inactive thread in the zeroed TCB memory at t. */
void thread_init(struct tcb *t, const char *name);

/* Make t runnable (from inactive or stopped), or take it off the CPU (inactive). */
void thread_resume(struct tcb *t);
void thread_suspend(struct tcb *t);

/* The last capability to t went: stop it for good and drop its references. */
void thread_destroy(struct tcb *t);

/* The current thread faulted in user mode: deliver it (for now: log and stop the thread). */
void thread_fault(struct tcb *t, const struct fault *f);

/* Handle the system call the current thread made; its result goes in its saved registers. */
void syscall_dispatch(struct tcb *t);

/* Leave the kernel: to the thread the scheduler picks, or to idle. */
noreturn void kernel_exit(void);

#endif
