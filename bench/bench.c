// SPDX-License-Identifier: MIT
/* In-guest microbenchmarks, run as the root task with bench/server.c as module 1 (its own
 * address space). Each figure is the median and minimum of SAMPLES timings of one operation
 * after WARMUP untimed ones, in TSC ticks, printed as "BENCH <name> median=<n> min=<n>".
 * Under QEMU's -icount shift=0 a tick is one guest instruction (tools/bench.py). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mica.h"

#define BENCH_PRINTF mica_printf
#include "measure.h"

#define CNODE       MICA_SLOT_CNODE
#define FOREVER     MICA_TIMEOUT_FOREVER

static const struct mica_bootinfo *bi;
static uint64_t next_free;
static mica_cptr_t ut;

static mica_cptr_t
make(unsigned type)
{
    mica_cptr_t s = next_free++;
    if (mica_untyped_retype(ut, type, 0, CNODE, s, 1))
        mica_printf("bench: cannot make an object of type %u\n", type);
    return s;
}

/* ---- threads in this address space ---------------------------------------------------- */

static mica_cptr_t local_ep, oneway_ep;

static void
echo_thread(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    mica_recv(local_ep, &m, FOREVER);
    for (;;) {
        m.info = mica_msginfo(0, mica_msg_length(m.info));
        mica_reply_recv(local_ep, &m, FOREVER);
    }
}

static void
oneway_receiver(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    for (;;)
        mica_recv(oneway_ep, &m, FOREVER);
}

static volatile uint64_t redirect_samples_done;

static void
redirected(uint64_t unused)
{
    (void)unused;
    for (int i = -WARMUP; i < SAMPLES; i++) {
        uint64_t rax = 39, t0 = rdtsc();     /* Linux's getpid, answered by the server */
        __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "rdi", "rsi", "rdx", "r10",
                         "r8", "r9", "memory");
        uint64_t t1 = rdtsc();
        if (i >= 0)
            samples[i] = rax == SYSCALL_RESULT ? t1 - t0 : ~0UL;
    }
    redirect_samples_done = 1;
    for (;;)
        __asm__ volatile("pause");      /* every system call of ours is redirected now */
}

static mica_cptr_t
thread(struct mica_thread *th, void (*fn)(uint64_t), unsigned prio)
{
    if (mica_thread_create(th, ut, next_free++, fn, 0, prio))
        mica_printf("bench: cannot make a thread\n");
    return th->tcb;
}

/* ---- demand-zero paging by a user-level pager ------------------------------------------ */

#define PF_REGION   0x500000000000UL        /* a PML4 slot nothing else uses */
#define PF_PAGES    (WARMUP + SAMPLES)
static volatile uint64_t pf_done;

/* Touch one new page after another; each first touch is a fault the pager answers. */
static void
toucher(uint64_t unused)
{
    (void)unused;
    for (int i = -WARMUP; i < SAMPLES; i++) {
        volatile uint8_t *p = (volatile uint8_t *)(PF_REGION + (uint64_t)(i + WARMUP) * 4096);
        uint64_t t0 = rdtsc();
        *p = 1;
        uint64_t t1 = rdtsc();
        if (i >= 0)
            samples[i] = t1 - t0;
    }
    pf_done = 1;
    for (;;)
        mica_yield();
}

/* Be the pager of a thread that touches PF_PAGES fresh pages: for each fault, reply with
 * the next of a pool of zeroed frames as a map item, which maps it at the faulting page and
 * resumes the thread: two IPCs per fault, no other system call. */
static void
pager_bench(void)
{
    static struct mica_thread t;
    /* A PDPT and a page directory, then a page table for every 2 MiB of the region. */
    for (unsigned i = 0; i < 2 + (PF_PAGES + 511) / 512; i++)
        mica_page_table_map(make(MICA_OBJ_PAGE_TABLE), MICA_SLOT_VSPACE,
                            PF_REGION + (i < 2 ? 0 : (i - 2) * (2UL << 20)));
    mica_cptr_t pool = next_free;                       /* zeroed frames, one per fault */
    for (unsigned done = 0; done < PF_PAGES; done += 256)
        mica_untyped_retype(ut, MICA_OBJ_FRAME, 12, CNODE, pool + done,
                            PF_PAGES - done < 256 ? PF_PAGES - done : 256);
    next_free += PF_PAGES;

    mica_cptr_t ep = make(MICA_OBJ_ENDPOINT);
    mica_cptr_t tcb = thread(&t, toucher, MICA_BOOT_PRIO);
    mica_tcb_configure(tcb, CNODE, MICA_SLOT_VSPACE, (uint64_t)&t.ipc, ep);
    mica_tcb_resume(tcb);
    struct mica_msg m = { 0 };
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->map_attrs = MICA_MAP_WRITE;
    long err = mica_recv(ep, &m, FOREVER);
    for (unsigned i = 0; !err && i < PF_PAGES; i++) {
        buf->caps[0] = pool + i;
        m.info = mica_msginfo_caps(MICA_FAULT_REPLY_RESUME, 1, 0) | MICA_MSG_MAP;
        err = mica_reply_recv(ep, &m, i + 1 < PF_PAGES ? FOREVER : MICA_TIMEOUT_POLL);
        if (i + 1 == PF_PAGES && err == MICA_E_TIMEOUT)
            err = MICA_E_OK;                            /* the last reply: nothing follows */
    }
    while (!err && !pf_done)
        mica_yield();
    mica_tcb_suspend(tcb);
    if (err)
        mica_printf("bench: the pager failed: %s\n", mica_errname(err));
    else
        report("pf_zero");
}


