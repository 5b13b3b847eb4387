// SPDX-License-Identifier: MIT
/* Tasks made in user space (lib/spawn.c) from a boot module's image, here ipc_server.elf:
 * spawn, talk to it, end it by revoking its untyped memory, start it again from the same
 * memory; refused images and too little memory or slots. */
#include <string.h>

#include "ipc_proto.h"
#include "spawn.h"
#include "test.h"

#define CNODE       MICA_SLOT_CNODE
#define MS          1000000UL
#define SCRATCH     0x600000000000UL

static struct mica_spawner sp;

/* A task of the image from a fresh untyped block of 2^bits bytes. */
static long
spawn(struct mica_task *t, const void *image, size_t size, unsigned bits, unsigned cnode_bits,
      const char **why)
{
    memset(t, 0, sizeof(*t));
    t->untyped = test_make(MICA_OBJ_UNTYPED, bits);
    t->tcb = test_slot();
    t->cnode = test_slot();
    t->vspace = test_slot();
    t->cnode_bits = cnode_bits;
    t->prio = MICA_BOOT_PRIO;
    return mica_spawn(&sp, t, image, size, why);
}

static long
echo(mica_cptr_t ep, uint64_t timeout)
{
    struct mica_msg m = { .info = mica_msginfo(OP_ECHO, 1), .mr = { 41 } };
    long err = mica_call(ep, &m, timeout);
    return err ? err : m.mr[0] == 42 ? MICA_E_OK : MICA_E_INVALID_ARG;
}

int
main(void)
{
    const struct mica_bootinfo *bi = mica_bootinfo;
    if (!test_root_setup() || bi->module_count < 2) {
        mica_printf("TEST FAIL spawn_needs_a_module: boot spawn.elf ipc_server.elf\n");
        return 1;
    }
    const void *image = (const void *)bi->module[1].vaddr;
    size_t size = bi->module[1].size;
    sp.temp_slot = test_slot();
    test_slot();
    sp.scratch = SCRATCH;
    EXPECT_ERR("scratch_page_tables", test_map_tables(MICA_SLOT_VSPACE, SCRATCH), MICA_E_OK);

    struct mica_task t;
    const char *why = NULL;
    mica_cptr_t ep = test_make(MICA_OBJ_ENDPOINT, 0);
    long err = spawn(&t, image, size, 20, 8, &why);
    if (!err)
        err = mica_cnode_copy(t.cnode, SERVER_EP, CNODE, ep, MICA_RIGHT_READ);
    if (!err)
        err = mica_tcb_resume(t.tcb);
    EXPECT("spawned_task_serves", !err && !echo(ep, 1000 * MS), "err %s (%s), %lu pages",
           mica_errname(err), why ? why : "", (unsigned long)t.pages);
    struct mica_cap_info info = { 0 };
    mica_cnode_identify(t.cnode, (1UL << 8) - 1, &info);
    EXPECT("its_memory_is_in_its_cnode", info.type == MICA_OBJ_FRAME ||
           info.type == MICA_OBJ_PAGE_TABLE, "top slot type %lu", (unsigned long)info.type);

    EXPECT_ERR("revoking_its_memory_ends_it", mica_cnode_revoke(CNODE, t.untyped), MICA_E_OK);
    EXPECT("nothing_of_it_is_left",
           !mica_cnode_identify(CNODE, t.tcb, &info) && info.type == MICA_OBJ_NULL &&
           echo(ep, 20 * MS) == MICA_E_TIMEOUT, "type %lu", (unsigned long)info.type);

    /* Again, from the same memory: everything came back. */
    err = mica_spawn(&sp, &t, image, size, &why);
    if (!err)
        err = mica_cnode_copy(t.cnode, SERVER_EP, CNODE, ep, MICA_RIGHT_READ);
    if (!err)
        err = mica_tcb_resume(t.tcb);
    EXPECT("spawned_again_from_the_same_memory", !err && !echo(ep, 1000 * MS), "err %s",
           mica_errname(err));

    static uint8_t bad[4096];
    memcpy(bad, image, sizeof(bad));
    bad[18] = 3;                                    /* e_machine: not x86-64 */
    struct mica_task b;
    err = spawn(&b, bad, sizeof(bad), 16, 8, &why);
    EXPECT("bad_image_refused", err == MICA_E_BAD_ELF && why, "err %s",
           mica_errname(err));
    err = spawn(&b, image, size, 14, 8, &why);      /* 16 KiB: not even the CNode and VSpace */
    EXPECT_ERR("too_little_memory_refused", err, MICA_E_NO_MEMORY);
    err = spawn(&b, image, size, 20, 4, &why);      /* 16 slots: no room for its pages */
    EXPECT_ERR("too_small_a_cnode_refused", err, MICA_E_NO_MEMORY);
    return test_failures;
}
