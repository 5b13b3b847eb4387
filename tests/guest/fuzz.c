// SPDX-License-Identifier: MIT
/*
 * The system-call fuzzer, run as the root task with fuzz_workload.elf as module 1.
 *
 * A supervisor (this task's main thread, priority 200) runs the fuzzing in generations. Each
 * generation is a worker thread (priority and MCP 100) in a CSpace of its own, made from an
 * arena of untyped memory: it holds its own TCB and CNode, untyped memory, an endpoint, a
 * notification, send-only badged access to the workload's endpoint, copies of scratch
 * frames, and issues random system calls on all of it, its own essentials included. If it
 * destroys, suspends, starves or blocks itself, or when its budget of calls is spent, the
 * supervisor revokes the arena: every object of the generation, and everything derived from
 * them, is gone, and the next generation starts afresh. So nothing is off limits to the
 * worker, and the supervisor itself holds nothing the worker can reach.
 *
 * Calls are made from a splitmix64 stream seeded by (seed, generation) and never depend on
 * results, so `fuzzseed=S fuzzgen=G fuzztrace` on the kernel command line replays
 * generation G call by call. Options: fuzzseed=S, fuzzcalls=N (total), fuzzgen=G,
 * fuzztrace. The run ends with "fuzz: done calls=... workload_errors=... seed=...";
 * tools/fuzz.py adds the kernel's panics from the serial log.
 *
 * The worker shares this address space (it has no capability to it): the pointers it hands
 * the kernel as IPC buffers are drawn from scratch pages, its own buffer and addresses that
 * are not memory, never from the supervisor's data.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_proto.h"
#include "test.h"

#define CNODE           MICA_SLOT_CNODE
#define MS              1000000UL

/* ---- the worker's world --------------------------------------------------------------- */

#define W_BITS          8               /* the worker's CNode: 256 slots */
#define W_SLOTS         (1u << W_BITS)
enum worker_slot {                      /* what a generation starts with */
    WS_TCB = 1, WS_CNODE = 2, WS_UNTYPED = 3, WS_EP = 4, WS_NTFN = 5, WS_WORKLOAD = 6,
    WS_CODE = 7,                        /* the code page, read-only: threads run it */
    WS_VSPACE = 15, WS_SMALL_UNTYPED = 16, WS_DONE = 17, WS_FIRST_FREE = 18,
};
/* Scratch pages, mapped read-write here by the supervisor: page 0 holds the system-call
 * loops spawned threads run, pages 1.. are what the worker names as IPC buffers. */
#define SCRATCH_PAGES   8
#define SCRATCH_VADDR   0x0000100000000000UL
#define CODE_VADDR      0x0000000000400000UL    /* where the worker maps its code page */
#define ARENA_BITS      22
#define GEN_CALLS       5000            /* calls per generation at most */

struct shared {                         /* written by the worker, read by the supervisor */
    volatile uint64_t calls;            /* calls made by this generation */
    volatile uint64_t done;
    volatile uint64_t last[8];          /* the last call: number and registers */
};
static struct shared shared;

static struct mica_ipc_buffer worker_ipc __attribute__((aligned(4096)));
static struct mica_thread_area worker_area;
static uint64_t worker_stack[4096] __attribute__((aligned(16)));
static struct {                         /* the generation's parameters */
    uint64_t seed, budget;
    int trace;
} gen;

/* ---- random numbers: splitmix64 ---------------------------------------------------------- */

static uint64_t rng;

static uint64_t
rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n) { return rnd() % n; }
static int chance(unsigned percent) { return below(100) < percent; }

/* ---- argument words: mostly plausible, sometimes anything ------------------------------- */

static uint64_t
slot_word(void)
{
    unsigned r = below(100);
    if (r < 85)
        return below(W_SLOTS);
    if (r < 90)
        return 0;
    if (r < 95)
        return W_SLOTS + below(16);     /* just past the CNode */
    return r < 98 ? rnd() : 1UL << below(64);
}

