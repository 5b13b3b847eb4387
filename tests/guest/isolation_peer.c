// SPDX-License-Identifier: MIT
/* The isolation tests' peer (module 1): a task of its own that tries to reach what it holds
 * no capability to, and reports each outcome to the root task (tests/guest/isolation.c),
 * which judges it. Its memory probes run in threads whose faults come to it. */
#include "isolation_proto.h"
#include "mica.h"

static void
report(uint64_t label, uint64_t a, uint64_t b, uint64_t c)
{
    struct mica_msg m = { .info = mica_msginfo(label, 3), .mr = { a, b, c } };
    mica_call(PEER_REPORT, &m, MICA_TIMEOUT_FOREVER);
}

/* Every index but the ones it holds, and some far beyond its CNode: nothing there. */
static void
guess_indices(void)
{
    uint64_t wrong = 0, tried = 0;
    for (uint64_t i = 0; i < PEER_SLOTS + 64 + 64; i++) {
        uint64_t cptr = i < PEER_SLOTS + 64 ? i : (i * 0x9e3779b97f4a7c15u) >> (i % 64);
        if (cptr == MICA_SLOT_TCB || cptr == MICA_SLOT_CNODE || cptr == MICA_SLOT_VSPACE ||
            (cptr >= PEER_REPORT && cptr < PEER_FIRST_FREE))
            continue;
        struct mica_msg m = { .info = mica_msginfo(1, 0) };
        wrong += mica_send(cptr, &m, MICA_TIMEOUT_POLL) != MICA_E_NO_CAP;
        wrong += mica_tcb_suspend(cptr) != MICA_E_NO_CAP;
        wrong += mica_cnode_copy(cptr, PEER_FIRST_FREE, MICA_SLOT_CNODE, MICA_SLOT_TCB,
                                 MICA_RIGHTS_ALL) != MICA_E_NO_CAP;
        tried++;
    }
    report(R_GUESS, wrong, tried, 0);
}

/* A badge is the capability's, whatever the sender puts in its registers; it cannot be
 * minted anew. Then the root revokes the capability: its index is empty. */
static void
badges_and_stale_index(void)
{
    uint64_t wrong = mica_cnode_mint(MICA_SLOT_CNODE, PEER_FIRST_FREE, MICA_SLOT_CNODE,
                                     PEER_SERVICE, MICA_RIGHTS_ALL, 0x1) != MICA_E_INVALID_ARG;
    register uint64_t rdi __asm__("rdi") = PEER_SERVICE;
    register uint64_t rsi __asm__("rsi") = mica_msginfo(R_BADGE, 1);
    register uint64_t rdx __asm__("rdx") = wrong;
    register uint64_t r12 __asm__("r12") = MICA_TIMEOUT_FOREVER;
    long ret = MICA_SYS_CALL;       /* rdi names the capability; no register carries a badge */
    __asm__ volatile("syscall" : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                     : "r"(r12) : "rcx", "r8", "r9", "r10", "r11", "memory");
    struct mica_msg m = { .info = mica_msginfo(R_BADGE, 0) };
    report(R_STALE, mica_send(PEER_SERVICE, &m, MICA_TIMEOUT_POLL), 0, 0);
}

static void
priorities(void)
{
    static struct mica_thread t;
    uint64_t wrong = 0;
    wrong += mica_tcb_set_priority(MICA_SLOT_TCB, MICA_BOOT_PRIO + 1) != MICA_E_NO_RIGHTS;
    wrong += mica_tcb_set_priority(MICA_SLOT_TCB, MICA_MAX_PRIO) != MICA_E_NO_RIGHTS;
    wrong += mica_tcb_set_mcp(MICA_SLOT_TCB, MICA_BOOT_PRIO + 1) != MICA_E_NO_RIGHTS;
    wrong += mica_thread_create(&t, PEER_UNTYPED, PEER_FIRST_FREE + 1, 0, 0, MICA_BOOT_PRIO) != 0;
    wrong += mica_tcb_set_priority(t.tcb, 150) != MICA_E_NO_RIGHTS;
    wrong += mica_tcb_set_mcp(t.tcb, 150) != MICA_E_NO_RIGHTS;
    wrong += mica_tcb_set_priority(MICA_SLOT_TCB, MICA_BOOT_PRIO) != MICA_E_OK;
    report(R_PRIO, wrong, 0, 0);
}

static volatile uint64_t read_value;

static void read_secret(uint64_t a) { read_value = *(volatile uint64_t *)a; for (;;) mica_yield(); }
static void write_secret(uint64_t a) { *(volatile uint64_t *)a = 1; for (;;) mica_yield(); }

/* Run fn(addr) in a thread whose faults come to fault_ep; report the fault (or, if none,
 * the word it read). */
static void
probe(uint64_t label, void (*fn)(uint64_t), uint64_t addr, mica_cptr_t fault_ep, uint64_t slot)
{
    static struct mica_thread threads[4];
    static unsigned n;
    struct mica_thread *t = &threads[n++ % 4];
    long err = mica_thread_create(t, PEER_UNTYPED, slot, fn, addr, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(slot, MICA_SLOT_CNODE, MICA_SLOT_VSPACE, (uint64_t)&t->ipc,
                                 fault_ep);
    if (!err)
        err = mica_tcb_resume(slot);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(fault_ep, &m, 200 * 1000000UL);    /* the fault, if it comes */
    mica_tcb_suspend(slot);
    if (label == R_SHARED_READ)
        report(label, read_value, (uint64_t)err, 0);
    else
        report(label, err ? (uint64_t)err : mica_msg_label(m.info), m.mr[1], m.mr[3]);
}

static void
memory(void)
{
    mica_cptr_t fault_ep = PEER_FIRST_FREE + 2;
    mica_untyped_retype(PEER_UNTYPED, MICA_OBJ_ENDPOINT, 0, MICA_SLOT_CNODE, fault_ep, 1);
    probe(R_READ_FAULT, read_secret, SECRET_VADDR, fault_ep, PEER_FIRST_FREE + 3);
    probe(R_WRITE_FAULT, write_secret, SECRET_VADDR, fault_ep, PEER_FIRST_FREE + 4);
    report(R_KERNEL_COPY, mica_debug_write((void *)SECRET_VADDR, 8),
           mica_tcb_set_ipc_buffer(MICA_SLOT_TCB, SECRET_VADDR), 0);
    probe(R_SHARED_READ, read_secret, SHARED_VADDR, fault_ep, PEER_FIRST_FREE + 5);
    probe(R_SHARED_WRITE, write_secret, SHARED_VADDR, fault_ep, PEER_FIRST_FREE + 6);
}

/* Retype until its memory is gone: it gets NO_MEMORY, nobody else notices. */
static void
exhaust(void)
{
    uint64_t made = 0;
    long err = MICA_E_OK;
    for (uint64_t slot = PEER_FIRST_FREE + 7; slot < PEER_SLOTS && !err; slot++) {
        err = mica_untyped_retype(PEER_UNTYPED, MICA_OBJ_FRAME, 12, MICA_SLOT_CNODE, slot, 1);
        made += !err;
    }
    report(R_EXHAUST, made, (uint64_t)err, 0);
}

int
main(void)
{
    guess_indices();
    badges_and_stale_index();
    priorities();
    memory();
    exhaust();
    report(R_DONE, 0, 0, 0);
    for (;;)
        mica_tcb_suspend(MICA_SLOT_TCB);
}
