// SPDX-License-Identifier: MIT
/* Map items in IPC, from the root task (A) with tests/guest/mapper.c as boot modules 1 and 2
 * (tasks B and C): pages mapped into receive windows and only there, rights cut on the way,
 * grant taking the page from the sender, a page passed A -> B -> C and unmapped everywhere
 * by one revoke at A, and a pager thread resolving page faults with a map item in its reply
 * (and getting an error for a garbage one). */
#include "mapper_proto.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define VSPACE      MICA_SLOT_VSPACE
#define FOREVER     MICA_TIMEOUT_FOREVER
#define MS          1000000UL
#define BASE        0x600000000000UL        /* our own pages to send */
#define W           MAPPER_WINDOW
#define GARBAGE_VA  (W + 0x100000)          /* the pager answers this fault badly, once */

static const struct mica_bootinfo *bi;
static mica_cptr_t ep[3];                   /* [1] B's endpoint, [2] C's */

/* ---- the pager: a thread of ours serving B's and C's page faults ---------------------- */

static mica_cptr_t fault_ep;
static struct mica_thread pager_thread;
static volatile unsigned faults_served, write_faults, garbage_replies;
static volatile uint64_t last_flags;
static volatile long garbage_err = -1;

static void
pager(uint64_t unused)
{
    (void)unused;
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    struct mica_msg m = { 0 };
    long err = mica_recv(fault_ep, &m, FOREVER);
    for (;;) {
        if (err || mica_msg_label(m.info) != MICA_FAULT_PAGE) {
            err = mica_recv(fault_ep, &m, FOREVER);
            continue;
        }
        uint64_t addr = m.mr[1], flags = m.mr[3], task = m.badge;
        last_flags = flags;
        if (flags & MICA_FAULT_FLAG_PRESENT) {
            /* A write to a read-only page: skip mapper.c's 3-byte store, rax = 1. */
            uint64_t regs[MICA_REG_COUNT];
            mica_tcb_read_regs(bi->module[task].tcb, regs);
            regs[MICA_REG_RIP] += 3;
            regs[MICA_REG_RAX] = 1;
            for (unsigned i = 0; i < MICA_REG_COUNT; i++)
                *(i < MICA_MSG_REG_WORDS ? &m.mr[i] : &buf->mr[i]) = regs[i];
            m.info = mica_msginfo(MICA_FAULT_REPLY_REGS, MICA_REG_COUNT);
            write_faults++;
        } else {
            /* A fresh page with the faulting address in its first word, mapped by the reply. */
            mica_cptr_t frame = test_make(MICA_OBJ_FRAME, 12);
            mica_cptr_t mine = test_copy(frame, MICA_RIGHTS_ALL);
            mica_frame_map(mine, VSPACE, BASE + 0x100000, MICA_MAP_WRITE);
            *(volatile uint64_t *)(BASE + 0x100000 + (addr & 0xff8)) = addr;
            mica_frame_unmap(mine);
            bool garbage = addr == GARBAGE_VA && !garbage_replies++;
            buf->caps[0] = garbage ? fault_ep : frame;  /* not a frame: refused */
            buf->map_attrs = MICA_MAP_WRITE;
            m.info = mica_msginfo_caps(MICA_FAULT_REPLY_RESUME, 1, 0) | MICA_MSG_MAP;
            faults_served++;
        }
        err = mica_reply_recv(fault_ep, &m, FOREVER);
        if (err && garbage_replies == 1 && garbage_err == -1)
            garbage_err = err;
    }
}

/* ---- helpers ------------------------------------------------------------------------ */

static uint64_t
call(unsigned task, uint64_t label, uint64_t a, uint64_t b, uint64_t c, long *err)
{
    struct mica_msg m = { .info = mica_msginfo(label, 3), .mr = { a, b, c } };
    long e = mica_call(ep[task], &m, 1000 * MS);
    if (err)
        *err = e;
    return m.mr[0];
}

/* Send n map items (caps[] = frames) to task, which takes them into its window; how many
 * it took and the first one's rights. */
static long
send_items(unsigned task, const mica_cptr_t *frames, unsigned n, uint64_t attrs, bool move,
           unsigned *taken, uint64_t *rights)
{
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    for (unsigned i = 0; i < n; i++)
        buf->caps[i] = frames[i];
    buf->map_attrs = attrs;
    struct mica_msg m = { .info = mica_msginfo_caps(M_TAKE, n, 0) | MICA_MSG_MAP |
                                  (move ? MICA_MSG_MOVE_CAPS : 0) };
    long err = mica_call(ep[task], &m, 1000 * MS);
    *taken = (unsigned)m.mr[0];
    if (rights)
        *rights = m.mr[1];
    return err;
}