static uint64_t
addr_word(void)
{
    static const uint64_t odd[] = {
        0, 8, MICA_USER_BASE, CODE_VADDR, MICA_USER_TOP - 8, MICA_USER_TOP - 4096, MICA_USER_TOP,
        0x00007fffffffffffUL, 0x0000800000000000UL, 0xffff800000000000UL,
        0xffffffff80100000UL, 0xfffffffffffff000UL, ~0UL, MICA_BOOT_INFO_VADDR,
    };
    switch (below(6)) {
    case 0:
    case 1: return SCRATCH_VADDR + (1 + below(SCRATCH_PAGES - 1)) * 4096;  /* usable pages */
    case 2: return SCRATCH_VADDR + below(SCRATCH_PAGES * 4096);        /* misaligned */
    case 3: return odd[below(sizeof(odd) / sizeof(odd[0]))];
    case 4: return CODE_VADDR + below(64) * 4096;                      /* where maps go */
    default: return chance(50) ? rnd() & ~0xfffUL : rnd();             /* anywhere */
    }
}

/* Timeouts: mostly polls. A bounded wait costs at least a timer tick (10 ms), a wait for
 * ever stalls the generation unless someone answers: both rare, to keep the calls coming. */
static uint64_t
timeout_word(void)
{
    unsigned r = below(1000);
    if (r < 950)
        return MICA_TIMEOUT_POLL;
    if (r < 985)
        return 1 + below(30 * MS);
    if (r < 987)
        return MICA_TIMEOUT_FOREVER;
    return r < 993 ? below(1000) : rnd() >> below(64);
}

/* An argument of a kind: s slot, c CNode, t type, z size bits, n count, r rights, b badge,
 * a address, p priority, f flags or attributes, w any word. */
static uint64_t
word_of(char kind)
{
    if (chance(8))
        kind = "stzarpbw"[below(8)];     /* a mutation: the wrong kind */
    switch (kind) {
    case 's': return slot_word();
    case 'c': return chance(80) ? WS_CNODE : slot_word();
    case 't': return below(MICA_OBJ_TYPE_COUNT + 2);
    case 'z': {
        static const uint8_t sizes[] = { 0, 2, 4, 6, 8, 12, 13, 14, 16, 17, 20, 21, 47, 48, 63 };
        return chance(90) ? sizes[below(sizeof(sizes))] : rnd();
    }
    case 'n': return chance(85) ? 1 + below(4) : chance(50) ? below(300) : rnd();
    case 'r': return chance(90) ? below(8) : rnd();
    case 'b': return chance(50) ? 0 : chance(80) ? 1 + below(100) : rnd();
    case 'a': return addr_word();
    case 'p': return chance(90) ? below(260) : rnd();
    case 'f': return chance(90) ? below(8) : rnd();
    default:
        switch (below(5)) {
        case 0: return below(300);
        case 1: return slot_word();
        case 2: return addr_word();
        case 3: return rnd();
        default: return 1UL << below(64);
        }
    }
}

