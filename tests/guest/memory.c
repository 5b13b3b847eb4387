// SPDX-License-Identifier: MIT
/* Frames, page tables and address spaces, from the root task: mapping with rights and
 * caching attributes (no-execute and read-only enforced), shared frames, unmapping by
 * method, delete and revoke, page tables at every level, large frames, queries, and
 * capabilities that outlive their address space. */
#include <string.h>

#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define VSPACE      MICA_SLOT_VSPACE
#define FOREVER     MICA_TIMEOUT_FOREVER
#define MS          1000000UL
#define BASE        0x600000000000UL        /* a PML4 slot the root task does not use */


/* A thread that touches one address and reports the fault it gets, if any. */
static volatile uint64_t touch_addr;
static volatile int touch_write, touch_exec;

static void
toucher(uint64_t unused)
{
    (void)unused;
    if (touch_exec)
        ((void (*)(void))touch_addr)();
    else if (touch_write)
        *(volatile uint8_t *)touch_addr = 1;
    else
        (void)*(volatile uint8_t *)touch_addr;
    for (;;)
        mica_yield();
}

/* The fault label and flags a touch of va gets (0 if none within the time). */
static uint64_t
touch(uint64_t va, int write, int exec, uint64_t *flags)
{
    static struct mica_thread th[8];
    static unsigned n;
    static mica_cptr_t ep;
    if (!ep)
        ep = test_make(MICA_OBJ_ENDPOINT, 0);
    struct mica_thread *t = &th[n++ % 8];
    touch_addr = va;
    touch_write = write;
    touch_exec = exec;
    struct mica_msg m = { 0 };
    long err = mica_thread_create(t, test_untyped, test_slot(), toucher, 0, MICA_BOOT_PRIO);
    if (!err)
        err = mica_tcb_configure(t->tcb, CNODE, VSPACE, 0, ep);
    if (!err)
        err = mica_tcb_resume(t->tcb);
    if (!err)
        err = mica_recv(ep, &m, 50 * MS);
    mica_tcb_suspend(t->tcb);
    *flags = m.mr[3];
    return err ? 0 : mica_msg_label(m.info);
}

/* A thread whose IPC buffer is a frame we unmap: the kernel must see that it is gone. */
static volatile int phase;
static volatile long first_err = -1, second_err = -1, third_err = -1;
static mica_cptr_t self_tcb;

static void
buffer_user(uint64_t unused)
{
    (void)unused;
    uint64_t regs[MICA_REG_COUNT];
    first_err = mica_tcb_read_regs(self_tcb, regs);
    phase = 1;
    while (phase != 2)
        mica_yield();
    second_err = mica_tcb_read_regs(self_tcb, regs);
    phase = 3;
    while (phase != 4)
        mica_yield();
    third_err = mica_tcb_read_regs(self_tcb, regs);
    phase = 5;
    for (;;)
        mica_yield();
}

static void
unmapped_ipc_buffer(void)
{
    static struct mica_thread t;
    uint64_t va = BASE + 5 * 4096;
    mica_cptr_t buf = test_make(MICA_OBJ_FRAME, 12);
    long err = mica_frame_map(buf, VSPACE, va, MICA_MAP_WRITE);
    if (!err)
        err = mica_thread_create(&t, test_untyped, test_slot(), buffer_user, 0, MICA_BOOT_PRIO);
    self_tcb = t.tcb;
    t.area.word[MICA_AREA_IPC_WORD] = va;       /* the runtime reads it from there */
    if (!err)
        err = mica_tcb_set_ipc_buffer(t.tcb, va);
    if (!err)
        err = mica_tcb_resume(t.tcb);
    for (int i = 0; i < 20 && phase != 1; i++)
        mica_yield();
    mica_frame_unmap(buf);
    phase = 2;
    for (int i = 0; i < 20 && phase != 3; i++)
        mica_yield();
    mica_cptr_t again = test_make(MICA_OBJ_FRAME, 12);
    mica_frame_map(again, VSPACE, va, MICA_MAP_WRITE);
    phase = 4;
    for (int i = 0; i < 20 && phase != 5; i++)
        mica_yield();
    EXPECT("ipc_buffer_in_a_mapped_frame_works", !err && first_err == MICA_E_OK,
           "err %s, first %ld", mica_errname(err), first_err);
    EXPECT_ERR("unmapped_ipc_buffer_is_never_used", second_err, MICA_E_BAD_STATE);
    EXPECT_ERR("remapped_ipc_buffer_works_again", third_err, MICA_E_OK);
    mica_tcb_suspend(t.tcb);
    mica_frame_unmap(again);
}

