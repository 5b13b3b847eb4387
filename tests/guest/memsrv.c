// SPDX-License-Identifier: MIT
/* The memory server (servers/mem/), tested from the root task: module 1 is the server,
 * modules 2 and 3 two client tasks (memclient.c) driven by commands; the root task is a
 * client too, with threads that touch its memory. The protocol and its bad requests,
 * demand-zero pages, region rights, bad faults (the thread is suspended, the supervisor
 * told), shared memory, copy-on-write across tasks, quotas, and two broken pagers of our
 * own: one that never replies and one that replies garbage. */
#include <stddef.h>
#include <string.h>

#include "mem.h"
#include "memsrv_proto.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define MS          1000000UL
#define WAIT        (500 * MS)              /* a command's time limit */
#define PG          4096UL

static const struct mica_bootinfo *bi;
static mica_cptr_t mem;                     /* the administrator's endpoint capability */

/* ---- client tasks ------------------------------------------------------------------------- */

struct task {
    const struct mica_boot_module *mod;
    uint64_t id;
    mica_cptr_t ctrl;       /* its command endpoint */
    mica_cptr_t req;        /* its request capability, for us to act as it */
};
static struct task A, B;

static long
task_start(struct task *t, unsigned module, uint64_t quota)
{
    t->mod = &bi->module[module];
    t->ctrl = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = mem_client_create(mem, t->mod->vspace, quota, &t->id);
    if (!err)
        err = mem_client_give(mem, t->id, t->mod->cnode, CLIENT_MEM);
    if (!err)
        err = mica_cnode_copy(t->mod->cnode, CLIENT_CTRL, CNODE, t->ctrl,
                              MICA_RIGHT_READ | MICA_RIGHT_WRITE);
    if (!err)
        err = mem_client_attach(mem, t->id, t->mod->tcb, t->mod->cnode, t->mod->vspace, 0,
                                test_slot());
    t->req = test_mint(mem, MICA_RIGHT_WRITE, mem_badge(t->id, 0));
    return err ? err : mica_tcb_resume(t->mod->tcb);
}

/* A command to a task: MICA_E_TIMEOUT if it did not answer in time (a bad fault). */
static long
cmd4(struct task *t, uint64_t label, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
     uint64_t *out)
{
    struct mica_msg m = { .info = mica_msginfo(label, 4), .mr = { a0, a1, a2, a3 } };
    long err = mica_call(t->ctrl, &m, WAIT);
    if (out)
        *out = err ? ~0UL : m.mr[0];
    return err;
}

static long
cmd(struct task *t, uint64_t label, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t *out)
{
    return cmd4(t, label, a0, a1, a2, 0, out);
}

static uint64_t
task_read(struct task *t, uint64_t addr)
{
    uint64_t v;
    cmd(t, CMD_READ, addr, 0, 0, &v);
    return v;
}

/* The server's answer to a request the task makes itself (three arguments). */
static long
task_mem(struct task *t, uint64_t label, uint64_t a0, uint64_t a1, uint64_t a2)
{
    uint64_t v;
    long err = cmd4(t, CMD_MEM, label, a0, a1, a2, &v);
    return err ? err : (long)v;
}

/* ---- the root task as a client: threads that touch one address ---------------------------- */

static uint64_t root_id;
static mica_cptr_t root_req, done_ntfn, never;

struct toucher {
    struct mica_thread th;
    volatile uint64_t addr, value;
    volatile int op, done;
};
enum { T_READ, T_WRITE, T_EXEC, T_SUM };

static void
touch_fn(uint64_t arg)
{
    struct toucher *x = (struct toucher *)arg;
    volatile uint64_t *p = (volatile uint64_t *)x->addr;
    if (x->op == T_READ)
        x->value = *p;
    else if (x->op == T_WRITE)
        *p = x->value;
    else if (x->op == T_EXEC)
        ((void (*)(void))x->addr)();
    else
        for (uint64_t i = 0, n = x->value * 512; i < n; i++)
            x->value += p[i] != 0;              /* value: pages, then + non-zero words */
    x->done = 1;
    mica_signal(done_ntfn);
    uint64_t bits;
    mica_wait(never, &bits, MICA_TIMEOUT_FOREVER);
}