/* Every method with the kinds of its arguments (docs/api.md). Unknown labels are tried too. */
static const struct {
    uint16_t label;
    const char *args;
} methods[] = {
    { MICA_CNODE_COPY, "scsr" }, { MICA_CNODE_MINT, "scsrb" }, { MICA_CNODE_MOVE, "scs" },
    { MICA_CNODE_DELETE, "s" }, { MICA_CNODE_REVOKE, "s" }, { MICA_CNODE_IDENTIFY, "s" },
    { MICA_UNTYPED_RETYPE, "tzcsn" },
    { MICA_TCB_CONFIGURE, "ssas" }, { MICA_TCB_READ_REGS, "" },
    { MICA_TCB_WRITE_REGS, "aawwwwwwwwwwwwwwww" }, { MICA_TCB_SUSPEND, "" },
    { MICA_TCB_RESUME, "" }, { MICA_TCB_SET_PRIORITY, "p" }, { MICA_TCB_SET_MCP, "p" },
    { MICA_TCB_SET_TLS_BASE, "a" }, { MICA_TCB_SET_IPC_BUFFER, "a" },
    { MICA_TCB_BIND_NOTIFICATION, "s" }, { MICA_TCB_SET_FLAGS, "f" },
    { MICA_FRAME_MAP, "saf" }, { MICA_FRAME_UNMAP, "" }, { MICA_FRAME_ADDRESS, "" },
    { MICA_PAGE_TABLE_MAP, "sa" }, { MICA_PAGE_TABLE_UNMAP, "" }, { MICA_VSPACE_QUERY, "a" },
    { MICA_FAULT_REPLY_RESUME, "w" }, { MICA_FAULT_REPLY_REGS, "aawwwwwwwwwwwwwwww" },
};
#define METHODS (sizeof(methods) / sizeof(methods[0]))

/* Flags of the message-info word a sender may set. A new one (such as a map item) is one
 * more entry here; the capability and receive-window words of the IPC buffer are random
 * already (fill_buffer). */
static const uint64_t msg_flags[] = { MICA_MSG_MOVE_CAPS, MICA_MSG_MAP, MICA_MSG_MAP | MICA_MSG_MOVE_CAPS };

/* ---- issuing calls ------------------------------------------------------------------------ */

struct call {
    uint64_t nr, cap, info, mr[4], timeout;
};

static struct mica_ipc_buffer *const scratch = (struct mica_ipc_buffer *)SCRATCH_VADDR;

/* Random words where a call's message registers, capabilities and receive slots are read:
 * the worker's own buffer and the scratch pages random calls may make its buffer. */
static void
fill_buffer(void)
{
    struct mica_ipc_buffer *b = chance(70) ? &worker_ipc : &scratch[1 + below(SCRATCH_PAGES - 1)];
    for (unsigned i = 0; i < 4; i++)
        b->mr[below(MICA_MSG_MAX_WORDS)] = word_of('w');
    for (unsigned i = 0; i < MICA_MSG_MAX_CAPS; i++)
        b->caps[i] = slot_word();
    b->recv_cnode = chance(70) ? WS_CNODE : slot_word();
    b->recv_slot = slot_word();
    b->reserved[below(sizeof(b->reserved) / 8)] = word_of('w');
}

static long
issue(struct call *c)
{
    for (unsigned i = 0; i < 8; i++)
        shared.last[i] = ((uint64_t *)c)[i];
    if (gen.trace)
        mica_printf("fuzz: call %lu: nr %lu cap %#lx info %#lx mr %#lx %#lx %#lx %#lx "
                    "timeout %#lx\n", (unsigned long)shared.calls, (unsigned long)c->nr,
                    (unsigned long)c->cap, (unsigned long)c->info, (unsigned long)c->mr[0],
                    (unsigned long)c->mr[1], (unsigned long)c->mr[2], (unsigned long)c->mr[3],
                    (unsigned long)c->timeout);
    register uint64_t rdi __asm__("rdi") = c->cap;
    register uint64_t rsi __asm__("rsi") = c->info;
    register uint64_t rdx __asm__("rdx") = c->mr[0];
    register uint64_t r10 __asm__("r10") = c->mr[1];
    register uint64_t r8 __asm__("r8") = c->mr[2];
    register uint64_t r9 __asm__("r9") = c->mr[3];
    register uint64_t r12 __asm__("r12") = c->timeout;
    long ret = (long)c->nr;
    __asm__ volatile("syscall"
                     : "+a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "r"(r12)
                     : "rcx", "r11", "memory");
    shared.calls++;
    /* The worker's own code (musl's, built with the stack protector) reads its thread
     * pointer: if the call may have moved it, put it back (not a counted call). */
    if (c->nr == MICA_SYS_SET_TLS_BASE ||
        (c->nr == MICA_SYS_CALL && mica_msg_label(c->info) == MICA_TCB_SET_TLS_BASE))
        mica_set_tls_base(&worker_area);
    return ret;
}