int
main(void)
{
    static struct mica_thread echo, oneway, redir;
    bi = mica_bootinfo;
    if (!bi || bi->module_count < 2 || !bi->module[1].tcb) {
        mica_printf("bench: boot bench.elf and bench_server.elf\n");
        return 1;
    }
    next_free = bi->first_free_slot;
    ut = mica_boot_largest_untyped();

    /* The server in the other address space, with its endpoint, notification and report
     * endpoint; it runs above us, so that a signal switches to it at once. */
    mica_cptr_t ep = make(MICA_OBJ_ENDPOINT), ntfn = make(MICA_OBJ_NOTIFICATION);
    mica_cptr_t report_ep = make(MICA_OBJ_ENDPOINT);
    mica_cptr_t server_cnode = bi->module[1].cnode, server = bi->module[1].tcb;
    mica_cnode_copy(server_cnode, BENCH_EP, CNODE, ep, MICA_RIGHTS_ALL);
    mica_cnode_copy(server_cnode, BENCH_NTFN, CNODE, ntfn, MICA_RIGHT_READ);
    mica_cnode_copy(server_cnode, BENCH_REPORT_EP, CNODE, report_ep, MICA_RIGHT_WRITE);
    mica_tcb_set_priority(server, MICA_BOOT_PRIO + 1);
    mica_tcb_resume(server);

    uint64_t t;
    MEASURE("tsc_overhead", (void)0);
    MEASURE("null_syscall", mica_yield());

    /* The message is reset to its label and length each time; the registers carry what
     * the last reply left (the server echoes them), as a tight client loop would. */
    struct mica_msg m = { 0 };
    uint64_t info1 = mica_msginfo(1, 1), info64 = mica_msginfo(1, 64);
    MEASURE("ipc_rt_inter", m.info = info1; mica_call(ep, &m, FOREVER));

    local_ep = make(MICA_OBJ_ENDPOINT);
    mica_tcb_resume(thread(&echo, echo_thread, MICA_BOOT_PRIO + 1));
    MEASURE("ipc_rt_intra", m.info = info1; mica_call(local_ep, &m, FOREVER));
    MEASURE("ipc_rt_long", m.info = info64; mica_call(ep, &m, FOREVER));

    oneway_ep = make(MICA_OBJ_ENDPOINT);
    mica_tcb_resume(thread(&oneway, oneway_receiver, MICA_BOOT_PRIO));
    mica_yield();                               /* it waits in its receive now */
    for (int i = -WARMUP; i < SAMPLES; i++) {
        m.info = info1;
        uint64_t t0 = rdtsc();
        mica_send(oneway_ep, &m, FOREVER);
        t = rdtsc() - t0;
        if (i >= 0)
            samples[i] = t;
        mica_yield();                           /* let it receive again */
    }
    report("ipc_oneway");
    mica_tcb_suspend(oneway.tcb);

    /* A redirected system call, answered by the server in the other address space. */
    mica_cptr_t r = thread(&redir, redirected, MICA_BOOT_PRIO);
    mica_tcb_configure(r, CNODE, MICA_SLOT_VSPACE, (uint64_t)&redir.ipc, ep);
    mica_tcb_set_flags(r, MICA_TCB_FLAG_REDIRECT_SYSCALLS);
    mica_tcb_resume(r);
    while (!redirect_samples_done)
        mica_yield();
    mica_tcb_suspend(r);
    report("syscall_redirect_rt");

    pager_bench();
    mica_cptr_t frame = make(MICA_OBJ_FRAME);
    MEASURE("map_unmap", mica_frame_map(frame, MICA_SLOT_VSPACE, PF_REGION + PF_PAGES * 4096UL,
                                        MICA_MAP_WRITE);
            mica_frame_unmap(frame));

    chan_bench(bi, ut, &next_free);

    /* The server turns into a notification waiter: time from our signal to it running. */
    m = (struct mica_msg){ .info = mica_msginfo(OP_NOTIFY_PHASE, 0) };
    mica_call(ep, &m, FOREVER);
    for (int i = -WARMUP; i < SAMPLES; i++) {
        uint64_t t0 = rdtsc();
        mica_signal(ntfn);
        mica_recv(report_ep, &m, FOREVER);      /* the time it woke at */
        if (i >= 0)
            samples[i] = m.mr[0] - t0;
    }
    report("notify_wake");
    return 0;
}
