// SPDX-License-Identifier: MIT
/* In-guest microbenchmarks, run as the root task with bench/server.c as module 1 (its own
 * address space). Each figure is the median and minimum of SAMPLES timings of one operation
 * after WARMUP untimed ones, in TSC ticks, printed as "BENCH <name> median=<n> min=<n>".
 * Under QEMU's -icount shift=0 a tick is one guest instruction (tools/bench.py). */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mem.h"
#include "mica.h"

#define BENCH_PRINTF mica_printf
#include "measure.h"

#define CNODE       MICA_SLOT_CNODE
#define FOREVER     MICA_TIMEOUT_FOREVER

static const struct mica_bootinfo *bi;
static uint64_t next_free;
static mica_cptr_t ut;

static uint64_t
slot(void)
{
    return next_free++;
}

static mica_cptr_t
make(unsigned type)
{
    mica_cptr_t s = next_free++;
    if (mica_untyped_retype(ut, type, type == MICA_OBJ_FRAME ? MICA_FRAME_BITS : 0, CNODE, s, 1))
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
toucher(uint64_t base)
{
    for (int i = -WARMUP; i < SAMPLES; i++) {
        volatile uint8_t *p = (volatile uint8_t *)(base + (uint64_t)(i + WARMUP) * 4096);
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
 * resumes the thread: two IPCs per fault, no other system call. The least a user-level
 * pager does (pf_zero_toy), beside the memory server's pf_zero. */
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
    if (mica_thread_create(&t, ut, next_free++, toucher, PF_REGION, MICA_BOOT_PRIO))
        mica_printf("bench: cannot make a thread\n");
    mica_cptr_t tcb = t.tcb;
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
        report("pf_zero_toy");
}

/* ---- the memory server (servers/mem/) as the pager ------------------------------------ */

#define MS_ZERO     0x510000000000UL        /* demand-zero region of our own */
#define MS_COW      0x520000000000UL        /* its copy-on-write copy goes to the server task */

static mica_cptr_t mem_ep;
static uint64_t mem_self;

/* A thread of ours, paged by the memory server, writes to PF_PAGES pages from base, one
 * after another, timing each write. */
static long
mem_touch(struct mica_thread *t, uint64_t base)
{
    pf_done = 0;
    long err = mica_thread_create(t, ut, next_free++, toucher, base, MICA_BOOT_PRIO);
    if (!err)
        err = mem_client_attach(mem_ep, mem_self, t->tcb, CNODE, MICA_SLOT_VSPACE,
                                (uint64_t)&t->ipc, next_free++);
    if (!err)
        err = mica_tcb_resume(t->tcb);
    for (int i = 0; !err && !pf_done && i < 100000; i++)
        mica_yield();
    mica_tcb_suspend(t->tcb);
    return err ? err : pf_done ? MICA_E_OK : MICA_E_TIMEOUT;
}

/* pf_zero: first touches of a demand-zero region; pf_cow: writes to the pages of a region
 * after its copy-on-write copy into the server task's space, so each copies its page. */
static void
mem_server_bench(long err)
{
    static struct mica_thread t1, t2, t3;
    uint64_t other;
    if (!err)
        err = mem_client_create(mem_ep, MICA_SLOT_VSPACE, 1 << 20, &mem_self);
    if (!err)
        err = mem_client_create(mem_ep, bi->module[1].vspace, 1 << 20, &other);
    mica_cptr_t self = slot();
    if (!err)
        err = mica_cnode_mint(CNODE, self, CNODE, mem_ep, MICA_RIGHT_WRITE, mem_badge(mem_self, 0));
    if (!err)
        err = mem_map(self, MS_ZERO, PF_PAGES * 4096UL, MEM_W);
    if (!err && !(err = mem_touch(&t1, MS_ZERO)))
        report_mean("pf_zero");
    if (!err)
        err = mem_map(self, MS_COW, PF_PAGES * 4096UL, MEM_W);
    if (!err)
        err = mem_touch(&t2, MS_COW);               /* every page in */
    if (!err)
        err = mem_copy(mem_ep, mem_self, MS_COW, other, MS_COW);
    if (!err && !(err = mem_touch(&t3, MS_COW)))
        report_mean("pf_cow");
    if (err)
        mica_printf("bench: the memory server benchmarks failed: %s\n", mica_errname(err));
}

/* ---- an interrupt to a user-level driver ------------------------------------------------ */

#define COM2        0x2f8       /* QEMU's second -serial (tools/bench.py adds it), IRQ 3 */
#define COM2_IRQ    3
#define UART_IER    1
#define UART_IIR    2
#define UART_MCR    4
#define UART_SCR    7
#define IER_THRI    0x02        /* interrupt when the transmitter is empty: at once, here */

/* The server waits on ntfn (notify_loop) and reports when it woke on report_ep. Bind the
 * COM2 UART's interrupt to ntfn and time from our port write that raises it to the server
 * running. The write is an invocation, so irq_to_user subtracts a whole write's cost
 * (io_port_out, median): the interrupt is taken as that write's system call returns. */
static void
irq_bench(mica_cptr_t ntfn, mica_cptr_t report_ep)
{
    mica_cptr_t uart = next_free++, handler = next_free++;
    uint8_t v = 0;
    mica_io_ports_issue(MICA_SLOT_IO_PORTS, COM2, COM2 + 7, CNODE, uart);
    mica_io_out8(uart, COM2 + UART_SCR, 0xa5);
    mica_io_in8(uart, COM2 + UART_SCR, &v);
    if (v != 0xa5 || mica_irq_control_get(MICA_SLOT_IRQ_CONTROL, COM2_IRQ, CNODE, handler) ||
        mica_irq_handler_set_notification(handler, ntfn, 0)) {
        mica_printf("bench: no COM2 UART or its interrupt: irq_to_user not measured\n");
        return;
    }
    mica_io_out8(uart, COM2 + UART_MCR, 0x0b);      /* DTR, RTS, OUT2 (the PC's IRQ gate) */
    mica_io_out8(uart, COM2 + UART_IER, 0);
    mica_io_in8(uart, COM2 + UART_IIR, &v);
    mica_irq_handler_ack(handler);

    MEASURE("io_port_out", mica_io_out8(uart, COM2 + UART_SCR, 0));
    uint64_t write_cost = samples[SAMPLES / 2];
    struct mica_msg m = { 0 };
    for (int i = -WARMUP; i < SAMPLES; i++) {
        mica_io_out8(uart, COM2 + UART_IER, 0);     /* the line goes low */
        uint64_t t0 = rdtsc();
        mica_io_out8(uart, COM2 + UART_IER, IER_THRI);
        mica_recv(report_ep, &m, FOREVER);          /* the time the server woke at */
        if (i >= 0)
            samples[i] = m.mr[0] - t0;
        mica_io_in8(uart, COM2 + UART_IIR, &v);     /* serve the device, then ACK */
        mica_irq_handler_ack(handler);
    }
    report("irq_write_to_user");
    for (int i = 0; i < SAMPLES; i++)
        samples[i] -= write_cost;
    report("irq_to_user");
    mica_io_out8(uart, COM2 + UART_IER, 0);
    mica_cnode_delete(CNODE, handler);
}

int
main(void)
{
    static struct mica_thread echo, oneway, redir;
    bi = mica_bootinfo;
    if (!bi || bi->module_count < 3 || !bi->module[1].tcb || !bi->module[2].tcb) {
        mica_printf("bench: boot bench.elf, bench_server.elf and mem_server.elf\n");
        return 1;
    }
    next_free = bi->first_free_slot;
    ut = mica_boot_largest_untyped();
    /* The memory server gets the largest untyped region after ours (2^25 bytes in 128 MiB;
     * the figures need 6600 pages and no more than 32768 capabilities). */
    uint64_t give = ~0UL;
    for (uint64_t i = 0; i < bi->untyped_count; i++)
        if (bi->first_untyped + i != ut &&
            (give == ~0UL || bi->untyped[i].size_bits > bi->untyped[give].size_bits))
            give = i;
    struct mem_server_cfg cfg = { .module = 2, .cnode_bits = 15,
                                  .give = bi->first_untyped + give,
                                  .give_bits = bi->untyped[give].size_bits,
                                  .prio = MICA_BOOT_PRIO + 10, .slot = slot };
    long mem_err = mem_server_start(&cfg, ut, &mem_ep);

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
    mem_server_bench(mem_err);
    mica_cptr_t frame = next_free++;
    mica_untyped_retype(ut, MICA_OBJ_FRAME, MICA_FRAME_BITS, CNODE, frame, 1);
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
    irq_bench(ntfn, report_ep);
    return 0;
}