/* An invocation of cap with a method's label and arguments (a few of them mutated). */
#define ANY ~1UL                /* in invoke()'s fixed words: a random one */

/*
 * Only the code page is ever executable. Any thread may use MICA_SYS_DEBUG_HALT, which stops
 * the machine (a debug call without a capability yet: docs/reliability.md), so threads must
 * never run random bytes: the worker maps no frame executable but its read-only copy of the
 * code page, which nothing can write (it is no IPC buffer anywhere), and starts threads only
 * at the beginning of its loops or of a page, where a loop begins.
 */
static long
invoke(uint64_t cap, unsigned m, const uint64_t *fixed)
{
    struct call c = { .nr = MICA_SYS_CALL, .cap = cap, .timeout = timeout_word() };
    const char *args = methods[m].args;
    unsigned len = strlen(args);
    uint64_t words[MICA_REG_COUNT];
    for (unsigned i = 0; i < len; i++)
        words[i] = fixed && i < 4 && fixed[i] != ~1UL ? fixed[i] : word_of(args[i]);
    for (unsigned i = MICA_MSG_REG_WORDS; i < len; i++)
        worker_ipc.mr[i] = words[i];
    memcpy(c.mr, words, sizeof(c.mr));
    c.info = mica_msginfo(methods[m].label, len);
    if (methods[m].label == MICA_FRAME_MAP && !(fixed && fixed[2] != ANY))
        c.mr[2] &= ~(uint64_t)MICA_MAP_EXEC;     /* see no_exec() */
    return issue(&c);
}

static unsigned
method_index(unsigned label)
{
    for (unsigned i = 0; i < METHODS; i++)
        if (methods[i].label == label)
            return i;
    return 0;
}

static long
call_method(uint64_t cap, unsigned label, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    uint64_t fixed[4] = { a0, a1, a2, a3 };
    return invoke(cap, method_index(label), fixed);
}

/* ---- what the worker does ----------------------------------------------------------------- */

/* Any system call, its number, capability, info word, registers and timeout random. */
static void
random_syscall(void)
{
    static const uint8_t numbers[] = {
        MICA_SYS_DEBUG_WRITE, MICA_SYS_SET_TLS_BASE, MICA_SYS_CALL, MICA_SYS_SEND,
        MICA_SYS_RECV, MICA_SYS_REPLY_RECV,
    };
    struct call c;
    unsigned r = below(100);
    /* A yield gives the workload a whole time slice: rare, or the calls crawl. */
    c.nr = r < 94 ? numbers[below(sizeof(numbers))] : r < 97 ? MICA_SYS_COUNT + below(8)
         : r < 98 ? MICA_SYS_YIELD : rnd();
    if (c.nr == MICA_SYS_DEBUG_HALT)
        c.nr = MICA_SYS_YIELD;          /* it would stop the machine, as documented */
    c.cap = slot_word();
    uint64_t label = chance(60) ? methods[below(METHODS)].label
                                : chance(50) ? below(0x10000) : rnd() >> 12;
    unsigned len = chance(80) ? below(9) : below(1 << MICA_MSG_LENGTH_BITS);
    c.info = mica_msginfo_caps(label, below(4), len);
    if (chance(30))
        c.info |= msg_flags[below(sizeof(msg_flags) / sizeof(msg_flags[0]))];
    if (chance(3))
        c.info = rnd();
    for (unsigned i = 0; i < 4; i++)
        c.mr[i] = word_of('w');
    c.timeout = timeout_word();
    if (c.nr == MICA_SYS_CALL && mica_msg_label(c.info) == MICA_FRAME_MAP)
        c.mr[2] &= ~(uint64_t)MICA_MAP_EXEC;
    if (c.nr == MICA_SYS_DEBUG_WRITE) {
        /* Readable memory goes to the console: only a dot of it, else pointers that are no
         * memory, or run off the end of the scratch pages, and lengths past the limit. */
        static const char dot[] = ".";
        unsigned r = below(10);
        c.cap = r < 2 ? (uint64_t)dot : r < 4 ? SCRATCH_VADDR + SCRATCH_PAGES * 4096 - below(4)
                                              : addr_word();
        bool memory = c.cap >= MICA_USER_BASE && c.cap < MICA_USER_TOP;
        c.info = r < 2 ? below(2) : r < 4 ? 2 + below(8)
                       : !memory && chance(70) ? below(MICA_DEBUG_WRITE_MAX + 1)
                                              : MICA_DEBUG_WRITE_MAX + 1 + (chance(50) ? below(64) : rnd());
    } else if (c.nr == MICA_SYS_SET_TLS_BASE) {
        c.cap = addr_word();
    }
    fill_buffer();
    issue(&c);
}

