// SPDX-License-Identifier: MIT
/* Capabilities, untyped memory, threads and scheduling, tested from the root task (this
 * program must boot as module 0): rights are enforced and only ever reduced, revoke and
 * delete do what they say, retype never overlaps or overruns, priorities are honoured. */
#include <string.h>

#include "test.h"

#define CNODE           MICA_SLOT_CNODE
#define SELF            MICA_SLOT_TCB

static const struct mica_bootinfo *bi;
static uint64_t next_free;              /* the next unused slot of the root CNode */
static mica_cptr_t big_untyped;         /* the largest untyped capability */

static uint64_t
slot(void)
{
    return next_free++;
}

static struct mica_cap_info
identify(uint64_t s)
{
    struct mica_cap_info info;
    mica_cnode_identify(CNODE, s, &info);
    return info;
}

/* A fresh untyped capability of 2^bits bytes, split from the big one. */
static mica_cptr_t
untyped(unsigned bits)
{
    mica_cptr_t s = slot();
    long err = mica_untyped_retype(big_untyped, MICA_OBJ_UNTYPED, bits, CNODE, s, 1);
    if (err)
        mica_printf("caps: cannot split untyped memory: %s\n", mica_errname(err));
    return s;
}

/* ---- threads in this address space ---------------------------------------------- */

/* Make a thread running fn(arg) at prio; it is left suspended unless start is true. */
static long
thread_make(struct mica_thread *th, void (*fn)(uint64_t), uint64_t arg, unsigned prio, bool start)
{
    long err = mica_thread_create(th, big_untyped, slot(), fn, arg, prio);
    return err || !start ? err : mica_tcb_resume(th->tcb);
}

static volatile uint64_t counter[4];

static void
count_forever(uint64_t i)
{
    for (;;)
        counter[i]++;
}

/* Yield the CPU to equal-priority threads for a while (several time slices). */
static void
let_others_run(void)
{
    for (int i = 0; i < 6; i++)
        mica_yield();
}

/* ---- tests ------------------------------------------------------------------------ */

static void
boot_capabilities(void)
{
    EXPECT("bootinfo_describes_root_cnode", bi->cnode_size_bits == 12 && bi->untyped_count > 0,
           "cnode bits %lu, %lu untyped", (unsigned long)bi->cnode_size_bits,
           (unsigned long)bi->untyped_count);
    EXPECT("boot_slots_hold_their_objects",
           identify(MICA_SLOT_TCB).type == MICA_OBJ_TCB &&
           identify(MICA_SLOT_CNODE).type == MICA_OBJ_CNODE &&
           identify(MICA_SLOT_VSPACE).type == MICA_OBJ_VSPACE &&
           identify(MICA_SLOT_IRQ_CONTROL).type == MICA_OBJ_IRQ_CONTROL &&
           identify(MICA_SLOT_IO_PORTS).type == MICA_OBJ_IO_PORTS &&
           identify(bi->first_untyped).type == MICA_OBJ_UNTYPED,
           "a boot slot holds the wrong type");
    EXPECT("boot_module_frames_given", bi->module_count >= 1 && bi->module[0].frames > 0 &&
           identify(bi->module[0].first_frame).type == MICA_OBJ_FRAME &&
           !memcmp((const void *)bi->module[0].vaddr, "\177ELF", 4),
           "module 0 not readable through its mapping");
    EXPECT("first_free_slot_is_empty", identify(bi->first_free_slot).type == MICA_OBJ_NULL,
           "slot %lu not empty", (unsigned long)bi->first_free_slot);
}