static uint64_t
frame_paddr(mica_cptr_t frame)
{
    uint64_t pa = 0;
    mica_frame_address(frame, &pa);
    return pa;
}

/* A frame of ours mapped at va, its first word value. */
static mica_cptr_t
own_page(uint64_t va, uint64_t value)
{
    mica_cptr_t f = test_make(MICA_OBJ_FRAME, 12);
    mica_frame_map(f, VSPACE, va, MICA_MAP_WRITE);
    *(volatile uint64_t *)va = value;
    return f;
}

static bool
slot_empty(mica_cptr_t cnode, uint64_t slot)
{
    struct mica_cap_info info = { 0 };
    return !mica_cnode_identify(cnode, slot, &info) && info.type == MICA_OBJ_NULL;
}

/* ---- the tests ---------------------------------------------------------------------- */

static bool
setup(void)
{
    fault_ep = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = test_map_tables(VSPACE, BASE);
    for (unsigned t = 1; t <= 2 && !err; t++) {
        const struct mica_boot_module *mod = &bi->module[t];
        mica_cptr_t badged_fault = test_mint(fault_ep, MICA_RIGHT_WRITE, t);
        ep[t] = test_make(MICA_OBJ_ENDPOINT, 0);
        err = mica_cnode_copy(mod->cnode, MAPPER_EP, CNODE, ep[t], MICA_RIGHT_READ);
        if (!err)   /* our fault endpoint; the mapper names its IPC buffer when it starts */
            err = mica_tcb_configure(mod->tcb, mod->cnode, mod->vspace, 0, badged_fault);
        if (!err)
            err = test_map_tables(mod->vspace, W);

    }
    if (!err)   /* B may send to C, with map items */
        err = mica_cnode_copy(bi->module[1].cnode, MAPPER_NEXT, CNODE, ep[2], MICA_RIGHTS_ALL);
    if (!err)
        err = mica_thread_create(&pager_thread, test_untyped, test_slot(), pager, 0,
                                 MICA_BOOT_PRIO);
    for (unsigned t = 1; t <= 2 && !err; t++)
        err = mica_tcb_resume(bi->module[t].tcb);
    if (!err)
        err = mica_tcb_resume(pager_thread.tcb);
    EXPECT_ERR("mappers_started", err, MICA_E_OK);
    return !err;
}