/* A chain of derived capabilities: copies and mints of copies, then a revoke or delete
 * somewhere in it. */
static void
derive_chain(void)
{
    uint64_t prev = slot_word(), first = prev, n = 2 + below(20);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t dest = WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE);
        if (chance(70))
            call_method(WS_CNODE, MICA_CNODE_COPY, dest, WS_CNODE, prev, below(8));
        else
            call_method(WS_CNODE, MICA_CNODE_MINT, dest, WS_CNODE, prev, below(8));
        prev = dest;
    }
    call_method(WS_CNODE, chance(50) ? MICA_CNODE_REVOKE : MICA_CNODE_DELETE,
                chance(50) ? first : prev, ANY, ANY, ANY);
}

/* Objects from the worker's untyped memory, into random free slots. */
static void
retype_some(void)
{
    uint64_t ut = chance(80) ? WS_UNTYPED : chance(50) ? WS_SMALL_UNTYPED : slot_word();
    call_method(ut, MICA_UNTYPED_RETYPE, 1 + below(MICA_OBJ_TYPE_COUNT - 1),
                chance(50) ? 12 : ANY, WS_CNODE, WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE));
}

/* A thread in a new address space: it either faults at once (to the worker's endpoint, or
 * stopped), or runs one of the scratch page's system-call loops with random registers. */
static void
spawn_thread(void)
{
    uint64_t tcb = WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE);
    uint64_t vs = chance(70) ? WS_VSPACE : WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE);
    call_method(WS_UNTYPED, MICA_UNTYPED_RETYPE, MICA_OBJ_TCB, 0, WS_CNODE, tcb);
    if (vs != WS_VSPACE)
        call_method(WS_UNTYPED, MICA_UNTYPED_RETYPE, MICA_OBJ_VSPACE, 0, WS_CNODE, vs);
    for (unsigned i = 0; i < 3; i++) {          /* the tables down to CODE_VADDR */
        uint64_t pt = WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE);
        call_method(WS_UNTYPED, MICA_UNTYPED_RETYPE, MICA_OBJ_PAGE_TABLE, 0, WS_CNODE, pt);
        call_method(pt, MICA_PAGE_TABLE_MAP, vs, CODE_VADDR, ANY, ANY);
    }
    uint64_t code = WS_FIRST_FREE + below(W_SLOTS - WS_FIRST_FREE);
    call_method(WS_CNODE, MICA_CNODE_COPY, code, WS_CNODE, WS_CODE, MICA_RIGHTS_ALL);
    call_method(code, MICA_FRAME_MAP, vs, CODE_VADDR, MICA_MAP_EXEC, ANY);
    call_method(tcb, MICA_TCB_CONFIGURE, WS_CNODE, vs, chance(50) ? CODE_VADDR : ANY,
                chance(50) ? WS_EP : 0);
    struct call c = { .nr = MICA_SYS_CALL, .cap = tcb,
                      .info = mica_msginfo(MICA_TCB_WRITE_REGS, MICA_REG_COUNT),
                      .timeout = MICA_TIMEOUT_FOREVER };
    for (unsigned i = 0; i < MICA_REG_COUNT; i++)
        worker_ipc.mr[i] = word_of('w');
    worker_ipc.mr[MICA_REG_RIP] = chance(80) ? CODE_VADDR + 16 * below(6) : addr_word();
    worker_ipc.mr[MICA_REG_RSP] = addr_word();
    worker_ipc.mr[MICA_REG_RDI] = slot_word();
    worker_ipc.mr[MICA_REG_R12] = timeout_word();
    memcpy(c.mr, worker_ipc.mr, sizeof(c.mr));
    issue(&c);
    call_method(tcb, MICA_TCB_SET_PRIORITY, below(101), ANY, ANY, ANY);
    call_method(tcb, MICA_TCB_RESUME, ANY, ANY, ANY, ANY);
}