static void
lookup_errors(void)
{
    EXPECT_ERR("null_cptr_is_no_cap", mica_tcb_suspend(0), MICA_E_NO_CAP);
    EXPECT_ERR("empty_slot_is_no_cap", mica_tcb_suspend(bi->first_free_slot + 100),
               MICA_E_NO_CAP);
    EXPECT_ERR("cptr_beyond_cnode_is_no_cap", mica_tcb_suspend(1UL << 40), MICA_E_NO_CAP);
    EXPECT_ERR("unknown_method_is_refused",
               mica_invoke(SELF, 999, 0, (uint64_t[MICA_MSG_MAX_WORDS]){ 0 }, NULL),
               MICA_E_BAD_METHOD);
    EXPECT_ERR("object_without_methods_refuses", mica_tcb_suspend(MICA_SLOT_IRQ_CONTROL),
               MICA_E_BAD_METHOD);
    EXPECT_ERR("too_many_message_registers",
               mica_invoke(SELF, MICA_TCB_SUSPEND, MICA_MSG_MAX_WORDS + 1,
                           (uint64_t[MICA_MSG_MAX_WORDS + 8]){ 0 }, NULL),
               MICA_E_RANGE);
    EXPECT_ERR("too_few_arguments", mica_invoke(CNODE, MICA_CNODE_COPY, 2,
                                                (uint64_t[MICA_MSG_MAX_WORDS]){ 0 }, NULL),
               MICA_E_INVALID_ARG);
}