/* A new thread of ours, paged by the memory server, does op at addr: whether it finished. */
static struct toucher *
touch(uint64_t addr, int op, uint64_t value)
{
    static struct toucher t[12];
    static unsigned n;
    struct toucher *x = &t[n++ % 12];
    uint64_t bits;
    memset((void *)&x->addr, 0, sizeof(*x) - offsetof(struct toucher, addr));
    x->addr = addr;
    x->op = op;
    x->value = value;
    long err = mica_thread_create(&x->th, test_untyped, test_slot(), touch_fn, (uint64_t)x,
                                  MICA_BOOT_PRIO);
    if (!err)
        err = mem_client_attach(mem, root_id, x->th.tcb, CNODE, MICA_SLOT_VSPACE,
                                (uint64_t)&x->th.ipc, test_slot());
    if (!err)
        err = mica_tcb_resume(x->th.tcb);
    if (err)
        mica_printf("memsrv: cannot start a toucher: %s\n", mica_errname(err));
    mica_wait(done_ntfn, &bits, 100 * MS);
    return x;
}

/* ---- the tests ------------------------------------------------------------------------------ */

static void
protocol(void)
{
    uint64_t mr[MEM_MAX_WORDS] = { 0 };
    EXPECT_ERR("unknown_method_refused", mem_rpc(root_req, 99, 0, mr, 0, NULL),
               MICA_E_BAD_METHOD);
    EXPECT_ERR("unknown_admin_method_refused", mem_rpc(mem, 20, 0, mr, 0, NULL),
               MICA_E_BAD_METHOD);
    EXPECT_ERR("wrong_length_refused", mem_rpc(root_req, MEM_MAP, 2, mr, 0, NULL),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("admin_method_needs_the_admin_badge", mem_client_quota(root_req, root_id, 1),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("admin_is_no_client", mem_map(mem, 0x500000000000UL, PG, MEM_W),
               MICA_E_NO_RIGHTS);
    uint64_t id;
    EXPECT_ERR("create_needs_a_vspace",
               mem_client_create(mem, MICA_SLOT_TCB, 10, &id), MICA_E_NO_CAP);
    EXPECT_ERR("create_without_a_capability_refused",
               mem_rpc(mem, MEM_CLIENT_CREATE, 1, mr, 0, NULL), MICA_E_INVALID_ARG);
    EXPECT_ERR("unknown_client_refused", mem_client_quota(mem, 63, 1), MICA_E_INVALID_ARG);
    EXPECT_ERR("unaligned_region_refused", mem_map(root_req, 0x500000000100UL, PG, MEM_W),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("empty_region_refused", mem_map(root_req, 0x500000000000UL, 0, MEM_W),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("kernel_region_refused", mem_map(root_req, 0xffff800000000000UL, PG, MEM_W),
               MICA_E_RANGE);
    EXPECT_ERR("region_past_user_space_refused",
               mem_map(root_req, MICA_USER_TOP - PG, 2 * PG, MEM_W), MICA_E_RANGE);
    EXPECT_ERR("unknown_rights_refused", mem_map(root_req, 0x500000000000UL, PG, 1u << 8),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("map_region", mem_map(root_req, 0x500000000000UL, 64 * PG, MEM_W), MICA_E_OK);
    EXPECT_ERR("overlapping_region_refused",
               mem_map(root_req, 0x500000000000UL + 63 * PG, 2 * PG, MEM_W), MICA_E_SLOT_FULL);
    EXPECT_ERR("unmap_of_no_region_refused", mem_unmap(root_req, 0x500000000000UL + PG),
               MICA_E_INVALID_ARG);
    struct mem_usage u;
    mem_usage(root_req, &u);
    EXPECT("usage_counts_regions", u.regions == 1 && u.pages == 0 && u.quota == 4096 && u.free,
           "regions %lu pages %lu quota %lu free %lu", (unsigned long)u.regions,
           (unsigned long)u.pages, (unsigned long)u.quota, (unsigned long)u.free);
}

#define RZ  0x500000000000UL                /* 64 pages, read-write */
#define RR  0x500001000000UL                /* 4 pages, read-only */
#define RX  0x500002000000UL                /* 1 page, read-write-execute */

static void
demand_zero_and_rights(void)
{
    struct toucher *x = touch(RZ + 5 * PG + 8, T_READ, 0);
    EXPECT("demand_zero_page_reads_zero", x->done && x->value == 0, "done %d value %#lx",
           x->done, (unsigned long)x->value);
    x = touch(RZ, T_WRITE, 0x77);
    EXPECT("demand_zero_page_takes_a_write", x->done && *(volatile uint64_t *)RZ == 0x77,
           "done %d", x->done);
    x = touch(RZ, T_SUM, 64);
    EXPECT("demand_zero_region_is_zero_but_the_write", x->done && x->value == 64 + 1,
           "done %d, %lu non-zero words", x->done, (unsigned long)(x->value - 64));
    struct mem_usage u;
    mem_usage(root_req, &u);
    EXPECT("usage_counts_pages_and_tables", u.pages >= 64 && u.pages <= 64 + 3,
           "%lu pages", (unsigned long)u.pages);

    mica_cptr_t sup = test_make(MICA_OBJ_NOTIFICATION, 0);
    EXPECT_ERR("supervisor_registered", mem_client_supervisor(mem, root_id, sup), MICA_E_OK);
    mem_map(root_req, RR, 4 * PG, 0);
    x = touch(RR + PG, T_READ, 1);
    EXPECT("read_only_region_reads", x->done && x->value == 0, "done %d", x->done);
    x = touch(RR + PG, T_WRITE, 5);
    struct mem_fault_info fi;
    mem_fault_info(mem, root_id, &fi);
    EXPECT("write_to_read_only_region_is_not_resolved",
           !x->done && fi.why == MEM_WHY_RIGHTS && fi.addr == RR + PG &&
           (fi.flags & MICA_FAULT_FLAG_WRITE) && fi.count == 1,
           "done %d why %lu addr %#lx flags %#lx", x->done, (unsigned long)fi.why,
           (unsigned long)fi.addr, (unsigned long)fi.flags);
    uint64_t bits = 0;
    mica_wait(sup, &bits, MICA_TIMEOUT_POLL);
    EXPECT("supervisor_is_signalled", bits != 0, "no signal");

    /* The supervisor mends the region and resumes the thread: it faults again, and wins. */
    mem_unmap(root_req, RR);
    mem_map(root_req, RR, 4 * PG, MEM_W);
    mica_tcb_resume(x->th.tcb);
    mica_wait(done_ntfn, &bits, 100 * MS);
    EXPECT("resumed_after_the_region_is_mended", x->done && *(volatile uint64_t *)(RR + PG) == 5,
           "done %d", x->done);

    x = touch(0x500100000000UL, T_READ, 0);
    mem_fault_info(mem, root_id, &fi);
    EXPECT("fault_outside_every_region_is_not_resolved",
           !x->done && fi.why == MEM_WHY_NO_REGION && fi.addr == 0x500100000000UL,
           "done %d why %lu", x->done, (unsigned long)fi.why);
    x = touch(RZ + 64, T_EXEC, 0);
    mem_fault_info(mem, root_id, &fi);
    EXPECT("fetch_from_a_non_exec_region_is_not_resolved",
           !x->done && fi.why == MEM_WHY_RIGHTS && (fi.flags & MICA_FAULT_FLAG_EXEC),
           "done %d why %lu flags %#lx", x->done, (unsigned long)fi.why, (unsigned long)fi.flags);
    mem_map(root_req, RX, PG, MEM_W | MEM_X);
    touch(RX + 64, T_WRITE, 0xc3);                 /* ret */
    x = touch(RX + 64, T_EXEC, 0);
    EXPECT("exec_region_runs", x->done, "the call did not return");
}

#define SH  0x20000000UL                        /* A's shared region; B's at SH2 */
#define SH2 0x30000000UL
#define CW  0x40000000UL                        /* A's private region, copied to B */

static void
sharing(void)
{
    EXPECT_ERR("task_maps_a_shared_region",
               task_mem(&A, MEM_MAP, SH, 4 * PG, MEM_W | MEM_SHARED), MICA_E_OK);
    EXPECT_ERR("share_with_more_rights_refused", mem_share(mem, A.id, SH, B.id, SH2, MEM_W | MEM_X),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("share_into_another_task", mem_share(mem, A.id, SH, B.id, SH2, MEM_W), MICA_E_OK);
    cmd(&A, CMD_WRITE, SH, 0x1111, 0, NULL);
    cmd(&B, CMD_WRITE, SH2 + PG, 0x2222, 0, NULL);
    EXPECT("shared_memory_seen_by_the_other_task", task_read(&B, SH2) == 0x1111,
           "B reads %#lx", (unsigned long)task_read(&B, SH2));
    EXPECT("shared_memory_seen_both_ways", task_read(&A, SH + PG) == 0x2222,
           "A reads %#lx", (unsigned long)task_read(&A, SH + PG));
    EXPECT("untouched_shared_page_is_zero", task_read(&B, SH2 + 3 * PG) == 0, "not zero");

    EXPECT_ERR("private_region_cannot_be_shared",
               (task_mem(&A, MEM_MAP, CW, 8 * PG, MEM_W), mem_share(mem, A.id, CW, B.id, CW, 0)),
               MICA_E_BAD_STATE);
}

static void
copy_on_write(void)
{
    uint64_t n = ~0UL;
    cmd(&A, CMD_FILL, CW, 6, 0xaaaa, NULL);     /* pages 6 and 7 stay untouched */
    EXPECT_ERR("copy_into_an_occupied_range_refused", mem_copy(mem, A.id, CW, B.id, SH2),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("copy_of_no_region_refused", mem_copy(mem, A.id, CW + PG, B.id, CW),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("copy_on_write_copy", mem_copy(mem, A.id, CW, B.id, CW), MICA_E_OK);
    cmd(&B, CMD_COUNT, CW, 6, 0xaaaa, &n);
    EXPECT("copy_sees_the_original", n == 0, "%lu words differ", (unsigned long)n);
    cmd(&B, CMD_COUNT, CW + 6 * PG, 2, 0, &n);
    EXPECT("untouched_pages_stay_demand_zero", n == 0, "%lu words differ", (unsigned long)n);

    cmd(&A, CMD_WRITE, CW, 0xbbbb, 0, NULL);
    EXPECT("parent_write_not_seen_by_the_child", task_read(&B, CW) == 0xaaaa,
           "B reads %#lx", (unsigned long)task_read(&B, CW));
    EXPECT("parent_sees_its_write", task_read(&A, CW) == 0xbbbb, "A reads %#lx",
           (unsigned long)task_read(&A, CW));
    cmd(&B, CMD_WRITE, CW + PG, 0xcccc, 0, NULL);
    EXPECT("child_write_not_seen_by_the_parent", task_read(&A, CW + PG) == 0xaaaa,
           "A reads %#lx", (unsigned long)task_read(&A, CW + PG));
    EXPECT("child_sees_its_write", task_read(&B, CW + PG) == 0xcccc, "B reads %#lx",
           (unsigned long)task_read(&B, CW + PG));
    /* Page 2: the child copies; then the parent is the last holder and writes in place. */
    cmd(&B, CMD_WRITE, CW + 2 * PG + 8, 1, 0, NULL);
    cmd(&A, CMD_WRITE, CW + 2 * PG + 8, 2, 0, NULL);
    EXPECT("last_holder_writes_its_own_page",
           task_read(&A, CW + 2 * PG + 8) == 2 && task_read(&B, CW + 2 * PG + 8) == 1 &&
           task_read(&A, CW + 2 * PG) == 0xaaaa, "A %#lx B %#lx",
           (unsigned long)task_read(&A, CW + 2 * PG + 8),
           (unsigned long)task_read(&B, CW + 2 * PG + 8));
    cmd(&A, CMD_COUNT, CW + 3 * PG, 3, 0xaaaa, &n);
    EXPECT("other_pages_untouched", n == 0, "%lu words differ", (unsigned long)n);

    /* A whole address space, into ours: private regions copied, shared ones shared. */
    EXPECT_ERR("copy_of_a_whole_space", mem_copy(mem, A.id, MEM_ALL, root_id, 0), MICA_E_OK);
    volatile uint64_t *cw = (volatile uint64_t *)CW;
    EXPECT("whole_space_copy_has_the_parent_pages", cw[0] == 0xbbbb && cw[512] == 0xaaaa,
           "%#lx %#lx", (unsigned long)cw[0], (unsigned long)cw[512]);
    cmd(&B, CMD_WRITE, SH2 + 2 * PG, 0x3333, 0, NULL);
    struct toucher *x = touch(SH + 2 * PG, T_READ, 0);
    EXPECT("whole_space_copy_shares_shared_regions", x->done && x->value == 0x3333,
           "done %d value %#lx", x->done, (unsigned long)x->value);
}

static void
quotas(void)
{
    struct mem_usage u;
    uint64_t n;
    mem_usage(B.req, &u);
    EXPECT_ERR("quota_set", mem_client_quota(mem, B.id, u.pages + 2), MICA_E_OK);
    EXPECT_ERR("copy_beyond_the_quota_refused", mem_copy(mem, A.id, CW, B.id, 0x50000000UL),
               MICA_E_NO_MEMORY);
    task_mem(&B, MEM_MAP, 0x60000000UL, 8 * PG, MEM_W);
    EXPECT_ERR("fault_beyond_the_quota_is_not_resolved",
               cmd(&B, CMD_FILL, 0x60000000UL, 8, 9, NULL), MICA_E_TIMEOUT);
    struct mem_fault_info fi;
    mem_fault_info(mem, B.id, &fi);
    mem_usage(B.req, &u);
    EXPECT("quota_fault_recorded", fi.why == MEM_WHY_QUOTA && u.pages == u.quota,
           "why %lu pages %lu quota %lu", (unsigned long)fi.why, (unsigned long)u.pages,
           (unsigned long)u.quota);
    cmd(&A, CMD_FILL, CW + 6 * PG, 2, 6, NULL);
    cmd(&A, CMD_COUNT, CW + 6 * PG, 2, 6, &n);
    EXPECT("other_client_keeps_working", n == 0, "%lu words differ", (unsigned long)n);

    /* More quota, and the suspended thread finishes its command when resumed. */
    mem_client_quota(mem, B.id, u.quota + 64);
    mica_tcb_resume(B.mod->tcb);
    EXPECT("more_quota_lets_it_finish", cmd(&B, CMD_COUNT, 0x60000000UL, 8, 9, &n) == 0 && n == 0,
           "%lu words differ", (unsigned long)n);

    EXPECT_ERR("unmap_region", mem_unmap(B.req, 0x60000000UL), MICA_E_OK);
    mem_usage(B.req, &u);
    uint64_t before = u.pages;
    EXPECT_ERR("destroy_client", mem_client_destroy(mem, B.id), MICA_E_OK);
    EXPECT_ERR("destroyed_client_is_gone", mem_usage(B.req, &u), MICA_E_NO_RIGHTS);
    EXPECT("copied_pages_survive_their_copy", task_read(&A, CW + PG) == 0xaaaa && before,
           "A reads %#lx", (unsigned long)task_read(&A, CW + PG));
}

/* ---- pagers of our own that fail -------------------------------------------------------- */

static mica_cptr_t broken_ep;
static volatile long call_err = -1;
static volatile int touched;

static void
faulter(uint64_t addr)
{
    *(volatile uint64_t *)addr = 1;
    touched++;
    uint64_t bits;
    mica_wait(never, &bits, MICA_TIMEOUT_FOREVER);
}

static void
caller(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { .info = mica_msginfo(1, 0) };
    call_err = mica_call(broken_ep, &m, 50 * MS);
    uint64_t bits;
    mica_wait(never, &bits, MICA_TIMEOUT_FOREVER);
}

/* The pager that never replies: it takes one fault and sleeps. */
static void
sleeper(uint64_t unused)
{
    (void)unused;
    struct mica_msg m = { 0 };
    mica_recv(broken_ep, &m, MICA_TIMEOUT_FOREVER);
    uint64_t bits;
    mica_wait(never, &bits, MICA_TIMEOUT_FOREVER);
}

static long
thread(struct mica_thread *th, void (*fn)(uint64_t), uint64_t arg, mica_cptr_t fault_ep,
       unsigned prio)
{
    long err = mica_thread_create(th, test_untyped, test_slot(), fn, arg, prio);
    if (!err)
        err = mica_tcb_configure(th->tcb, CNODE, MICA_SLOT_VSPACE, (uint64_t)&th->ipc, fault_ep);
    return err ? err : mica_tcb_resume(th->tcb);
}

static void
broken_pagers(void)
{
    static struct mica_thread p, f, c, g;
    uint64_t bits, n;
    broken_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    thread(&p, sleeper, 0, 0, MICA_BOOT_PRIO + 1);
    thread(&f, faulter, 0x510000000000UL, broken_ep, MICA_BOOT_PRIO);
    thread(&c, caller, 0, 0, MICA_BOOT_PRIO);
    mica_wait(never, &bits, 100 * MS);         /* let them run */
    EXPECT_ERR("call_to_a_silent_pager_times_out", call_err, MICA_E_TIMEOUT);
    EXPECT("its_faulting_client_stays_blocked", touched == 0, "it ran on");
    cmd(&A, CMD_FILL, CW, 1, 4, NULL);
    cmd(&A, CMD_COUNT, CW, 1, 4, &n);
    EXPECT("other_pagers_clients_keep_working", n == 0, "%lu words differ", (unsigned long)n);

    /* A pager that answers garbage first: an overlong reply (refused: it still owes the
     * reply), then a resume without a mapping (the same fault comes again). */
    mica_cptr_t ep = test_make(MICA_OBJ_ENDPOINT, 0);
    uint64_t va = 0x520000000000UL;
    thread(&g, faulter, va, ep, MICA_BOOT_PRIO);
    struct mica_msg m = { 0 };
    long err = mica_recv(ep, &m, 100 * MS);
    uint64_t addr = m.mr[1];
    EXPECT("garbage_pager_gets_the_fault", !err && mica_msg_label(m.info) == MICA_FAULT_PAGE &&
           addr == va, "err %s label %#lx addr %#lx", mica_errname(err),
           (unsigned long)mica_msg_label(m.info), (unsigned long)addr);
    m.info = mica_msginfo(MICA_FAULT_REPLY_RESUME, MICA_MSG_LENGTH_MASK);
    EXPECT_ERR("overlong_reply_refused", mica_reply_recv(ep, &m, MICA_TIMEOUT_POLL), MICA_E_RANGE);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 0) };
    err = mica_reply_recv(ep, &m, 100 * MS);
    EXPECT("unresolved_fault_comes_again", !err && mica_msg_label(m.info) == MICA_FAULT_PAGE &&
           m.mr[1] == va && touched == 0, "err %s addr %#lx", mica_errname(err),
           (unsigned long)m.mr[1]);
    /* Now properly: tables and a frame, then resume. */
    for (int i = 0; i < 3; i++)
        mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), MICA_SLOT_VSPACE, va);
    mica_frame_map(test_make(MICA_OBJ_FRAME, 12), MICA_SLOT_VSPACE, va, MICA_MAP_WRITE);
    m = (struct mica_msg){ .info = mica_msginfo(MICA_FAULT_REPLY_RESUME, 0) };
    mica_reply_recv(ep, &m, 50 * MS);
    EXPECT("answered_properly_it_runs_on", touched == 1, "touched %d", touched);
}

/* Device memory as a region: the HPET's registers, mapped uncached at once into our space. */
#define DEV     0x580000000000UL
#define HPET    0xfed00000UL

static void
device_regions(void)
{
    mica_cptr_t block = test_slot(), ram = test_slot();
    long err = mica_device_memory_issue(MICA_SLOT_DEVICE_MEMORY, MICA_OBJ_DEVICE_MEMORY, HPET, 12,
                                        CNODE, block);
    if (!err)
        err = mem_device(mem, root_id, DEV, PG, 0, HPET, block);
    uint64_t caps = err ? 0 : *(volatile uint64_t *)DEV, period = caps >> 32;
    EXPECT("device_region_maps_the_registers", !err && period && period <= 100000000,
           "err %s, capabilities %#lx", mica_errname(err), (unsigned long)caps);
    EXPECT_ERR("device_region_is_not_copied", mem_copy(mem, root_id, DEV, A.id, DEV),
               MICA_E_BAD_STATE);
    EXPECT_ERR("device_region_beyond_its_block_refused",
               mem_device(mem, root_id, DEV + 16 * PG, 2 * PG, 0, HPET,
                          test_copy(block, MICA_RIGHTS_ALL)), MICA_E_RANGE);
    mica_device_memory_issue(MICA_SLOT_DEVICE_MEMORY, MICA_OBJ_DEVICE_MEMORY, 0x200000, 12,
                             CNODE, ram);
    EXPECT_ERR("device_region_of_ram_refused",
               mem_device(mem, root_id, DEV + 32 * PG, PG, MEM_W, 0x200000, ram), MICA_E_INVALID_ARG);
    EXPECT_ERR("device_region_needs_device_memory",
               mem_device(mem, root_id, DEV + 32 * PG, PG, 0, HPET, never), MICA_E_NO_CAP);
    uint64_t pa = 0;
    unsigned attrs = 0;
    mica_vspace_query(MICA_SLOT_VSPACE, DEV, &pa, &attrs);
    EXPECT("device_page_uncached_read_only", pa == HPET && attrs == MICA_MAP_UNCACHED,
           "paddr %#lx, attrs %u", (unsigned long)pa, attrs);
    EXPECT_ERR("device_region_unmapped", mem_unmap(root_req, DEV), MICA_E_OK);
    mica_vspace_query(MICA_SLOT_VSPACE, DEV, &pa, &attrs);
    EXPECT("device_page_gone", pa == 0, "still at %#lx", (unsigned long)pa);
}

int
main(void)
{
    if (!test_root_setup())
        return 1;
    bi = mica_bootinfo;
    if (bi->module_count < 4 || !bi->module[1].tcb || !bi->module[2].tcb || !bi->module[3].tcb) {
        mica_printf("memsrv: boot memsrv.elf mem_server.elf memclient.elf memclient.elf\n");
        return 1;
    }
    struct mem_server_cfg cfg = { .module = 1, .cnode_bits = 14, .give = test_untyped,
                                  .give_bits = 24,
                                  .prio = MICA_BOOT_PRIO + 10, .slot = test_slot };
    EXPECT_ERR("memory_server_starts", mem_server_start(&cfg, test_untyped, &mem), MICA_E_OK);
    done_ntfn = test_make(MICA_OBJ_NOTIFICATION, 0);
    never = test_make(MICA_OBJ_NOTIFICATION, 0);
    long err = mem_client_create(mem, MICA_SLOT_VSPACE, 4096, &root_id);
    root_req = test_mint(mem, MICA_RIGHT_WRITE, mem_badge(root_id, 0));
    if (!err)
        err = task_start(&A, 2, 4096);
    if (!err)
        err = task_start(&B, 3, 4096);
    EXPECT_ERR("clients_start", err, MICA_E_OK);
    if (err)
        return 1;

    protocol();
    demand_zero_and_rights();
    sharing();
    copy_on_write();
    quotas();
    broken_pagers();
    device_regions();
    return test_failures;
}