static void
worker(uint64_t generation)
{
    (void)generation;
    while (shared.calls < gen.budget) {
        unsigned r = below(100);
        if (r < 55)
            invoke(slot_word(), below(METHODS), NULL);
        else if (r < 88)
            random_syscall();
        else if (r < 94)
            retype_some();
        else if (r < 98)
            derive_chain();
        else
            spawn_thread();
    }
    shared.done = 1;
    mica_signal(WS_DONE);
    for (;;)
        mica_tcb_suspend(WS_TCB);           /* or, if that is gone, wait to be revoked */
}

/* ---- the supervisor -------------------------------------------------------------------- */

static const struct mica_bootinfo *bi;
static mica_cptr_t arena, done_ntfn, wl_ep, report_ep, stop_ntfn, w_tcb, w_cnode;
static mica_cptr_t scratch_frames[SCRATCH_PAGES];

static uint64_t
option(const char *key, uint64_t otherwise)
{
    char buf[32];
    return mica_boot_option(key, buf, sizeof(buf)) ? strtoull(buf, NULL, 0) : otherwise;
}

/* The scratch pages in this address space, and the system-call loops in the first one:
 * "mov $n, %eax; syscall; jmp back", 16 bytes apart, for n in 0 3 4 5 6 7. */
static long
map_scratch(void)
{
    static const uint8_t numbers[] = { 0, 3, 4, 5, 6, 7 };
    long err = 0;
    for (unsigned i = 0; i < 3 && !err; i++) {
        mica_cptr_t pt = test_make(MICA_OBJ_PAGE_TABLE, 0);
        err = mica_page_table_map(pt, MICA_SLOT_VSPACE, SCRATCH_VADDR);
    }
    for (unsigned i = 0; i < SCRATCH_PAGES && !err; i++) {
        scratch_frames[i] = test_make(MICA_OBJ_FRAME, 12);
        err = mica_frame_map(scratch_frames[i], MICA_SLOT_VSPACE, SCRATCH_VADDR + i * 4096,
                             MICA_MAP_WRITE);
    }
    uint8_t *code = (uint8_t *)SCRATCH_VADDR;
    for (unsigned i = 0; i < sizeof(numbers) && !err; i++) {
        const uint8_t loop[] = { 0xb8, numbers[i], 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7 };
        memset(code + 16 * i, 0xcc, 16);            /* int3 between them */
        memcpy(code + 16 * i, loop, sizeof(loop));
    }
    return err;
}

/* The workload task: memory for its second thread, its endpoint, a report endpoint and a
 * stop notification; then it runs. */
