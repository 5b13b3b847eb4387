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
    THREAD_BLOCKED_SEND,    /* queued on an endpoint with a message (blocked_on) */
    THREAD_BLOCKED_RECV,    /* queued on an endpoint for a message (blocked_on) */
    THREAD_BLOCKED_REPLY,   /* its call was received: waiting for replier's reply */
    THREAD_BLOCKED_NTFN,    /* queued on a notification (blocked_on) */
};

/* How a user thread faulted, in arch-neutral terms, for the fault handler (or the log). */
enum fault_kind {
    FAULT_PAGE,
    FAULT_GENERAL_PROTECTION,
    FAULT_UNDEFINED_INSN,
    FAULT_DIVIDE,
    FAULT_BREAKPOINT,
    FAULT_OTHER,
    FAULT_SYSCALL,          /* a system call redirected to the fault handler */
};

#define FAULT_PAGE_WRITE    (1u << 0)   /* page fault flags (the ABI's MICA_FAULT_FLAG_*) */
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

struct mica_ipc_buffer;
struct notification;

/* A FIFO of threads blocked on one object, linked through their ipc_next/ipc_prev. */
struct tcb_queue {
    struct tcb *head, *tail;
};

/* A thread control block: one 4 KiB object, retyped from untyped memory (or made at boot). */
struct tcb {
    struct arch_regs regs;      /* written by entry code on every kernel entry */
    struct arch_fpu fpu;        /* saved when another thread takes the FPU */
    vaddr_t tls_base;           /* the user thread pointer (FS base on x86_64) */
    vaddr_t ipc_buffer;         /* user address of its IPC buffer page; 0: none */
    struct mica_ipc_buffer *ipc_kva;    /* its translation, valid while ipc_gen is current */
    uint64_t ipc_gen;           /* vspace_generation when ipc_kva was found; 0: never */
    struct cte ctable;          /* its capability space: a copy of a CNode capability */
    struct cte vtable;          /* its address space: a copy of a VSpace capability. Revoke
                                 * can empty this slot any time: check thread_has_vspace() */
    uint64_t space;             /* what the arch loads for vtable's space (arch_space_of()),
                                 * meaningful only while thread_has_vspace() */
    struct cte fault_ep;        /* where its faults go: a copy of an endpoint capability */
    struct rq_link rq;          /* run-queue link; owned by sched.c */

    /* IPC state, owned by ipc.c. */
    void *blocked_on;           /* the endpoint or notification it is queued on */
    struct tcb *ipc_next, *ipc_prev;
    uint64_t ipc_badge;         /* a blocked sender: the badge of the capability it used */
    bool ipc_call;              /* a blocked sender: it wants a reply */
    uint8_t ipc_rights;         /* the rights of a sender's capability: with the grant right
                                 * it (and the reply to its call) passes capabilities */
    bool fault_pending;         /* its message is the fault below, not its registers */
    struct fault fault;
    struct tcb *reply_to;       /* the caller this thread owes a reply */
    struct tcb *replier;        /* (a caller) the thread that owes it the reply */
    struct notification *bound; /* its bound notification, or NULL */
    uint64_t deadline;          /* timer tick its blocking operation times out at; 0: never */
    struct tcb *timeout_next, *timeout_prev;
    uint32_t flags;             /* MICA_TCB_FLAG_* */

    enum thread_state state;
    uint8_t prio;               /* scheduling priority, 0..255 */
    uint8_t mcp;                /* maximum controlled priority: the most it may give */
    uint8_t slice;              /* timer ticks left in its time slice */
    char name[32];
    uint64_t check_epoch;       /* invariants.c: the check that last visited it */
};


_Static_assert(offsetof(struct tcb, regs) == 0, "entry.S: the saved registers open the TCB");

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

/* Whether t has an address space to run in. */
static inline bool
thread_has_vspace(const struct tcb *t)
{
    return t->vtable.cap.type == MICA_OBJ_VSPACE;
}

/* Bumped whenever any mapping may have gone (vspace.c): translations found before are
 * then looked up again. */
extern uint64_t vspace_generation;

/*
 * t's IPC buffer through the physmap, or NULL if it has none, or its page is not mapped
 * writable in t's address space now. A mapped page is a live frame (deleting or revoking a
 * frame capability unmaps it before its memory can be retyped), and the translation is
 * trusted only while no mapping anywhere has gone since it was found, so the kernel never
 * writes into memory that has become something else.
 */
static inline struct mica_ipc_buffer *
ipc_buffer_of(struct tcb *t)
{
    if (!thread_has_vspace(t))
        return NULL;
    if (t->ipc_gen != vspace_generation) {     /* only a page found is remembered: a new */
        paddr_t pa = t->ipc_buffer ? arch_user_page(t->vtable.cap.obj, t->ipc_buffer,
                                                    PTE_P | PTE_U | PTE_W) : 0;
        if (!pa)                                /* mapping bumps no generation */
            return NULL;
        t->ipc_kva = phys_to_virt(pa);
        t->ipc_gen = vspace_generation;
    }
    return t->ipc_kva;
}

#endif