static void
rights_and_mint(void)
{
    uint64_t ro = slot(), minted = slot(), occupied = slot();
    EXPECT_ERR("copy_with_fewer_rights", mica_cnode_copy(CNODE, ro, CNODE, SELF, MICA_RIGHT_READ),
               MICA_E_OK);
    EXPECT("copy_has_only_the_rights_asked", identify(ro).rights == MICA_RIGHT_READ,
           "rights %lu", (unsigned long)identify(ro).rights);
    EXPECT_ERR("write_needs_write_right", mica_tcb_suspend(ro), MICA_E_NO_RIGHTS);
    EXPECT_ERR("mint_from_reduced_copy", mica_cnode_mint(CNODE, minted, CNODE, ro,
                                                         MICA_RIGHTS_ALL, 0), MICA_E_OK);
    EXPECT("mint_cannot_add_rights", identify(minted).rights == MICA_RIGHT_READ,
           "rights grew to %lu", (unsigned long)identify(minted).rights);
    EXPECT_ERR("badge_on_a_thread_refused",
               mica_cnode_mint(CNODE, slot(), CNODE, SELF, MICA_RIGHTS_ALL, 7),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("unknown_rights_bits_refused",
               mica_cnode_copy(CNODE, slot(), CNODE, SELF, 1u << 7), MICA_E_INVALID_ARG);

    /* Copying into an occupied slot fails and leaves both slots as they were. */
    mica_cnode_copy(CNODE, occupied, CNODE, MICA_SLOT_VSPACE, MICA_RIGHTS_ALL);
    EXPECT_ERR("copy_to_full_slot_fails", mica_cnode_copy(CNODE, occupied, CNODE, SELF,
                                                          MICA_RIGHTS_ALL), MICA_E_SLOT_FULL);
    EXPECT("full_slot_unchanged", identify(occupied).type == MICA_OBJ_VSPACE &&
           identify(SELF).type == MICA_OBJ_TCB, "a slot changed");
    EXPECT_ERR("copy_from_empty_slot_fails",
               mica_cnode_copy(CNODE, slot(), CNODE, bi->first_free_slot + 200, MICA_RIGHTS_ALL),
               MICA_E_NO_CAP);
    EXPECT_ERR("copy_untyped_refused",
               mica_cnode_copy(CNODE, slot(), CNODE, big_untyped, MICA_RIGHTS_ALL),
               MICA_E_INVALID_ARG);

    /* A CNode capability without write rights cannot change the CNode. */
    uint64_t ro_cnode = slot();
    mica_cnode_copy(CNODE, ro_cnode, CNODE, CNODE, MICA_RIGHT_READ);
    EXPECT_ERR("cnode_write_needs_write_right", mica_cnode_delete(ro_cnode, occupied),
               MICA_E_NO_RIGHTS);
    EXPECT("cnode_unchanged_without_right", identify(occupied).type == MICA_OBJ_VSPACE,
           "the slot was deleted");

    uint64_t ep = slot(), badged = slot();
    mica_untyped_retype(big_untyped, MICA_OBJ_ENDPOINT, 0, CNODE, ep, 1);
    EXPECT_ERR("mint_badge_on_endpoint",
               mica_cnode_mint(CNODE, badged, CNODE, ep, MICA_RIGHT_WRITE, 0xbad6e),
               MICA_E_OK);
    EXPECT("badge_and_rights_recorded", identify(badged).badge == 0xbad6e &&
           identify(badged).rights == MICA_RIGHT_WRITE, "badge %#lx rights %lu",
           (unsigned long)identify(badged).badge, (unsigned long)identify(badged).rights);
    EXPECT_ERR("rebadging_refused",
               mica_cnode_mint(CNODE, slot(), CNODE, badged, MICA_RIGHT_WRITE, 5),
               MICA_E_INVALID_ARG);

    uint64_t moved = slot();
    EXPECT_ERR("move_succeeds", mica_cnode_move(CNODE, moved, CNODE, badged), MICA_E_OK);
    EXPECT("move_empties_source_keeps_badge", identify(badged).type == MICA_OBJ_NULL &&
           identify(moved).badge == 0xbad6e, "move lost the capability");
}

static void
revoke_and_delete(void)
{
    /* A chain four deep and a side branch, all derived from one endpoint. */
    uint64_t ep = slot(), a = slot(), b = slot(), c = slot(), d = slot();
    mica_untyped_retype(big_untyped, MICA_OBJ_ENDPOINT, 0, CNODE, ep, 1);
    mica_cnode_copy(CNODE, a, CNODE, ep, MICA_RIGHTS_ALL);
    mica_cnode_copy(CNODE, b, CNODE, a, MICA_RIGHTS_ALL);
    mica_cnode_copy(CNODE, c, CNODE, b, MICA_RIGHTS_ALL);
    mica_cnode_mint(CNODE, d, CNODE, a, MICA_RIGHT_READ, 3);
    EXPECT_ERR("revoke_succeeds", mica_cnode_revoke(CNODE, ep), MICA_E_OK);
    EXPECT("revoke_removes_derived_in_depth",
           identify(a).type == MICA_OBJ_NULL && identify(b).type == MICA_OBJ_NULL &&
           identify(c).type == MICA_OBJ_NULL && identify(d).type == MICA_OBJ_NULL,
           "a derived capability survived");
    EXPECT("revoke_keeps_the_revoked_cap", identify(ep).type == MICA_OBJ_ENDPOINT,
           "the revoked slot itself was emptied");

    /* Deleting a middle link keeps what was derived from it. */
    mica_cnode_copy(CNODE, a, CNODE, ep, MICA_RIGHTS_ALL);
    mica_cnode_copy(CNODE, b, CNODE, a, MICA_RIGHTS_ALL);
    mica_cnode_delete(CNODE, a);
    EXPECT("delete_keeps_children", identify(b).type == MICA_OBJ_ENDPOINT, "child lost");
    mica_cnode_revoke(CNODE, ep);
    EXPECT("children_of_deleted_cap_still_revocable", identify(b).type == MICA_OBJ_NULL,
           "orphan escaped revoke");
    EXPECT_ERR("delete_of_empty_slot_is_harmless", mica_cnode_delete(CNODE, a), MICA_E_OK);
}

/* The last capability to a thread goes: the thread stops for good; a copy going does not. */
static void
delete_destroys_thread(void)
{
    static struct mica_thread th;
    counter[0] = 0;
    long err = thread_make(&th, count_forever, 0, MICA_BOOT_PRIO, true);
    let_others_run();
    EXPECT("new_thread_runs", !err && counter[0] > 0, "err %s, count %lu", mica_errname(err),
           (unsigned long)counter[0]);
    uint64_t copy = slot();
    mica_cnode_copy(CNODE, copy, CNODE, th.tcb, MICA_RIGHTS_ALL);
    mica_cnode_delete(CNODE, copy);
    uint64_t before = counter[0];
    let_others_run();
    EXPECT("deleting_a_copy_keeps_thread", counter[0] > before, "thread stopped");
    mica_cnode_delete(CNODE, th.tcb);
    let_others_run();
    before = counter[0];
    let_others_run();
    EXPECT("deleting_last_cap_destroys_thread", counter[0] == before, "still counting");
}

static void
retype_checks(void)
{
    mica_cptr_t ut = untyped(16);                       /* 64 KiB: sixteen pages */
    uint64_t first = next_free;
    next_free += 20;
    EXPECT_ERR("retype_sixteen_frames", mica_untyped_retype(ut, MICA_OBJ_FRAME, 12, CNODE,
                                                            first, 16), MICA_E_OK);
    EXPECT_ERR("retype_past_the_end_refused", mica_untyped_retype(ut, MICA_OBJ_FRAME, 12, CNODE,
                                                                  first + 16, 1), MICA_E_NO_MEMORY);
    EXPECT("refused_retype_changes_nothing", identify(first + 16).type == MICA_OBJ_NULL,
           "a slot was filled");
    EXPECT_ERR("revoke_untyped", mica_cnode_revoke(CNODE, ut), MICA_E_OK);
    EXPECT("revoke_untyped_deletes_objects", identify(first).type == MICA_OBJ_NULL &&
           identify(first + 15).type == MICA_OBJ_NULL, "an object survived");
    EXPECT_ERR("memory_reusable_after_revoke", mica_untyped_retype(ut, MICA_OBJ_FRAME, 12,
                                                                   CNODE, first, 16), MICA_E_OK);

    mica_cptr_t small = untyped(12);
    uint64_t s = slot();
    EXPECT_ERR("object_larger_than_untyped_refused",
               mica_untyped_retype(small, MICA_OBJ_UNTYPED, 13, CNODE, s, 1), MICA_E_NO_MEMORY);
    EXPECT_ERR("bad_size_refused", mica_untyped_retype(small, MICA_OBJ_FRAME, 13, CNODE, s, 1),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("bad_type_refused", mica_untyped_retype(small, 99, 12, CNODE, s, 1),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("boot_only_type_refused",
               mica_untyped_retype(small, MICA_OBJ_IRQ_CONTROL, 0, CNODE, s, 1),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("zero_count_refused", mica_untyped_retype(small, MICA_OBJ_FRAME, 12, CNODE, s, 0),
               MICA_E_RANGE);
    EXPECT_ERR("dest_beyond_cnode_refused",
               mica_untyped_retype(small, MICA_OBJ_FRAME, 12, CNODE, 4095, 2), MICA_E_RANGE);
    EXPECT_ERR("dest_occupied_refused",
               mica_untyped_retype(small, MICA_OBJ_FRAME, 12, CNODE, SELF, 1), MICA_E_SLOT_FULL);
    EXPECT_ERR("retype_into_read_only_cnode_refused",
               mica_untyped_retype(small, MICA_OBJ_FRAME, 12, MICA_SLOT_TCB, s, 1),
               MICA_E_NO_CAP);
    EXPECT_ERR("small_untyped_still_whole", mica_untyped_retype(small, MICA_OBJ_FRAME, 12,
                                                                CNODE, s, 1), MICA_E_OK);
    uint64_t cn = slot();
    EXPECT_ERR("retype_cnode", mica_untyped_retype(big_untyped, MICA_OBJ_CNODE, 4, CNODE, cn, 1),
               MICA_E_OK);
    EXPECT("new_cnode_has_its_size", identify(cn).size_bits == 4, "size bits %lu",
           (unsigned long)identify(cn).size_bits);
    EXPECT_ERR("copy_into_new_cnode", mica_cnode_copy(cn, 3, CNODE, SELF, MICA_RIGHT_READ),
               MICA_E_OK);
    EXPECT("identify_through_new_cnode", ({ struct mica_cap_info i;
           mica_cnode_identify(cn, 3, &i); i.type == MICA_OBJ_TCB; }), "not a TCB");
    EXPECT_ERR("slot_zero_never_usable", mica_cnode_copy(cn, 0, CNODE, SELF, MICA_RIGHT_READ),
               MICA_E_RANGE);
}

/* One task exhausts its own untyped memory; everything else goes on. */
static volatile long greedy_result;
static volatile uint64_t greedy_objects;
static mica_cptr_t greedy_ut, greedy_dest, greedy_tcb;

static void
greedy(uint64_t unused)
{
    (void)unused;
    long err;
    while (!(err = mica_untyped_retype(greedy_ut, MICA_OBJ_ENDPOINT, 0, CNODE,
                                       greedy_dest + greedy_objects % 64, 1))) {
        greedy_objects++;
        mica_cnode_delete(CNODE, greedy_dest + greedy_objects % 64);
    }
    greedy_result = err;
    mica_tcb_suspend(greedy_tcb);
    for (;;)
        ;
}

static void
exhaustion_is_contained(void)
{
    static struct mica_thread g, c;
    greedy_ut = untyped(14);                            /* room for 256 endpoints */
    greedy_dest = next_free;
    next_free += 64;
    counter[1] = 0;
    greedy_result = -1;
    thread_make(&c, count_forever, 1, MICA_BOOT_PRIO, true);
    long err = thread_make(&g, greedy, 0, MICA_BOOT_PRIO, false);
    greedy_tcb = g.tcb;
    if (!err)
        err = mica_tcb_resume(g.tcb);
    for (int i = 0; i < 50 && greedy_result < 0; i++)
        mica_yield();
    EXPECT_ERR("greedy_task_gets_no_memory", err ? err : greedy_result, MICA_E_NO_MEMORY);
    EXPECT("greedy_task_used_its_share_only", greedy_objects == 256, "made %lu endpoints",
           (unsigned long)greedy_objects);
    uint64_t before = counter[1];
    let_others_run();
    EXPECT("other_threads_run_on", counter[1] > before, "the counter stopped");
    uint64_t s = slot();
    EXPECT_ERR("others_can_still_allocate",
               mica_untyped_retype(big_untyped, MICA_OBJ_ENDPOINT, 0, CNODE, s, 1), MICA_E_OK);
    mica_tcb_suspend(g.tcb);
    mica_tcb_suspend(c.tcb);
}

static volatile uint64_t seen_low;
static mica_cptr_t hi_tcb;

static void
high_priority_work(uint64_t unused)
{
    (void)unused;
    uint64_t start = counter[2];
    for (volatile uint64_t i = 0; i < 2000000; i++)     /* several time slices */
        ;
    seen_low = counter[2] - start;                       /* low ran meanwhile? */
    mica_tcb_suspend(hi_tcb);
    for (;;)
        ;
}

static volatile long child_prio_result, child_mcp_result;
static mica_cptr_t child_tcb;

static void
raise_own_priority(uint64_t unused)
{
    (void)unused;
    child_prio_result = mica_tcb_set_priority(child_tcb, MICA_BOOT_PRIO + 1);
    child_mcp_result = mica_tcb_set_mcp(child_tcb, MICA_BOOT_PRIO + 1);
    mica_tcb_suspend(child_tcb);
    for (;;)
        ;
}

static void
priorities(void)
{
    static struct mica_thread lo, hi, a, b, child;

    EXPECT_ERR("priority_above_255_refused", mica_tcb_set_priority(SELF, 256), MICA_E_RANGE);

    /* A thread whose MCP is its priority cannot raise itself or its MCP. */
    long err = thread_make(&child, raise_own_priority, 0, MICA_BOOT_PRIO, false);
    child_tcb = child.tcb;
    child_prio_result = child_mcp_result = -1;
    if (!err)
        err = mica_tcb_set_mcp(child.tcb, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_resume(child.tcb);
    for (int i = 0; i < 10 && child_mcp_result < 0; i++)
        mica_yield();
    EXPECT_ERR("priority_above_mcp_refused", err ? err : child_prio_result, MICA_E_NO_RIGHTS);
    EXPECT_ERR("mcp_above_own_mcp_refused", err ? err : child_mcp_result, MICA_E_NO_RIGHTS);

    /* Two threads at this priority share the CPU with us. */
    counter[0] = counter[1] = 0;
    thread_make(&a, count_forever, 0, MICA_BOOT_PRIO, true);
    thread_make(&b, count_forever, 1, MICA_BOOT_PRIO, true);
    let_others_run();
    EXPECT("equal_priorities_share_the_cpu", counter[0] > 0 && counter[1] > 0,
           "counts %lu and %lu", (unsigned long)counter[0], (unsigned long)counter[1]);
    mica_tcb_suspend(a.tcb);
    mica_tcb_suspend(b.tcb);

    /* A higher-priority thread runs at once, and nothing lower runs until it stops. */
    counter[2] = 0;
    seen_low = ~0UL;
    thread_make(&lo, count_forever, 2, MICA_BOOT_PRIO, true);
    let_others_run();
    err = thread_make(&hi, high_priority_work, 0, MICA_BOOT_PRIO + 10, false);
    hi_tcb = hi.tcb;
    if (!err)
        err = mica_tcb_resume(hi.tcb);      /* returns only once hi has suspended itself */
    EXPECT("higher_priority_preempts_at_once", !err && seen_low != ~0UL,
           "we ran before the higher-priority thread finished");
    EXPECT("lower_priority_waits", seen_low == 0, "low ran %lu times during high's work",
           (unsigned long)seen_low);
    mica_tcb_suspend(lo.tcb);
}

static void
thread_object_checks(void)
{
    static struct mica_thread t;
    uint64_t regs[MICA_REG_COUNT];
    long err = thread_make(&t, count_forever, 3, MICA_BOOT_PRIO, false);
    EXPECT_ERR("thread_made", err, MICA_E_OK);
    uint64_t bad[MICA_REG_COUNT] = { 0 };
    bad[MICA_REG_RIP] = 0xffffffff80100000UL;
    EXPECT_ERR("kernel_rip_refused", mica_tcb_write_regs(t.tcb, bad), MICA_E_INVALID_ARG);
    bad[MICA_REG_RIP] = 0x401000;
    bad[MICA_REG_RSP] = 0x0000800000000000UL;
    EXPECT_ERR("non_canonical_rsp_refused", mica_tcb_write_regs(t.tcb, bad), MICA_E_INVALID_ARG);
    mica_tcb_read_regs(t.tcb, regs);
    EXPECT("refused_write_changes_nothing", regs[MICA_REG_RIP] == (uint64_t)count_forever,
           "rip %#lx", (unsigned long)regs[MICA_REG_RIP]);
    regs[MICA_REG_RFLAGS] = 0x3000 | 0x4000 | 0x1;      /* IOPL 3, NT, CF */
    mica_tcb_write_regs(t.tcb, regs);
    mica_tcb_read_regs(t.tcb, regs);
    EXPECT("privileged_flags_masked", regs[MICA_REG_RFLAGS] == (0x200 | 0x2 | 0x1),
           "rflags %#lx", (unsigned long)regs[MICA_REG_RFLAGS]);
    EXPECT_ERR("ipc_buffer_must_be_aligned",
               mica_tcb_configure(t.tcb, CNODE, MICA_SLOT_VSPACE, 0x1234, 0), MICA_E_INVALID_ARG);
    EXPECT_ERR("cspace_must_be_a_cnode",
               mica_tcb_configure(t.tcb, SELF, MICA_SLOT_VSPACE, 0, 0), MICA_E_NO_CAP);
    EXPECT_ERR("fault_ep_must_be_an_endpoint",
               mica_tcb_configure(t.tcb, CNODE, MICA_SLOT_VSPACE, 0, SELF), MICA_E_NO_CAP);
    EXPECT_ERR("clear_references", mica_tcb_configure(t.tcb, 0, 0, 0, 0), MICA_E_OK);
    EXPECT_ERR("resume_without_vspace_refused", mica_tcb_resume(t.tcb), MICA_E_BAD_STATE);
    uint64_t ro = slot();
    mica_cnode_copy(CNODE, ro, CNODE, t.tcb, MICA_RIGHT_WRITE);
    EXPECT_ERR("read_regs_needs_read_right", mica_tcb_read_regs(ro, regs), MICA_E_NO_RIGHTS);
}

/* An address space revoked under a thread: the thread must never run on its old root. */
static void
revoked_vspace_stops_thread(void)
{
    mica_cptr_t ua = untyped(12), ub = untyped(12);
    uint64_t vs = slot(), tcb = slot(), cn = slot();
    long err = mica_untyped_retype(ua, MICA_OBJ_VSPACE, 0, CNODE, vs, 1);
    if (!err)
        err = mica_untyped_retype(ub, MICA_OBJ_TCB, 0, CNODE, tcb, 1);
    if (!err)
        err = mica_tcb_configure(tcb, CNODE, vs, 0, 0);
    EXPECT_ERR("thread_in_new_vspace", err, MICA_E_OK);
    mica_cnode_revoke(CNODE, ua);               /* the VSpace and the TCB's copy of it go */
    EXPECT_ERR("vspace_page_reused", mica_untyped_retype(ua, MICA_OBJ_CNODE, 6, CNODE, cn, 1),
               MICA_E_OK);
    mica_tcb_set_priority(tcb, MICA_MAX_PRIO);
    EXPECT_ERR("resume_after_vspace_revoked_refused", mica_tcb_resume(tcb), MICA_E_BAD_STATE);
}

/* Objects in the highest memory (above 4 GiB on a big machine) work like any other. */
static void
high_memory(void)
{
    unsigned hi = 0;
    for (unsigned i = 1; i < bi->untyped_count; i++)
        if (bi->untyped[i].paddr > bi->untyped[hi].paddr)
            hi = i;
    uint64_t cn = slot(), ut = bi->first_untyped + hi;
    long err = mica_untyped_retype(ut, MICA_OBJ_CNODE, 6, CNODE, cn, 1);     /* one page */
    if (!err)
        err = mica_cnode_copy(cn, 63, CNODE, SELF, MICA_RIGHT_READ);
    struct mica_cap_info info = { 0 };
    if (!err)
        err = mica_cnode_identify(cn, 63, &info);
    mica_printf("caps: highest untyped at %#lx\n", (unsigned long)bi->untyped[hi].paddr);
    EXPECT("objects_in_high_memory_work", !err && info.type == MICA_OBJ_TCB &&
           info.rights == MICA_RIGHT_READ, "err %s, type %lu", mica_errname(err),
           (unsigned long)info.type);
}

int
main(void)
{
    bi = mica_bootinfo;
    if (!bi) {
        mica_printf("TEST FAIL caps_runs_as_root_task: no boot information\n");
        return 1;
    }
    next_free = bi->first_free_slot;
    big_untyped = mica_boot_largest_untyped();

    boot_capabilities();
    lookup_errors();
    rights_and_mint();
    revoke_and_delete();
    retype_checks();
    thread_object_checks();
    revoked_vspace_stops_thread();
    high_memory();
    delete_destroys_thread();
    exhaustion_is_contained();
    priorities();
    return test_failures;
}