static long
start_workload(void)
{
    const struct mica_boot_module *m = &bi->module[1];
    long err;
    wl_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    report_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    stop_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    if ((err = mica_untyped_retype(test_untyped, MICA_OBJ_UNTYPED, 16, m->cnode, WL_UNTYPED, 1)) ||
        (err = mica_cnode_copy(m->cnode, WL_EP, CNODE, wl_ep, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(m->cnode, WL_REPORT, CNODE, report_ep, MICA_RIGHT_WRITE)) ||
        (err = mica_cnode_copy(m->cnode, WL_STOP, CNODE, stop_ntfn, MICA_RIGHT_READ)))
        return err;
    return mica_boot_option("fuzznoworkload", NULL, 0) ? 0 : mica_tcb_resume(m->tcb);
}

/* Generation g's worker, from a fresh arena. */
static long
start_worker(uint64_t g, uint64_t seed, uint64_t budget)
{
    long err;
    struct { unsigned type, bits; uint64_t slot; } objects[] = {
        { MICA_OBJ_UNTYPED, 20, WS_UNTYPED }, { MICA_OBJ_ENDPOINT, 0, WS_EP },
        { MICA_OBJ_NOTIFICATION, 0, WS_NTFN }, { MICA_OBJ_VSPACE, 0, WS_VSPACE },
        { MICA_OBJ_UNTYPED, 14, WS_SMALL_UNTYPED },
    };
    if ((err = mica_cnode_revoke(CNODE, arena)) ||
        (err = mica_untyped_retype(arena, MICA_OBJ_CNODE, W_BITS, CNODE, w_cnode, 1)) ||
        (err = mica_untyped_retype(arena, MICA_OBJ_TCB, 0, CNODE, w_tcb, 1)))
        return err;
    for (unsigned i = 0; i < sizeof(objects) / sizeof(objects[0]) && !err; i++)
        err = mica_untyped_retype(arena, objects[i].type, objects[i].bits, w_cnode,
                                  objects[i].slot, 1);
    if (err ||
        (err = mica_cnode_copy(w_cnode, WS_CODE, CNODE, scratch_frames[0], MICA_RIGHT_READ)) ||
        (err = mica_cnode_copy(w_cnode, WS_TCB, CNODE, w_tcb, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_copy(w_cnode, WS_CNODE, CNODE, w_cnode, MICA_RIGHTS_ALL)) ||
        (err = mica_cnode_mint(w_cnode, WS_WORKLOAD, CNODE, wl_ep, MICA_RIGHT_WRITE, g + 1)) ||
        (err = mica_cnode_copy(w_cnode, WS_DONE, CNODE, done_ntfn, MICA_RIGHT_WRITE)) ||
        (err = mica_tcb_configure(w_tcb, w_cnode, MICA_SLOT_VSPACE, (uint64_t)&worker_ipc, 0)) ||
        (err = mica_tcb_set_mcp(w_tcb, MICA_BOOT_PRIO)) ||
        (err = mica_tcb_set_priority(w_tcb, MICA_BOOT_PRIO)))
        return err;
    memset(&worker_ipc, 0, sizeof(worker_ipc));
    mica_thread_area_init(&worker_area, &worker_ipc);
    if ((err = mica_tcb_set_tls_base(w_tcb, (uint64_t)&worker_area)))
        return err;
    shared.calls = shared.done = 0;
    gen.seed = seed ^ (g * 0xd1b54a32d192ed03u);
    gen.budget = budget;
    rng = gen.seed;
    uint64_t regs[MICA_REG_COUNT] = { 0 };
    regs[MICA_REG_RIP] = (uint64_t)worker;
    regs[MICA_REG_RSP] = (uint64_t)&worker_stack[4096 - 1];
    regs[MICA_REG_RDI] = g;
    if ((err = mica_tcb_write_regs(w_tcb, regs)))
        return err;
    return mica_tcb_resume(w_tcb);
}

/* Wait until the worker is done or makes no progress for 3 waits (30-60 ms); whether it
 * finished its budget. */
static int
watch_worker(void)
{
    uint64_t seen = 0, bits;
    for (unsigned still = 0; still < 3;) {
        mica_wait(done_ntfn, &bits, 10 * MS);
        if (shared.done)
            return 1;
        still = shared.calls == seen ? still + 1 : 0;
        seen = shared.calls;
    }
    return 0;
}

int
main(void)
{
    bi = mica_bootinfo;
    if (!test_root_setup() || bi->module_count < 2 || !bi->module[1].tcb) {
        mica_printf("TEST FAIL fuzz_needs_its_workload: boot fuzz.elf fuzz_workload.elf\n");
        return 1;
    }
    uint64_t seed = option("fuzzseed", 0), total = option("fuzzcalls", 1000000);
    uint64_t only = option("fuzzgen", ~0UL);
    if (!mica_boot_option("fuzzseed", NULL, 0)) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        seed = (uint64_t)hi << 32 | lo;
    }
    gen.trace = mica_boot_option("fuzztrace", NULL, 0);
    mica_printf("fuzz: seed=%lu calls=%lu (replay: fuzzseed=%lu)\n", (unsigned long)seed,
                (unsigned long)total, (unsigned long)seed);

    long err = mica_tcb_set_priority(MICA_SLOT_TCB, 200);
    mica_cptr_t big = test_untyped;
    arena = test_slot();
    done_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    w_tcb = test_slot();
    w_cnode = test_slot();
    if (!err)
        err = mica_untyped_retype(big, MICA_OBJ_UNTYPED, ARENA_BITS, CNODE, arena, 1);
    if (!err)
        err = map_scratch();
    if (!err)
        err = start_workload();
    if (err) {
        mica_printf("TEST FAIL fuzz_setup: %s\n", mica_errname(err));
        return 1;
    }

    uint64_t calls = 0, g = only == ~0UL ? 0 : only, gens = 0, stalls = 0, next_report = 0;
    while (calls < total) {
        uint64_t budget = total - calls < GEN_CALLS ? total - calls : GEN_CALLS;
        if ((err = start_worker(g, seed, budget))) {
            mica_printf("TEST FAIL fuzz_generation_starts: generation %lu: %s\n",
                        (unsigned long)g, mica_errname(err));
            return 1;
        }
        if (!watch_worker()) {
            stalls++;
            mica_printf("fuzz: generation %lu stalled after call %lu: nr %lu cap %#lx "
                            "info %#lx\n", (unsigned long)g, (unsigned long)shared.calls,
                            (unsigned long)shared.last[0], (unsigned long)shared.last[1],
                            (unsigned long)shared.last[2]);
        }
        calls += shared.calls;
        gens++;
        if (only != ~0UL)
            break;
        g++;
        if (calls >= next_report) {
            mica_printf("fuzz: progress calls=%lu generations=%lu stalls=%lu\n",
                        (unsigned long)calls, (unsigned long)gens, (unsigned long)stalls);
            next_report += 100000;
        }
    }
    mica_cnode_revoke(CNODE, arena);            /* the last worker, and all it made */

    /* The workload reports how many rounds it ran and how many were wrong. */
    struct mica_msg m = { 0 };
    uint64_t bits;
    mica_signal(stop_ntfn);
    err = mica_recv(report_ep, &m, 5000 * MS);
    uint64_t rounds = err ? 0 : m.mr[0], wrong = err ? 1 : m.mr[1];
    if (!err && !rounds)
        wrong++;                                /* it never ran: that is wrong too */
    (void)bits;
    mica_printf("fuzz: done calls=%lu generations=%lu stalls=%lu workload_rounds=%lu "
                "workload_errors=%lu seed=%lu\n", (unsigned long)calls, (unsigned long)gens,
                (unsigned long)stalls, (unsigned long)rounds, (unsigned long)wrong,
                (unsigned long)seed);
    EXPECT("fuzz_workload_stays_correct", !wrong, "%lu of %lu rounds wrong (%s)",
           (unsigned long)wrong, (unsigned long)rounds, mica_errname(err));
    return test_failures;
}