/* Device memory: frames issued for addresses that are not RAM, mapped uncached, read as
 * registers (the HPET that QEMU's q35 has at 0xfed00000), never RAM, never the kernel's. */
#define HPET            0xfed00000UL
#define HPET_VA         (BASE + 0x100000)

static void
device_memory(void)
{
    mica_cptr_t all = MICA_SLOT_DEVICE_MEMORY;
    struct mica_cap_info info = { 0 };
    mica_cnode_identify(CNODE, all, &info);
    EXPECT("root_task_holds_device_memory", info.type == MICA_OBJ_DEVICE_MEMORY, "type %lu",
           (unsigned long)info.type);
    uint64_t s = test_slot();
    EXPECT_ERR("ram_is_no_device_frame",
               mica_device_memory_issue(all, MICA_OBJ_FRAME, 0x200000, 12, CNODE, s),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("kernel_registers_are_no_device_frame",
               mica_device_memory_issue(all, MICA_OBJ_FRAME, 0xfee00000, 12, CNODE, s),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("kernel_io_apic_is_no_device_frame",
               mica_device_memory_issue(all, MICA_OBJ_FRAME, 0xfec00000, 21, CNODE, s),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("device_frame_size_checked",
               mica_device_memory_issue(all, MICA_OBJ_FRAME, HPET, 13, CNODE, s),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("only_frames_and_blocks_issued",
               mica_device_memory_issue(all, MICA_OBJ_TCB, HPET, 12, CNODE, s),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("device_memory_is_not_retyped",
               mica_untyped_retype(test_untyped, MICA_OBJ_DEVICE_MEMORY, 12, CNODE, s, 1),
               MICA_E_INVALID_ARG);

    /* A block of one page for a driver; frames only inside it. */
    mica_cptr_t block = test_slot(), frame = test_slot();
    EXPECT_ERR("block_issued",
               mica_device_memory_issue(all, MICA_OBJ_DEVICE_MEMORY, HPET, 12, CNODE, block),
               MICA_E_OK);
    EXPECT_ERR("frame_outside_the_block_refused",
               mica_device_memory_issue(block, MICA_OBJ_FRAME, HPET + 4096, 12, CNODE, frame),
               MICA_E_RANGE);
    EXPECT_ERR("block_cannot_grow",
               mica_device_memory_issue(block, MICA_OBJ_DEVICE_MEMORY, HPET, 13, CNODE, frame),
               MICA_E_RANGE);
    mica_cptr_t ro = test_copy(block, MICA_RIGHT_READ);
    EXPECT_ERR("issuing_needs_write",
               mica_device_memory_issue(ro, MICA_OBJ_FRAME, HPET, 12, CNODE, frame),
               MICA_E_NO_RIGHTS);
    EXPECT_ERR("device_frame_issued",
               mica_device_memory_issue(block, MICA_OBJ_FRAME, HPET, 12, CNODE, frame), MICA_E_OK);
    for (int level = 0; level < 3; level++)     /* whatever tables are missing there now */
        mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), VSPACE, HPET_VA);
    EXPECT_ERR("device_frame_maps_only_uncached",
               mica_frame_map(frame, VSPACE, HPET_VA, MICA_MAP_WRITE), MICA_E_INVALID_ARG);
    EXPECT_ERR("device_frame_maps_uncached",
               mica_frame_map(frame, VSPACE, HPET_VA, MICA_MAP_WRITE | MICA_MAP_UNCACHED),
               MICA_E_OK);
    /* General capabilities: bits 32-63 the counter's period in femtoseconds, at most 100 ns
     * (the HPET specification, 2.3.4). */
    uint64_t caps = *(volatile uint64_t *)HPET_VA, period = caps >> 32;
    uint64_t pa = 0;
    EXPECT("device_registers_read", period && period <= 100000000 &&
           test_mapped(VSPACE, HPET_VA, NULL) == HPET && !mica_frame_address(frame, &pa) && pa == HPET,
           "capabilities %#lx", (unsigned long)caps);
    EXPECT_ERR("device_page_is_no_ipc_buffer",
               mica_tcb_set_ipc_buffer(test_make(MICA_OBJ_TCB, 0), HPET_VA), MICA_E_INVALID_ARG);
    EXPECT_ERR("revoking_the_block", mica_cnode_revoke(CNODE, block), MICA_E_OK);
    EXPECT("revoke_takes_its_frames_and_mappings",
           !test_mapped(VSPACE, HPET_VA, NULL) && !mica_cnode_identify(CNODE, frame, &info) &&
           info.type == MICA_OBJ_NULL, "still mapped or held");
}

int
main(void)
{
    if (!test_root_setup())
        return 1;

    mica_cptr_t f = test_make(MICA_OBJ_FRAME, 12);
    EXPECT_ERR("map_without_tables_refused", mica_frame_map(f, VSPACE, BASE, MICA_MAP_WRITE),
               MICA_E_NO_TABLE);
    mica_cptr_t pdpt = test_make(MICA_OBJ_PAGE_TABLE, 0), pd = test_make(MICA_OBJ_PAGE_TABLE, 0);
    mica_cptr_t pt = test_make(MICA_OBJ_PAGE_TABLE, 0), extra = test_make(MICA_OBJ_PAGE_TABLE, 0);
    long err = mica_page_table_map(pdpt, VSPACE, BASE);
    if (!err)
        err = mica_page_table_map(pd, VSPACE, BASE);
    if (!err)
        err = mica_page_table_map(pt, VSPACE, BASE);
    EXPECT_ERR("page_tables_map_level_by_level", err, MICA_E_OK);
    EXPECT_ERR("no_level_left_for_a_table", mica_page_table_map(extra, VSPACE, BASE),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("page_table_capability_cannot_be_copied",
               mica_cnode_copy(CNODE, test_slot(), CNODE, pt, MICA_RIGHTS_ALL), MICA_E_INVALID_ARG);

    EXPECT_ERR("map_frame", mica_frame_map(f, VSPACE, BASE, MICA_MAP_WRITE), MICA_E_OK);
    unmapped_ipc_buffer();
    volatile uint64_t *p = (volatile uint64_t *)BASE;
    p[0] = 0x1234567890abcdefUL;
    uint64_t pa = 0;
    unsigned attrs;
    mica_frame_address(f, &pa);
    EXPECT("query_finds_the_frame", test_mapped(VSPACE, BASE + 8, &attrs) == pa + 8 && pa &&
           attrs == MICA_MAP_WRITE, "query %#lx, frame %#lx, attrs %u",
           (unsigned long)test_mapped(VSPACE, BASE + 8, NULL), (unsigned long)pa, attrs);
    EXPECT_ERR("second_map_of_one_cap_refused", mica_frame_map(f, VSPACE, BASE + 4096, 0),
               MICA_E_BAD_STATE);

    mica_cptr_t f2 = test_copy(f, MICA_RIGHT_READ);
    EXPECT_ERR("writable_map_needs_write_right",
               mica_frame_map(f2, VSPACE, BASE + 4096, MICA_MAP_WRITE), MICA_E_NO_RIGHTS);
    EXPECT_ERR("occupied_address_refused", mica_frame_map(f2, VSPACE, BASE, 0),
               MICA_E_SLOT_FULL);
    EXPECT_ERR("unaligned_address_refused", mica_frame_map(f2, VSPACE, BASE + 8, 0),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("kernel_address_refused",
               mica_frame_map(f2, VSPACE, 0xffff800000000000UL, 0), MICA_E_INVALID_ARG);
    EXPECT_ERR("unknown_attributes_refused", mica_frame_map(f2, VSPACE, BASE + 4096, 1u << 9),
               MICA_E_INVALID_ARG);
    EXPECT_ERR("read_only_copy_maps", mica_frame_map(f2, VSPACE, BASE + 4096, 0), MICA_E_OK);
    EXPECT("shared_frame_seen_at_both_addresses",
           ((volatile uint64_t *)(BASE + 4096))[0] == 0x1234567890abcdefUL, "other contents");

    uint64_t flags = 0;
    EXPECT("write_to_read_only_mapping_faults",
           touch(BASE + 4096, 1, 0, &flags) == MICA_FAULT_PAGE &&
           (flags & MICA_FAULT_FLAG_WRITE) && (flags & MICA_FAULT_FLAG_PRESENT),
           "flags %#lx", (unsigned long)flags);
    EXPECT("reading_it_does_not", touch(BASE + 4096, 0, 0, &flags) == 0, "a read faulted");

    /* No-execute honoured: code written through one mapping runs only through an
     * executable one. */
    ((volatile uint8_t *)BASE)[64] = 0xc3;                              /* ret */
    EXPECT("executing_a_non_exec_mapping_faults",
           touch(BASE + 64, 0, 1, &flags) == MICA_FAULT_PAGE && (flags & MICA_FAULT_FLAG_EXEC),
           "flags %#lx", (unsigned long)flags);
    mica_cptr_t fx = test_copy(f, MICA_RIGHTS_ALL);
    EXPECT_ERR("map_executable", mica_frame_map(fx, VSPACE, BASE + 8192, MICA_MAP_EXEC),
               MICA_E_OK);
    EXPECT("executable_mapping_runs", touch(BASE + 8192 + 64, 0, 1, &flags) == 0,
           "fault flags %#lx", (unsigned long)flags);

    mica_cptr_t fu = test_make(MICA_OBJ_FRAME, 12);
    EXPECT_ERR("uncached_ram_refused",
               mica_frame_map(fu, VSPACE, BASE + 3 * 4096, MICA_MAP_UNCACHED), MICA_E_INVALID_ARG);
    EXPECT_ERR("null_page_refused", mica_frame_map(fu, VSPACE, 0, MICA_MAP_WRITE),
               MICA_E_INVALID_ARG);
    mica_cptr_t ro_vs = test_copy(VSPACE, MICA_RIGHT_READ);
    EXPECT_ERR("thread_in_a_read_only_space_refused",
               mica_tcb_configure(test_make(MICA_OBJ_TCB, 0), CNODE, ro_vs, 0, 0), MICA_E_NO_RIGHTS);

    /* Unmapping: by method, by deleting the capability, by revoking its parent. */
    EXPECT_ERR("unmap", mica_frame_unmap(f), MICA_E_OK);
    EXPECT("unmap_removes_only_its_mapping",
           !test_mapped(VSPACE, BASE, NULL) && test_mapped(VSPACE, BASE + 4096, NULL) == pa,
           "query %#lx / %#lx", (unsigned long)test_mapped(VSPACE, BASE, NULL),
           (unsigned long)test_mapped(VSPACE, BASE + 4096, NULL));
    mica_cnode_delete(CNODE, f2);
    EXPECT("delete_unmaps", !test_mapped(VSPACE, BASE + 4096, NULL), "still mapped");
    mica_cptr_t f3 = test_copy(fx, MICA_RIGHTS_ALL);
    mica_frame_map(f3, VSPACE, BASE + 4 * 4096, MICA_MAP_WRITE);
    mica_cnode_revoke(CNODE, f);
    EXPECT("revoke_unmaps_every_copy", !test_mapped(VSPACE, BASE + 8192, NULL) &&
           !test_mapped(VSPACE, BASE + 4 * 4096, NULL), "a copy is still mapped");
    EXPECT_ERR("remap_after_unmap", mica_frame_map(f, VSPACE, BASE, 0), MICA_E_OK);

    EXPECT_ERR("busy_page_table_unmap_refused", mica_page_table_unmap(pt), MICA_E_BAD_STATE);
    mica_frame_unmap(f);
    EXPECT_ERR("empty_page_table_unmaps", mica_page_table_unmap(pt), MICA_E_OK);
    EXPECT_ERR("frame_needs_its_table_again", mica_frame_map(f, VSPACE, BASE, 0),
               MICA_E_NO_TABLE);

    /* Deleting a table with a table below it cuts the lower one off; it can still be
     * unmapped (emptied) and used again. */
    {
        uint64_t cut = 0x500000000000UL;
        mica_cptr_t a = test_make(MICA_OBJ_PAGE_TABLE, 0), b = test_make(MICA_OBJ_PAGE_TABLE, 0);
        mica_cptr_t c = test_make(MICA_OBJ_PAGE_TABLE, 0), fr = test_make(MICA_OBJ_FRAME, 12);
        mica_page_table_map(a, VSPACE, cut);
        mica_page_table_map(b, VSPACE, cut);
        mica_page_table_map(c, VSPACE, cut);
        mica_frame_map(fr, VSPACE, cut, MICA_MAP_WRITE);
        mica_cnode_delete(CNODE, b);
        EXPECT("cut_off_mapping_is_gone", !test_mapped(VSPACE, cut, NULL), "still mapped");
        EXPECT_ERR("cut_off_table_unmaps", mica_page_table_unmap(c), MICA_E_OK);
        mica_cptr_t b2 = test_make(MICA_OBJ_PAGE_TABLE, 0);
        mica_frame_unmap(fr);
        long e = mica_page_table_map(b2, VSPACE, cut);
        if (!e)
            e = mica_page_table_map(c, VSPACE, cut);
        if (!e)
            e = mica_frame_map(fr, VSPACE, cut, MICA_MAP_WRITE);
        EXPECT_ERR("cut_off_table_usable_again", e, MICA_E_OK);
    }

    /* A 2 MiB frame goes straight into the page directory. */
    mica_cptr_t big = test_make(MICA_OBJ_FRAME, 21);
    uint64_t big_va = BASE + (2UL << 20);
    err = mica_frame_map(big, VSPACE, big_va, MICA_MAP_WRITE);
    if (!err)
        ((volatile uint64_t *)(big_va + (1UL << 20)))[0] = 7;
    uint64_t big_pa = 0;
    mica_frame_address(big, &big_pa);
    EXPECT("large_frame_maps_and_works", !err && big_pa &&
           test_mapped(VSPACE, big_va + (1UL << 20), NULL) == big_pa + (1UL << 20),
           "err %s", mica_errname(err));

    /* Another address space: tables and frames in it; then it goes, and the capabilities
     * that still record mappings in it are deleted without harm. */
    mica_cptr_t vs = test_make(MICA_OBJ_VSPACE, 0), t1 = test_make(MICA_OBJ_PAGE_TABLE, 0);
    mica_cptr_t t2 = test_make(MICA_OBJ_PAGE_TABLE, 0), t3 = test_make(MICA_OBJ_PAGE_TABLE, 0);
    mica_cptr_t g = test_make(MICA_OBJ_FRAME, 12);
    err = mica_page_table_map(t1, vs, 0x400000);
    if (!err)
        err = mica_page_table_map(t2, vs, 0x400000);
    if (!err)
        err = mica_page_table_map(t3, vs, 0x400000);
    if (!err)
        err = mica_frame_map(g, vs, 0x400000, MICA_MAP_WRITE);
    uint64_t g_pa = 0;
    mica_frame_address(g, &g_pa);
    EXPECT("map_into_another_address_space", !err && test_mapped(vs, 0x400000, NULL) == g_pa,
           "err %s", mica_errname(err));
    EXPECT("it_is_not_ours", !test_mapped(VSPACE, 0x400000, NULL) ||
           test_mapped(VSPACE, 0x400000, NULL) != g_pa, "our text page is the frame");
    mica_cnode_delete(CNODE, vs);
    mica_cnode_delete(CNODE, g);
    mica_cnode_delete(CNODE, t3);
    EXPECT_ERR("capabilities_outlive_their_address_space", mica_frame_address(f, &pa),
               MICA_E_OK);
    device_memory();
    return test_failures;
}
