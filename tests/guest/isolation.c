// SPDX-License-Identifier: MIT
/*
 * Isolation, tested from the root task with isolation_peer.elf (module 1) as the other task:
 * the peer tries to reach objects it holds no capability to (guessed indices, forged badges,
 * an index after its capability was revoked), another task's memory (directly and through
 * the kernel), and priorities above its MCP, then exhausts its own memory while this task
 * goes on. Here: a spinning high-priority thread cannot keep a higher one from running.
 */
#include "isolation_proto.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define MS          1000000UL

static mica_cptr_t reports, service, service_peer;

/* This task's secret page, and a page it shares read-only with the peer. */
static long
map_pages(mica_cptr_t peer_vspace)
{
    long err = 0;
    mica_cptr_t secret = test_make(MICA_OBJ_FRAME, 12), shared = test_make(MICA_OBJ_FRAME, 12);
    mica_cptr_t shared_peer = test_copy(shared, MICA_RIGHT_READ);
    for (unsigned i = 0; i < 3 && !err; i++)
        err = mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), MICA_SLOT_VSPACE,
                                  SECRET_VADDR);
    for (unsigned i = 0; i < 3 && !err; i++)
        err = mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), MICA_SLOT_VSPACE,
                                  SHARED_VADDR);
    for (unsigned i = 0; i < 3 && !err; i++)
        err = mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), peer_vspace, SHARED_VADDR);
    if (err || (err = mica_frame_map(secret, MICA_SLOT_VSPACE, SECRET_VADDR, MICA_MAP_WRITE)) ||
        (err = mica_frame_map(shared, MICA_SLOT_VSPACE, SHARED_VADDR, MICA_MAP_WRITE)) ||
        (err = mica_frame_map(shared_peer, peer_vspace, SHARED_VADDR, 0)))
        return err;
    *(volatile uint64_t *)SECRET_VADDR = SECRET_WORD;
    *(volatile uint64_t *)SHARED_VADDR = SECRET_WORD;
    return 0;
}

static long
start_peer(const struct mica_boot_module *m)
{
    long err;
    reports = test_make(MICA_OBJ_ENDPOINT, 0);
    service = test_mint(reports, MICA_RIGHT_WRITE, SERVICE_BADGE);
    service_peer = test_slot();
    if ((err = map_pages(m->vspace)) ||
        (err = mica_cnode_mint(m->cnode, PEER_REPORT, CNODE, reports, MICA_RIGHT_WRITE,
                               REPORT_BADGE)) ||
        (err = mica_untyped_retype(test_untyped, MICA_OBJ_UNTYPED, 16, m->cnode, PEER_UNTYPED,
                                   1)) ||
        (err = mica_cnode_copy(CNODE, service_peer, CNODE, service, MICA_RIGHT_WRITE)) ||
        (err = mica_cnode_move(m->cnode, PEER_SERVICE, CNODE, service_peer)))
        return err;
    return mica_tcb_resume(m->tcb);
}

/* Each report of the peer, judged; the badge probe is answered after its capability is
 * revoked, so the peer's next use of the index finds it empty. */