static void
windows(void)
{
    mica_cptr_t vs_b = bi->module[1].vspace;
    mica_cptr_t f = own_page(BASE, 0xfeed);
    unsigned taken = 9;
    uint64_t rights = 0;

    long err = send_items(1, &f, 1, 0, false, &taken, &rights);
    EXPECT("no_window_no_items", !err && taken == 0 && !test_mapped(vs_b, W, NULL),
           "err %s, taken %u", mica_errname(err), taken);

    call(1, M_WINDOW, W + 8, 4096, MAPPER_RECV, NULL);
    err = send_items(1, &f, 1, 0, false, &taken, &rights);
    EXPECT("unaligned_window_takes_none", !err && taken == 0, "taken %u", taken);

    call(1, M_WINDOW, W, 4096, MAPPER_RECV, NULL);
    mica_cptr_t ep_only = test_copy(ep[1], MICA_RIGHTS_ALL);
    err = send_items(1, &ep_only, 1, 0, false, &taken, &rights);
    EXPECT("only_frames_are_map_items", !err && taken == 0, "taken %u", taken);

    mica_cptr_t ro = test_copy(f, MICA_RIGHT_READ | MICA_RIGHT_GRANT);
    err = send_items(1, &ro, 1, MICA_MAP_WRITE, false, &taken, &rights);
    EXPECT("writable_item_needs_the_write_right", !err && taken == 0, "taken %u", taken);

    mica_cptr_t no_grant = test_copy(ep[1], MICA_RIGHT_WRITE);
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->caps[0] = f;
    struct mica_msg m = { .info = mica_msginfo_caps(M_TAKE, 1, 0) | MICA_MSG_MAP };
    EXPECT_ERR("items_need_the_grant_right", mica_call(no_grant, &m, 1000 * MS),
               MICA_E_NO_RIGHTS);

    /* A read-only item: mapped at the window, the copy without the write right. */
    err = send_items(1, &f, 1, 0, false, &taken, &rights);
    unsigned attrs = 9;
    EXPECT("item_mapped_into_the_window",
           !err && taken == 1 && test_mapped(vs_b, W, &attrs) == frame_paddr(f) && attrs == 0,
           "err %s, taken %u, attrs %u", mica_errname(err), taken, attrs);
    EXPECT("received_copy_has_only_the_rights_given",
           rights == (MICA_RIGHT_READ | MICA_RIGHT_GRANT), "rights %#lx", (unsigned long)rights);
    EXPECT("receiver_reads_the_senders_data", call(1, M_READ, W, 0, 0, NULL) == 0xfeed,
           "other data");
    unsigned writes = write_faults;
    uint64_t faulted = call(1, M_WRITE, W, 1, 0, &err);
    EXPECT("write_to_read_only_item_faults",
           !err && faulted == 1 && write_faults == writes + 1 &&
           (last_flags & (MICA_FAULT_FLAG_WRITE | MICA_FAULT_FLAG_PRESENT)) ==
               (MICA_FAULT_FLAG_WRITE | MICA_FAULT_FLAG_PRESENT),
           "faulted %lu, flags %#lx", (unsigned long)faulted, (unsigned long)last_flags);
    EXPECT("senders_page_unchanged", *(volatile uint64_t *)BASE == 0xfeed, "it changed");

    /* Three items, room for two: the third is not taken. A writable one shares writes. */
    mica_cptr_t three[3] = { own_page(BASE + 0x1000, 1), own_page(BASE + 0x2000, 2),
                             own_page(BASE + 0x3000, 3) };
    call(1, M_WINDOW, W + 0x1000, 0x2000, MAPPER_RECV + 1, NULL);
    err = send_items(1, three, 3, MICA_MAP_WRITE, false, &taken, &rights);
    EXPECT("items_only_within_the_window",
           !err && taken == 2 && test_mapped(vs_b, W + 0x2000, NULL) == frame_paddr(three[1]) &&
           !test_mapped(vs_b, W + 0x3000, NULL),
           "err %s, taken %u", mica_errname(err), taken);
    call(1, M_WRITE, W + 0x1000, 0x1111, 0, NULL);
    EXPECT("writable_item_shares_writes", *(volatile uint64_t *)(BASE + 0x1000) == 0x1111,
           "the write did not show");

    /* Grant: the page leaves us. */
    mica_cptr_t g = own_page(BASE + 0x4000, 0x6666);
    call(1, M_WINDOW, W + 0x4000, 0x1000, MAPPER_RECV, NULL);    /* RECV holds f's copy */
    err = send_items(1, &g, 1, MICA_MAP_WRITE, true, &taken, &rights);
    EXPECT("grant_not_taken_keeps_the_page",
           !err && taken == 0 && !slot_empty(CNODE, g) && test_mapped(VSPACE, BASE + 0x4000, NULL),
           "err %s, taken %u", mica_errname(err), taken);
    call(1, M_WINDOW, W + 0x4000, 0x1000, MAPPER_RECV + 3, NULL);
    err = send_items(1, &g, 1, MICA_MAP_WRITE, true, &taken, &rights);
    EXPECT("grant_moves_the_page",
           !err && taken == 1 && slot_empty(CNODE, g) && !test_mapped(VSPACE, BASE + 0x4000, NULL) &&
           call(1, M_READ, W + 0x4000, 0, 0, NULL) == 0x6666,
           "err %s, taken %u", mica_errname(err), taken);
}

