/* SPDX-License-Identifier: MIT */
/* In-guest test reporting: one line per test, "TEST PASS <name>" or "TEST FAIL <name>: why",
 * which the boot-test harness (tests/check.py) counts. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H

#include <stdbool.h>

#include "mica.h"

static int test_failures;

#define EXPECT(name, cond, ...)                                                 \
    do {                                                                        \
        if (cond) {                                                             \
            mica_printf("TEST PASS %s\n", name);                                \
        } else {                                                                \
            test_failures++;                                                    \
            mica_printf("TEST FAIL %s: ", name);                                \
            mica_printf(__VA_ARGS__);                                           \
            mica_printf(" (%s:%d)\n", __FILE__, __LINE__);                      \
        }                                                                       \
    } while (0)

/* A call's error code against the expected one, both named in the failure message. */
#define EXPECT_ERR(name, got, want)                                             \
    do {                                                                        \
        long got_ = (got), want_ = (want);                                      \
        EXPECT(name, got_ == want_, "returned %s, expected %s",                 \
               mica_errname(got_), mica_errname(want_));                        \
    } while (0)

/* For tests that run as the root task: free slots of its CNode and objects made from its
 * largest untyped memory. test_root_setup() first. */
static uint64_t test_next_slot;
static mica_cptr_t test_untyped;

static inline bool
test_root_setup(void)
{
    if (!mica_bootinfo)
        return false;
    test_next_slot = mica_bootinfo->first_free_slot;
    test_untyped = mica_boot_largest_untyped();
    return true;
}

static inline uint64_t
test_slot(void)
{
    return test_next_slot++;
}

static inline mica_cptr_t
test_make(unsigned type, unsigned size_bits)
{
    mica_cptr_t s = test_slot();
    long err = mica_untyped_retype(test_untyped, type, size_bits, MICA_SLOT_CNODE, s, 1);
    if (err)
        mica_printf("test: retype of type %u failed: %s\n", type, mica_errname(err));
    return s;
}

static inline mica_cptr_t
test_copy(mica_cptr_t src, unsigned rights)
{
    mica_cptr_t s = test_slot();
    mica_cnode_copy(MICA_SLOT_CNODE, s, MICA_SLOT_CNODE, src, rights);
    return s;
}

static inline mica_cptr_t
test_mint(mica_cptr_t src, unsigned rights, uint64_t badge)
{
    mica_cptr_t s = test_slot();
    mica_cnode_mint(MICA_SLOT_CNODE, s, MICA_SLOT_CNODE, src, rights, badge);
    return s;
}

/* The three page tables a fresh 512 GiB region of vspace needs at va, from test memory. */
static inline long
test_map_tables(mica_cptr_t vspace, uint64_t va)
{
    long err = MICA_E_OK;
    for (int level = 0; level < 3 && !err; level++)
        err = mica_page_table_map(test_make(MICA_OBJ_PAGE_TABLE, 0), vspace, va);
    return err;
}

/* The physical address va maps to in vspace (0: nothing), its attributes in *attrs. */
static inline uint64_t
test_mapped(mica_cptr_t vspace, uint64_t va, unsigned *attrs)
{
    uint64_t pa = 0;
    unsigned a = 0;
    mica_vspace_query(vspace, va, &pa, &a);
    if (attrs)
        *attrs = a;
    return pa;
}

#endif