static void
judge_peer(void)
{
    struct mica_msg m = { 0 };
    long err = mica_recv(reports, &m, 5000 * MS);
    while (!err) {
        uint64_t label = mica_msg_label(m.info), a = m.mr[0], b = m.mr[1], c = m.mr[2];
        switch (label) {
        case R_GUESS:
            EXPECT("guessed_indices_reach_nothing", !a && b > 100, "%lu of %lu wrong",
                   (unsigned long)a, (unsigned long)b);
            break;
        case R_BADGE:
            EXPECT("badge_cannot_be_forged", m.badge == SERVICE_BADGE && !a,
                   "badge %#lx, mint of a new badge %s", (unsigned long)m.badge,
                   a ? "allowed" : "refused");
            EXPECT_ERR("revoke_takes_the_peers_capability", mica_cnode_revoke(CNODE, service),
                       MICA_E_OK);
            break;
        case R_STALE:
            EXPECT_ERR("stale_index_after_revoke_is_empty", (long)a, MICA_E_NO_CAP);
            break;
        case R_PRIO:
            EXPECT("priority_above_mcp_refused_to_a_task", !a, "%lu wrong results",
                   (unsigned long)a);
            break;
        case R_READ_FAULT:
        case R_WRITE_FAULT:
            EXPECT(label == R_READ_FAULT ? "other_tasks_memory_unreadable"
                                         : "other_tasks_memory_unwritable",
                   a == MICA_FAULT_PAGE && b == SECRET_VADDR &&
                       c == (label == R_WRITE_FAULT ? MICA_FAULT_FLAG_WRITE : 0),
                   "label %#lx at %#lx, flags %#lx", (unsigned long)a, (unsigned long)b,
                   (unsigned long)c);
            break;
        case R_KERNEL_COPY:
            EXPECT("kernel_reads_no_other_tasks_memory",
                   a == MICA_E_FAULT && b == MICA_E_INVALID_ARG, "debug write %s, IPC buffer %s",
                   mica_errname((long)a), mica_errname((long)b));
            break;
        case R_SHARED_READ:
            EXPECT("mapped_page_readable", a == SECRET_WORD, "read %#lx", (unsigned long)a);
            break;
        case R_SHARED_WRITE:
            EXPECT("read_only_mapping_unwritable",
                   a == MICA_FAULT_PAGE && b == SHARED_VADDR &&
                       c == (MICA_FAULT_FLAG_WRITE | MICA_FAULT_FLAG_PRESENT),
                   "label %#lx at %#lx, flags %#lx", (unsigned long)a, (unsigned long)b,
                   (unsigned long)c);
            EXPECT("shared_word_unchanged", *(volatile uint64_t *)SHARED_VADDR == SECRET_WORD,
                   "changed");
            break;
        case R_EXHAUST: {
            EXPECT("exhausting_task_gets_no_memory", a > 0 && b == MICA_E_NO_MEMORY,
                   "%lu objects, then %s", (unsigned long)a, mica_errname((long)b));
            EXPECT_ERR("others_allocate_after_exhaustion",
                       mica_untyped_retype(test_untyped, MICA_OBJ_ENDPOINT, 0, CNODE,
                                           test_slot(), 1), MICA_E_OK);
            break;
        }
        case R_DONE:
            EXPECT("peer_finished", 1, "never");
            return;
        }
        m.info = mica_msginfo(0, 0);
        err = mica_reply_recv(reports, &m, 5000 * MS);
    }
    EXPECT_ERR("peer_reports", err, MICA_E_OK);
}

static volatile uint64_t spins, woken;
static mica_cptr_t wake_ntfn;

static void
spin(uint64_t unused)
{
    (void)unused;
    for (;;)
        spins++;
}

static void
wake_on_signal(uint64_t unused)
{
    (void)unused;
    uint64_t bits;
    for (;;)
        if (!mica_wait(wake_ntfn, &bits, MICA_TIMEOUT_FOREVER))
            woken++;
}

/* A thread spinning at 150 cannot keep this one (200) from waking on time, nor one at 180
 * from running when signalled. */
static void
spinning_cannot_block_higher(void)
{
    static struct mica_thread spinner, waiter;
    mica_cptr_t sleep_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    wake_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    long err = mica_thread_create(&spinner, test_untyped, test_slot(), spin, 0, 150);
    if (!err)
        err = mica_thread_create(&waiter, test_untyped, test_slot(), wake_on_signal, 0, 180);
    if (!err)
        err = mica_tcb_resume(spinner.tcb);
    if (!err)
        err = mica_tcb_resume(waiter.tcb);
    unsigned wakeups = 0;
    for (unsigned i = 0; i < 5 && !err; i++) {
        struct mica_msg m = { 0 };
        wakeups += mica_recv(sleep_ep, &m, 20 * MS) == MICA_E_TIMEOUT;
        mica_signal(wake_ntfn);
    }
    struct mica_msg m = { 0 };
    mica_recv(sleep_ep, &m, 20 * MS);
    EXPECT("spinning_thread_ran", !err && spins > 0, "err %s", mica_errname(err));
    EXPECT("higher_priority_wakes_beside_a_spinner", wakeups == 5, "%u of 5 wakeups", wakeups);
    EXPECT("signalled_higher_thread_runs_beside_a_spinner", woken == 5, "woken %lu times",
           (unsigned long)woken);
    mica_tcb_suspend(spinner.tcb);
    mica_tcb_suspend(waiter.tcb);
}

int
main(void)
{
    const struct mica_bootinfo *bi = mica_bootinfo;
    if (!test_root_setup() || bi->module_count < 2 || !bi->module[1].tcb) {
        mica_printf("TEST FAIL isolation_needs_its_peer: boot isolation.elf isolation_peer.elf\n");
        return 1;
    }
    mica_tcb_set_priority(MICA_SLOT_TCB, 200);
    spinning_cannot_block_higher();
    long err = start_peer(&bi->module[1]);
    EXPECT_ERR("peer_started", err, MICA_E_OK);
    if (!err)
        judge_peer();
    return test_failures;
}