static void
chain(void)
{
    mica_cptr_t vs_b = bi->module[1].vspace, vs_c = bi->module[2].vspace;
    mica_cptr_t root = own_page(BASE + 0x5000, 0xc4a1);
    unsigned taken = 0;
    long err;

    call(1, M_WINDOW, W + 0x5000, 0x1000, MAPPER_RECV, NULL);
    call(2, M_WINDOW, W + 0x7000, 0x1000, MAPPER_RECV, NULL);
    /* B's MAPPER_RECV still holds the first test's copy: we hold B's CNode, so we free it. */
    mica_cnode_delete(bi->module[1].cnode, MAPPER_RECV);
    send_items(1, &root, 1, MICA_MAP_WRITE, false, &taken, NULL);
    uint64_t fwd_err = call(1, M_FORWARD, MAPPER_RECV, MICA_MAP_WRITE, 0, &err);
    uint64_t pa = frame_paddr(root);
    EXPECT("page_travels_a_to_b_to_c",
           taken == 1 && !err && !fwd_err && test_mapped(vs_b, W + 0x5000, NULL) == pa &&
           test_mapped(vs_c, W + 0x7000, NULL) == pa && call(2, M_READ, W + 0x7000, 0, 0, NULL) == 0xc4a1,
           "taken %u, forward %s", taken, mica_errname((long)fwd_err));
    call(2, M_WRITE, W + 0x7000, 0xc0, 0, NULL);
    EXPECT("c_writes_reach_a", *(volatile uint64_t *)(BASE + 0x5000) == 0xc0, "they did not");

    EXPECT_ERR("revoke_at_the_root", mica_cnode_revoke(CNODE, root), MICA_E_OK);
    EXPECT("revoke_unmaps_down_the_chain",
           !test_mapped(vs_b, W + 0x5000, NULL) && !test_mapped(vs_c, W + 0x7000, NULL) &&
           slot_empty(bi->module[1].cnode, MAPPER_RECV) &&
           slot_empty(bi->module[2].cnode, MAPPER_RECV),
           "B %#lx, C %#lx", (unsigned long)test_mapped(vs_b, W + 0x5000, NULL),
           (unsigned long)test_mapped(vs_c, W + 0x7000, NULL));
    EXPECT("root_keeps_its_own_mapping", test_mapped(VSPACE, BASE + 0x5000, NULL) == pa, "gone");

    /* Now C's window page is empty: touching it is a page fault, resolved by the pager's
     * reply, which maps a page holding the address. */
    unsigned served = faults_served;
    uint64_t got = call(2, M_READ, W + 0x7008, 0, 0, &err);
    EXPECT("fault_reply_map_item_resolves_the_fault",
           !err && got == W + 0x7008 && faults_served == served + 1,
           "err %s, read %#lx, faults %u", mica_errname(err), (unsigned long)got,
           faults_served - served);
}

static void
garbage(void)
{
    unsigned served = faults_served;
    long err;
    uint64_t got = call(2, M_READ, GARBAGE_VA, 0, 0, &err);
    EXPECT_ERR("garbage_map_reply_gets_an_error", garbage_err, MICA_E_NO_CAP);
    EXPECT("client_faults_again_to_its_handler",
           !err && got == GARBAGE_VA && faults_served == served + 2,
           "err %s, read %#lx, faults %u", mica_errname(err), (unsigned long)got,
           faults_served - served);
}

/* A fault's map item lands only in the space that faulted: a thread moved to another
 * address space while its fault waits has its fault abandoned (review finding). */
static volatile int moved_ran;
static void
mover(uint64_t unused)
{
    (void)unused;
    (void)*(volatile uint64_t *)(BASE + 0x180000);   /* not mapped: a page fault */
    moved_ran = 1;
    for (;;)
        mica_yield();
}

static void
moved_fault(void)
{
    static struct mica_thread th;
    mica_cptr_t ep = test_make(MICA_OBJ_ENDPOINT, 0), vs = test_make(MICA_OBJ_VSPACE, 0);
    long err = mica_thread_create(&th, test_untyped, test_slot(), mover, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(th.tcb, CNODE, VSPACE, (uint64_t)&th.ipc, ep);
    if (!err)
        err = mica_tcb_resume(th.tcb);
    struct mica_msg m = { 0 };
    if (!err)
        err = mica_recv(ep, &m, 1000 * MS);
    /* Now it waits for our reply; it goes to another address space. */
    if (!err)
        err = test_map_tables(vs, BASE);
    if (!err)
        err = mica_tcb_configure(th.tcb, CNODE, vs, 0, ep);
    mica_cptr_t frame = test_make(MICA_OBJ_FRAME, 12);
    struct mica_ipc_buffer *buf = mica_ipc_buffer();
    buf->caps[0] = frame;
    buf->map_attrs = 0;
    m.info = mica_msginfo_caps(MICA_FAULT_REPLY_RESUME, 1, 0) | MICA_MSG_MAP;
    long reply = mica_reply_recv(ep, &m, MICA_TIMEOUT_POLL);
    EXPECT("moved_thread_fault_abandoned",
           !err && reply == MICA_E_TIMEOUT && !test_mapped(vs, BASE + 0x180000, NULL) &&
           !test_mapped(VSPACE, BASE + 0x180000, NULL) && !moved_ran,
           "err %s, reply %s", mica_errname(err), mica_errname(reply));
    mica_tcb_suspend(th.tcb);
}

int
main(void)
{
    bi = mica_bootinfo;
    if (!bi || bi->module_count < 3 || !bi->module[2].cnode) {
        mica_printf("TEST FAIL mapping_needs_two_mappers: boot mapping.elf mapper.elf mapper.elf\n");
        return 1;
    }
    test_root_setup();
    if (!setup())
        return 1;
    windows();
    chain();
    garbage();
    moved_fault();
    return test_failures;
}
