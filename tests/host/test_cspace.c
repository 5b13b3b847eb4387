// SPDX-License-Identifier: MIT
/* Tests of capability slots and the derivation tree (kernel/cspace.c): insert, derive, move,
 * delete, revoke, finality, CNode destruction and its queue, cnode_slot. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cspace.h"

#include <arch/mmu.h>

/*
 * Physical memory is an arena at host_phys_base; CNodes are carved from it by a bump
 * allocator. Other objects are never dereferenced by cspace.c, so they get addresses past
 * the arena: OBJ(n) is object n. The tests' own slots are those of a 256-slot root CNode,
 * S(1) to S(255). cspace.c keeps one global (its queue of CNodes to empty), so the fixture
 * is global too and reset by setup().
 */
#define ARENA_BITS  20
#define ARENA_SIZE  (1ul << ARENA_BITS)
#define ROOT_BITS   8
#define OBJ(n)      (0x40000000ul + (paddr_t)(n) * PAGE_SIZE)
#define UT_BITS     24
#define MAX_CNODES  1100
#define MAX_SLOTS   8192
#define MAX_LOG     4096
#define CHAIN       1000

static struct cap root;                 /* the CNode of the test's slots */
static paddr_t arena_top;               /* bump allocator of CNode memory */
static struct cap cnodes[MAX_CNODES];   /* every CNode made, for check_all() */
static unsigned ncnodes;
static struct cte *slots[MAX_SLOTS];    /* every slot of those CNodes but headers */
static unsigned nslots;

/* Slots outside any CNode, as a TCB has: owned[i].slot belongs to the TCB at owned[i].obj,
 * whose destruction clears it with cte_clear() as thread_destroy() does. */
static struct cte tcb_slots[4];
static struct {
    paddr_t obj;
    struct cte *slot;
} owned[ARRAY_SIZE(tcb_slots)];
static unsigned nowned;

/* What object_destroy() was called for, in order, and how deep the stack was each time. */
static struct cap destroyed[MAX_LOG];
static unsigned ndestroyed;
static uintptr_t destroy_sp_min, destroy_sp_max;
static bool tearing_down;

static struct cte *
S(unsigned i)
{
    return cnode_slot(&root, i);
}

static struct cap
new_cnode(unsigned bits)
{
    paddr_t size = sizeof(struct cte) << bits;
    paddr_t obj = ALIGN_UP(arena_top, size);
    assert_true(obj + size <= ARENA_SIZE && ncnodes < MAX_CNODES);
    arena_top = obj + size;
    cnode_init(obj, bits);
    struct cap c = { .type = MICA_OBJ_CNODE, .rights = MICA_RIGHTS_ALL,
                     .size_bits = (uint8_t)bits, .obj = obj };
    cnodes[ncnodes++] = c;
    assert_true(nslots + (1u << bits) <= MAX_SLOTS);
    for (uint64_t i = 1; i < 1ul << bits; i++)
        slots[nslots++] = cnode_slot(&c, i);
    return c;
}

static struct cap
obj_cap(unsigned type, unsigned n)
{
    return (struct cap){ .type = (uint8_t)type, .rights = MICA_RIGHTS_ALL, .obj = OBJ(n),
                         .size_bits = type == MICA_OBJ_FRAME ? MICA_FRAME_BITS : 0 };
}

static struct cap
ep(unsigned n)
{
    return obj_cap(MICA_OBJ_ENDPOINT, n);
}

static struct cap
ntfn(unsigned n)
{
    return obj_cap(MICA_OBJ_NOTIFICATION, n);
}

static struct cap
tcb(unsigned n)
{
    return obj_cap(MICA_OBJ_TCB, n);
}

static struct cap
frame(unsigned n)
{
    return obj_cap(MICA_OBJ_FRAME, n);
}

/* An untyped cap to the region of objects OBJ(first) onwards. */
static struct cap
untyped(unsigned first, unsigned bits)
{
    return (struct cap){ .type = MICA_OBJ_UNTYPED, .rights = MICA_RIGHTS_ALL,
                         .size_bits = (uint8_t)bits, .obj = OBJ(first) };
}

/* A TCB whose destruction clears slot (its CSpace reference). */
static struct cap
tcb_owning(unsigned n, struct cte *slot)
{
    assert_true(nowned < ARRAY_SIZE(owned));
    owned[nowned].obj = OBJ(n);
    owned[nowned++].slot = slot;
    return tcb(n);
}

static bool
same_object(const struct cap *a, const struct cap *b)
{
    return a->type == b->type && a->obj == b->obj && a->size_bits == b->size_bits;
}

/* How many slots hold a capability to the object of cap. */
static unsigned
caps_to(const struct cap *cap)
{
    unsigned n = 0;
    for (unsigned i = 0; i < nslots; i++)
        n += slots[i]->cap.type != MICA_OBJ_NULL && same_object(&slots[i]->cap, cap);
    return n;
}

/* The destructor hook of cspace.h. Only non-CNode objects come here, only once their last
 * capability is gone; a TCB clears the slots it owns, as thread_destroy() does. */
void
object_destroy(const struct cap *cap)
{
    if (tearing_down)
        return;
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    destroy_sp_min = MIN(destroy_sp_min, sp);
    destroy_sp_max = MAX(destroy_sp_max, sp);
    assert_int_not_equal(cap->type, MICA_OBJ_NULL);
    assert_int_not_equal(cap->type, MICA_OBJ_CNODE);
    assert_int_equal(caps_to(cap), 0);
    assert_true(ndestroyed < MAX_LOG);
    destroyed[ndestroyed++] = *cap;
    for (unsigned i = 0; i < nowned; i++)
        if (cap->type == MICA_OBJ_TCB && cap->obj == owned[i].obj)
            cte_clear(owned[i].slot);
}

/* The badge hook of cspace.h: recorded, to check when a badge is gone. */
static struct cap badges_gone[MAX_LOG];
static unsigned nbadges_gone;

void
object_badge_gone(const struct cap *cap)
{
    assert_true(cap->badge != 0);
    assert_true(nbadges_gone < MAX_LOG);
    badges_gone[nbadges_gone++] = *cap;
}

/* The release hook of cspace.h: counted. */
static unsigned nreleased;

void
object_release(const struct cap *cap)
{
    assert_true(cap->extra != 0);
    nreleased++;
}

/* How many times object_destroy() was called for the object of cap. */
static unsigned
times_destroyed(const struct cap *cap)
{
    unsigned n = 0;
    for (unsigned i = 0; i < ndestroyed; i++)
        n += same_object(&destroyed[i], cap);
    return n;
}

static int
setup(void **state)
{
    (void)state;
    host_phys_base = aligned_alloc(PAGE_SIZE, ARENA_SIZE);
    if (!host_phys_base)
        return -1;
    memset(host_phys_base, 0xa5, ARENA_SIZE);       /* cnode_init must clear its slots */
    memset(tcb_slots, 0, sizeof(tcb_slots));
    arena_top = PAGE_SIZE;
    ncnodes = nowned = ndestroyed = nslots = nbadges_gone = 0;
    for (unsigned i = 0; i < ARRAY_SIZE(tcb_slots); i++)
        slots[nslots++] = &tcb_slots[i];
    destroy_sp_min = UINTPTR_MAX;
    destroy_sp_max = 0;
    tearing_down = false;
    root = new_cnode(ROOT_BITS);
    return 0;
}

/* A test that stopped half way may have left CNodes queued in cspace.c's global list. */
static int
teardown(void **state)
{
    (void)state;
    tearing_down = true;
    cte_drain();
    free(host_phys_base);
    host_phys_base = NULL;
    return 0;
}

static const char *
slot_name(const struct cte *s)
{
    static char buf[64];
    for (unsigned k = 0; k < ncnodes; k++) {
        const struct cte *base = phys_to_virt(cnodes[k].obj);
        if (s >= base && s < base + (1ul << cnodes[k].size_bits)) {
            snprintf(buf, sizeof(buf), "cnode %u slot %td", k, s - base);
            return buf;
        }
    }
    snprintf(buf, sizeof(buf), "tcb slot %td", s - tcb_slots);
    return buf;
}

/* cte_check, plus: a parent holds a cap and the chain of parents ends. */
static void
check_slot(const struct cte *s)
{
    const char *err = cte_check(s);
    if (err)
        fail_msg("%s: %s", slot_name(s), err);
    if (s->cap.type == MICA_OBJ_NULL)
        return;
    unsigned depth = 0;
    for (const struct cte *p = s->parent; p; p = p->parent) {
        if (p->cap.type == MICA_OBJ_NULL)
            fail_msg("%s: an ancestor is an empty slot", slot_name(s));
        if (++depth > 100000)
            fail_msg("%s: the chain of parents loops", slot_name(s));
    }
}

/* The first cap of this object on the way up from s: the root of its subtree. */
static const struct cte *
object_root(const struct cte *s)
{
    while (s->parent && same_object(&s->parent->cap, &s->cap))
        s = s->parent;
    return s;
}

struct object_slot {
    const struct cte *slot, *root;
};

static struct object_slot all_caps[MAX_SLOTS];

static int
by_object(const void *a, const void *b)
{
    const struct cap *x = &((const struct object_slot *)a)->slot->cap;
    const struct cap *y = &((const struct object_slot *)b)->slot->cap;
    if (x->type != y->type)
        return x->type < y->type ? -1 : 1;
    if (x->obj != y->obj)
        return x->obj < y->obj ? -1 : 1;
    return (x->size_bits > y->size_bits) - (x->size_bits < y->size_bits);
}

/*
 * The invariants of cspace.h over every slot: cte_check and check_slot on each, and the caps
 * to one object form one subtree (all have the same root). CNode headers have no links but
 * the queue link in parent.
 */
static void
check_all(void)
{
    unsigned nall_caps = 0;
    for (unsigned i = 0; i < nslots; i++) {
        check_slot(slots[i]);
        if (slots[i]->cap.type != MICA_OBJ_NULL)
            all_caps[nall_caps++] = (struct object_slot){ slots[i], object_root(slots[i]) };
    }
    qsort(all_caps, nall_caps, sizeof(all_caps[0]), by_object);
    for (unsigned i = 1; i < nall_caps; i++)
        if (!by_object(&all_caps[i - 1], &all_caps[i]) && all_caps[i - 1].root != all_caps[i].root)
            fail_msg("%s: caps to one object have two roots", slot_name(all_caps[i].slot));
    for (unsigned k = 0; k < ncnodes; k++) {
        const struct cte *h = phys_to_virt(cnodes[k].obj);
        assert_int_equal(h->cap.type, MICA_OBJ_NULL);
        assert_int_equal(h->cap.size_bits, cnodes[k].size_bits);
        assert_true(!h->first_child && !h->next && !h->prev);
    }
}

static bool
is_empty(const struct cte *s)
{
    static const struct cte zero;
    return !memcmp(s, &zero, sizeof(zero));
}

static bool
holds(const struct cte *s, const struct cap *cap)
{
    return s->cap.type == cap->type && s->cap.obj == cap->obj && s->cap.size_bits == cap->size_bits;
}

/* Assert parent's children are exactly the n slots given, in any order, linked both ways. */
static void
assert_children(const struct cte *parent, unsigned n, struct cte *const *want)
{
    unsigned count = 0;
    const struct cte *prev = NULL;
    for (const struct cte *c = parent->first_child; c; prev = c, c = c->next) {
        assert_ptr_equal(c->parent, parent);
        assert_ptr_equal(c->prev, prev);
        bool listed = false;
        for (unsigned i = 0; i < n; i++)
            listed |= c == want[i];
        if (!listed)
            fail_msg("%s: an unexpected child", slot_name(c));
        count++;
    }
    assert_int_equal(count, n);
}

#define CHILDREN(...) \
    (sizeof((struct cte *[]){ __VA_ARGS__ }) / sizeof(struct cte *)), \
    (struct cte *[]){ __VA_ARGS__ }
#define NO_CHILDREN 0, NULL

static unsigned
count_children(const struct cte *s)
{
    unsigned n = 0;
    for (const struct cte *c = s->first_child; c; c = c->next)
        n++;
    return n;
}

static void
assert_root(const struct cte *s)
{
    assert_null(s->parent);
    assert_null(s->prev);
    assert_null(s->next);
}

/* Insert cap into slot dest under parent and check. */
static void
insert(struct cte *dest, struct cap cap, struct cte *parent)
{
    cte_insert(dest, &cap, parent);
    check_all();
}

/* Derive dest from src with all rights and no badge, which must succeed. */
static void
copy(struct cte *dest, struct cte *src)
{
    assert_int_equal(cte_derive(dest, src, MICA_RIGHTS_ALL, 0), MICA_E_OK);
    check_all();
}

/* ---- badges ------------------------------------------------------------------------ */

/* A badge is gone with the last capability minted (or copied) with it, while the object
 * lives on; deleting one of two copies, or an unbadged capability, says nothing. */
static void
cte_delete_of_the_last_badged_cap_reports_the_badge(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 5), MICA_E_OK);
    copy(S(3), S(2));
    cte_delete(S(3));
    assert_int_equal(nbadges_gone, 0);
    cte_delete(S(2));
    check_all();
    assert_int_equal(nbadges_gone, 1);
    assert_int_equal(badges_gone[0].badge, 5);
    assert_int_equal(ndestroyed, 0);                    /* S(1) keeps the endpoint */
}

/* Deleting a badged capability with a copy below: the copy takes over, the badge lives. */
static void
cte_delete_of_a_badged_cap_with_a_copy_keeps_the_badge(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 9), MICA_E_OK);
    copy(S(3), S(2));
    cte_delete(S(2));
    check_all();
    assert_int_equal(nbadges_gone, 0);
    cte_revoke(S(1));
    assert_int_equal(nbadges_gone, 1);
    assert_int_equal(badges_gone[0].badge, 9);
}

/* ---- insert and derive ------------------------------------------------------------- */

static void
cte_insert_without_parent_makes_a_root(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), e, NULL);
    assert_true(holds(S(1), &e));
    assert_int_equal(S(1)->cap.rights, MICA_RIGHTS_ALL);
    assert_root(S(1));
    assert_children(S(1), NO_CHILDREN);
}

static void
cte_insert_under_a_parent_links_children_as_siblings(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    assert_children(S(1), CHILDREN(S(2)));
    insert(S(3), ntfn(2), S(1));
    insert(S(4), tcb(3), S(1));
    assert_children(S(1), CHILDREN(S(2), S(3), S(4)));
    assert_root(S(1));
    assert_children(S(2), NO_CHILDREN);
}

static void
cte_derive_makes_a_child_of_the_source(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), e, NULL);
    copy(S(2), S(1));
    assert_true(holds(S(2), &e));
    assert_children(S(1), CHILDREN(S(2)));
    copy(S(3), S(1));
    assert_children(S(1), CHILDREN(S(2), S(3)));
    assert_root(S(1));
}

static void
cte_derive_of_a_copy_makes_a_grandchild(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(2));
    copy(S(4), S(3));
    assert_children(S(1), CHILDREN(S(2)));
    assert_children(S(2), CHILDREN(S(3)));
    assert_children(S(3), CHILDREN(S(4)));
    assert_children(S(4), NO_CHILDREN);
}

/* Copies keep the object, its size, its badge and other words; only rights change. */
static void
cte_derive_copies_object_size_and_badge(void **state)
{
    (void)state;
    struct cap f = frame(1);
    f.badge = 0x1234;
    f.extra = 0x5678;                       /* the source's own state (a frame's mapping) */
    insert(S(1), f, NULL);
    copy(S(2), S(1));
    struct cap expect = f;
    expect.extra = 0;                       /* is not copied: the copy starts unmapped */
    assert_memory_equal(&S(2)->cap, &expect, sizeof(struct cap));
    assert_int_equal(S(1)->cap.extra, 0x5678);
}

/* Deleting a capability with state of its own (a mapped frame) releases that state, once;
 * deleting its copy, which has none, does not. */
static void
cte_delete_releases_a_caps_own_state(void **state)
{
    (void)state;
    struct cap f = frame(1);
    f.extra = 0x400000 | 1;
    insert(S(1), f, NULL);
    copy(S(2), S(1));
    unsigned before = nreleased;
    cte_delete(S(2));
    assert_int_equal(nreleased, before);
    cte_delete(S(1));
    assert_int_equal(nreleased, before + 1);
}

static void
cte_derive_reduces_rights_to_those_asked(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHT_READ | MICA_RIGHT_GRANT, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(2)->cap.rights, MICA_RIGHT_READ | MICA_RIGHT_GRANT);
    assert_int_equal(cte_derive(S(3), S(2), MICA_RIGHT_GRANT, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(3)->cap.rights, MICA_RIGHT_GRANT);
    assert_int_equal(cte_derive(S(4), S(1), 0, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(4)->cap.rights, 0);
    assert_int_equal(S(1)->cap.rights, MICA_RIGHTS_ALL);
}

static void
cte_derive_never_adds_rights(void **state)
{
    (void)state;
    struct cap e = ep(1);
    e.rights = MICA_RIGHT_READ;
    insert(S(1), e, NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(2)->cap.rights, MICA_RIGHT_READ);
    assert_int_equal(cte_derive(S(3), S(2), 0xff, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(3)->cap.rights, MICA_RIGHT_READ);
}

static void
cte_derive_badges_an_unbadged_endpoint(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 42), MICA_E_OK);
    check_all();
    assert_int_equal(S(2)->cap.badge, 42);
    assert_int_equal(S(1)->cap.badge, 0);
    assert_children(S(1), CHILDREN(S(2)));
}

static void
cte_derive_badges_an_unbadged_notification(void **state)
{
    (void)state;
    insert(S(1), ntfn(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHT_WRITE, 7), MICA_E_OK);
    check_all();
    assert_int_equal(S(2)->cap.badge, 7);
    assert_int_equal(S(2)->cap.rights, MICA_RIGHT_WRITE);
}

/* A badge is set once: a badged cap can be copied, keeping its badge, not re-badged. */
static void
cte_derive_of_a_badged_endpoint_keeps_its_badge(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 42), MICA_E_OK);
    assert_int_equal(cte_derive(S(3), S(2), MICA_RIGHTS_ALL, 0), MICA_E_OK);
    check_all();
    assert_int_equal(S(3)->cap.badge, 42);
}

static void
cte_derive_rebadging_a_badged_endpoint_fails_and_changes_nothing(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 42), MICA_E_OK);
    struct cte before = *S(2);
    assert_int_equal(cte_derive(S(3), S(2), MICA_RIGHTS_ALL, 43), MICA_E_INVALID_ARG);
    check_all();
    assert_true(is_empty(S(3)));
    assert_memory_equal(S(2), &before, sizeof(before));
}

static void
cte_derive_with_a_badge_of_other_types_fails(void **state)
{
    (void)state;
    struct cap io = { .type = MICA_OBJ_IO_PORTS, .rights = MICA_RIGHTS_ALL,
                      .badge = 0x60 | 0x64ul << 16 };
    struct cap c = new_cnode(2);
    const struct cap caps[] = { tcb(1), frame(2), c, io, obj_cap(MICA_OBJ_VSPACE, 3) };
    for (unsigned i = 0; i < ARRAY_SIZE(caps); i++) {
        insert(S(1 + i), caps[i], NULL);
        assert_int_equal(cte_derive(S(10), S(1 + i), MICA_RIGHTS_ALL, 1), MICA_E_INVALID_ARG);
        check_all();
        assert_true(is_empty(S(10)));
        assert_children(S(1 + i), NO_CHILDREN);
    }
    assert_int_equal(S(4)->cap.badge, 0x60 | 0x64ul << 16);   /* the port range is intact */
}

/* A page table has one capability, so it can be mapped at one place and level only. */
static void
cte_derive_of_a_page_table_fails(void **state)
{
    (void)state;
    insert(S(1), obj_cap(MICA_OBJ_PAGE_TABLE, 1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 0), MICA_E_INVALID_ARG);
    check_all();
    assert_true(is_empty(S(2)));
}

/* Untyped memory is split by retype, never copied. */
static void
cte_derive_of_untyped_fails(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 0), MICA_E_INVALID_ARG);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHT_READ, 0), MICA_E_INVALID_ARG);
    check_all();
    assert_true(is_empty(S(2)));
    assert_children(S(1), NO_CHILDREN);
}

static void
cte_derive_of_an_empty_slot_fails(void **state)
{
    (void)state;
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 0), MICA_E_INVALID_ARG);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 5), MICA_E_INVALID_ARG);
    check_all();
    assert_true(is_empty(S(1)));
    assert_true(is_empty(S(2)));
}

/* ---- move ---------------------------------------------------------------------------- */

static void
cte_move_of_a_lone_cap_moves_it_and_empties_the_source(void **state)
{
    (void)state;
    struct cap e = ep(1);
    e.badge = 9;
    e.rights = MICA_RIGHT_READ;
    insert(S(1), e, NULL);
    cte_move(S(2), S(1));
    check_all();
    assert_true(is_empty(S(1)));
    assert_memory_equal(&S(2)->cap, &e, sizeof(e));
    assert_root(S(2));
    assert_int_equal(ndestroyed, 0);
}

static void
cte_move_of_a_parent_keeps_its_children(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    copy(S(3), S(2));
    copy(S(4), S(2));
    copy(S(5), S(3));
    cte_move(S(10), S(2));
    check_all();
    assert_true(is_empty(S(2)));
    assert_children(S(1), CHILDREN(S(10)));
    assert_children(S(10), CHILDREN(S(3), S(4)));
    assert_children(S(3), CHILDREN(S(5)));
}

static void
cte_move_of_a_first_child_keeps_its_place(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    copy(S(4), S(1));
    struct cte *first = S(1)->first_child, *next = first->next;
    copy(S(5), first);
    cte_move(S(10), first);
    check_all();
    assert_true(is_empty(first));
    assert_ptr_equal(S(1)->first_child, S(10));
    assert_null(S(10)->prev);
    assert_ptr_equal(S(10)->next, next);
    assert_ptr_equal(next->prev, S(10));
    assert_children(S(10), CHILDREN(S(5)));
}

static void
cte_move_of_a_middle_sibling_keeps_its_neighbours(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    copy(S(4), S(1));
    struct cte *mid = S(1)->first_child->next, *prev = mid->prev, *next = mid->next;
    assert_non_null(next);
    copy(S(5), mid);
    cte_move(S(10), mid);
    check_all();
    assert_true(is_empty(mid));
    assert_ptr_equal(S(10)->parent, S(1));
    assert_ptr_equal(S(10)->prev, prev);
    assert_ptr_equal(S(10)->next, next);
    assert_ptr_equal(prev->next, S(10));
    assert_ptr_equal(next->prev, S(10));
    assert_children(S(10), CHILDREN(S(5)));
}

static void
cte_move_of_a_last_sibling_keeps_its_place(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    struct cte *last = S(1)->first_child->next, *prev = last->prev;
    assert_null(last->next);
    cte_move(S(10), last);
    check_all();
    assert_ptr_equal(prev->next, S(10));
    assert_ptr_equal(S(10)->prev, prev);
    assert_null(S(10)->next);
    assert_children(S(1), CHILDREN(S(2) == last ? S(3) : S(2), S(10)));
}

/* Moving an untyped cap keeps the objects retyped from it as its children. */
static void
cte_move_of_an_untyped_keeps_its_retyped_children(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    insert(S(3), ntfn(2), S(1));
    cte_move(S(4), S(1));
    check_all();
    assert_children(S(4), CHILDREN(S(2), S(3)));
    assert_false(cte_is_final(S(4)));
}

/* A cap moved into another CNode is found there and keeps its tree position. */
static void
cte_move_into_another_cnode_keeps_the_tree(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    insert(S(1), c, NULL);
    insert(S(2), ep(1), NULL);
    copy(S(3), S(2));
    cte_move(cnode_slot(&c, 3), S(3));
    check_all();
    assert_children(S(2), CHILDREN(cnode_slot(&c, 3)));
    assert_false(cte_is_final(S(2)));
}

/* ---- cte_is_final ------------------------------------------------------------------- */

static void
cte_is_final_for_a_lone_cap(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_true(cte_is_final(S(1)));
}

static void
cte_is_final_is_false_for_a_cap_with_a_copy(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    assert_false(cte_is_final(S(1)));
    assert_false(cte_is_final(S(2)));
}

/* A badged endpoint cap is a cap to the same endpoint. */
static void
cte_is_final_is_false_for_a_cap_with_a_badged_copy(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    assert_int_equal(cte_derive(S(2), S(1), MICA_RIGHTS_ALL, 3), MICA_E_OK);
    check_all();
    assert_false(cte_is_final(S(1)));
    assert_false(cte_is_final(S(2)));
}

static void
cte_is_final_for_a_retyped_cap_under_its_untyped(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    insert(S(3), ep(2), S(1));
    assert_true(cte_is_final(S(2)));
    assert_true(cte_is_final(S(3)));
    copy(S(4), S(2));
    assert_false(cte_is_final(S(2)));
    assert_false(cte_is_final(S(4)));
    assert_true(cte_is_final(S(3)));
}

static void
cte_is_final_for_the_last_copy_after_the_others_go(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(2));
    cte_delete(S(1));
    check_all();
    assert_false(cte_is_final(S(3)));
    cte_delete(S(2));
    check_all();
    assert_true(cte_is_final(S(3)));
}

/* cspace.h: final "exactly when it has no children and its parent is not a cap to the same
 * object" -- so an untyped cap whose region holds objects is not final. */
static void
cte_is_final_is_false_for_an_untyped_with_retyped_children(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    assert_true(cte_is_final(S(1)));
    insert(S(2), ep(1), S(1));
    assert_false(cte_is_final(S(1)));
}

/* Caps of another type or size at the same address name other objects: an untyped retyped
 * from an untyped at its start, a large frame and a page frame, an endpoint. */
static void
cte_is_final_tells_objects_apart_by_type_and_size(void **state)
{
    (void)state;
    struct cap big = frame(1);
    big.size_bits = MICA_LARGE_FRAME_BITS;
    insert(S(1), untyped(1, UT_BITS), NULL);
    insert(S(2), untyped(1, UT_BITS - 1), S(1));
    insert(S(3), big, S(2));
    insert(S(4), frame(1), S(2));
    insert(S(5), ep(1), S(2));
    for (unsigned i = 3; i <= 5; i++)
        assert_true(cte_is_final(S(i)));
    assert_false(cte_is_final(S(2)));
    cte_revoke(S(2));
    check_all();
    assert_true(cte_is_final(S(2)));
}

/* ---- delete ------------------------------------------------------------------------- */

static void
cte_delete_of_a_copy_unlinks_it_and_destroys_nothing(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    cte_delete(S(2));
    check_all();
    assert_true(is_empty(S(2)));
    assert_children(S(1), CHILDREN(S(3)));
    assert_int_equal(ndestroyed, 0);
}

static void
cte_delete_of_the_last_cap_destroys_the_object_once(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), e, S(1));
    cte_delete(S(2));
    check_all();
    assert_true(is_empty(S(2)));
    assert_int_equal(ndestroyed, 1);
    assert_memory_equal(&destroyed[0], &e, sizeof(e));
    assert_children(S(1), NO_CHILDREN);
    cte_delete(S(2));                                   /* now empty: nothing more */
    check_all();
    assert_int_equal(ndestroyed, 1);
}

/* Each delete but the last leaves a cap behind: only the last destroys, whatever the order. */
static void
cte_delete_of_non_final_caps_never_destroys(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), e, S(1));
    copy(S(3), S(2));
    copy(S(4), S(2));
    copy(S(5), S(3));
    static const unsigned order[] = { 2, 5, 3 };
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++) {
        assert_false(cte_is_final(S(order[i])));
        cte_delete(S(order[i]));
        check_all();
        assert_int_equal(ndestroyed, 0);
    }
    assert_true(cte_is_final(S(4)));
    cte_delete(S(4));
    check_all();
    assert_int_equal(ndestroyed, 1);
    assert_int_equal(times_destroyed(&e), 1);
}

/*
 * The first child takes the deleted cap's place under its parent and adopts its siblings;
 * its own children stay with it.
 */
static void
cte_delete_of_a_parent_makes_its_first_child_adopt_the_others(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    insert(S(9), ntfn(2), S(1));                        /* another object, left alone */
    copy(S(3), S(2));
    copy(S(4), S(2));
    copy(S(5), S(2));
    struct cte *heir = S(2)->first_child;
    copy(S(6), heir);                                   /* the heir's own child */
    copy(S(7), heir == S(3) ? S(4) : S(3));             /* a grandchild under another */
    struct cte *other = S(7)->parent;
    cte_delete(S(2));
    check_all();
    assert_int_equal(ndestroyed, 0);
    assert_children(S(1), CHILDREN(heir, S(9)));
    assert_int_equal(count_children(heir), 3);          /* S(6) and the two other copies */
    assert_ptr_equal(S(6)->parent, heir);
    assert_ptr_equal(other->parent, heir);
    assert_children(other, CHILDREN(S(7)));
    for (unsigned i = 3; i <= 5; i++)
        if (S(i) != heir)
            assert_ptr_equal(S(i)->parent, heir);
}

static void
cte_delete_of_a_root_with_copies_makes_the_first_child_the_root(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    struct cte *heir = S(1)->first_child;
    struct cte *other = heir == S(2) ? S(3) : S(2);
    cte_delete(S(1));
    check_all();
    assert_root(heir);
    assert_children(heir, CHILDREN(other));
    assert_int_equal(ndestroyed, 0);
}

/* The heir of a retyped cap is the object's new root, still under the untyped cap. */
static void
cte_delete_of_a_retyped_cap_leaves_its_copy_under_the_untyped(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    copy(S(3), S(2));
    cte_delete(S(2));
    check_all();
    assert_children(S(1), CHILDREN(S(3)));
    assert_true(cte_is_final(S(3)));
    assert_int_equal(ndestroyed, 0);
}

/* Under an untyped cap the children are other objects: they move up to its parent. */
static void
cte_delete_of_an_untyped_moves_its_children_to_its_parent(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), untyped(0, UT_BITS - 1), S(1));
    insert(S(8), ep(100), S(1));
    insert(S(3), ep(1), S(2));
    insert(S(4), ntfn(2), S(2));
    copy(S(5), S(3));
    cte_delete(S(2));
    check_all();
    assert_children(S(1), CHILDREN(S(3), S(4), S(8)));
    assert_children(S(3), CHILDREN(S(5)));
    assert_int_equal(ndestroyed, 0);
    assert_true(cte_is_final(S(4)));
}

static void
cte_delete_of_a_root_untyped_makes_its_children_roots(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    insert(S(3), ntfn(2), S(1));
    copy(S(4), S(2));
    cte_delete(S(1));
    check_all();
    assert_root(S(2));
    assert_root(S(3));
    assert_children(S(2), CHILDREN(S(4)));
    assert_int_equal(ndestroyed, 0);
}

/* An untyped cap with nothing retyped from it is final: deleting it destroys it. */
static void
cte_delete_of_an_untyped_without_children_destroys_it(void **state)
{
    (void)state;
    struct cap u = untyped(0, UT_BITS);
    insert(S(1), u, NULL);
    cte_delete(S(1));
    check_all();
    assert_int_equal(ndestroyed, 1);
    assert_int_equal(times_destroyed(&u), 1);
}

static void
cte_delete_of_an_empty_slot_does_nothing(void **state)
{
    (void)state;
    insert(S(2), ep(1), NULL);
    cte_delete(S(1));
    check_all();
    assert_true(is_empty(S(1)));
    assert_int_equal(ndestroyed, 0);
}

/* ---- revoke ------------------------------------------------------------------------- */

static void
cte_revoke_deletes_every_copy_and_keeps_the_slot(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), e, NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    cte_revoke(S(1));
    check_all();
    assert_true(holds(S(1), &e));
    assert_children(S(1), NO_CHILDREN);
    assert_true(is_empty(S(2)) && is_empty(S(3)));
    assert_true(cte_is_final(S(1)));
    assert_int_equal(ndestroyed, 0);
}

/* A tree of copies, four levels deep with branches at every level, goes entirely. */
static void
cte_revoke_deletes_descendants_at_every_depth_and_branch(void **state)
{
    (void)state;
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), ep(1), S(1));
    copy(S(3), S(2));                   /* level 1 */
    copy(S(4), S(2));
    copy(S(5), S(3));                   /* level 2 */
    copy(S(6), S(3));
    copy(S(7), S(4));
    copy(S(8), S(5));                   /* level 3 */
    copy(S(9), S(5));
    copy(S(10), S(7));
    copy(S(11), S(9));                  /* level 4 */
    insert(S(12), ep(2), S(1));         /* a sibling of the revoked cap */
    copy(S(13), S(12));
    cte_revoke(S(2));
    check_all();
    for (unsigned i = 3; i <= 11; i++)
        assert_true(is_empty(S(i)));
    assert_children(S(2), NO_CHILDREN);
    assert_children(S(1), CHILDREN(S(2), S(12)));
    assert_children(S(12), CHILDREN(S(13)));
    assert_int_equal(ndestroyed, 0);
}

/* Revoking a cap in the middle keeps its ancestors and their other descendants. */
static void
cte_revoke_of_a_middle_cap_keeps_ancestors_and_siblings(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    copy(S(3), S(1));
    copy(S(4), S(2));
    copy(S(5), S(4));
    copy(S(6), S(3));
    cte_revoke(S(2));
    check_all();
    assert_children(S(1), CHILDREN(S(2), S(3)));
    assert_children(S(2), NO_CHILDREN);
    assert_children(S(3), CHILDREN(S(6)));
    assert_true(is_empty(S(4)) && is_empty(S(5)));
    assert_int_equal(ndestroyed, 0);
}

static void
cte_revoke_of_a_cap_without_children_changes_nothing(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    struct cte before1 = *S(1), before2 = *S(2);
    cte_revoke(S(2));
    check_all();
    assert_memory_equal(S(1), &before1, sizeof(before1));
    assert_memory_equal(S(2), &before2, sizeof(before2));
    cte_revoke(S(3));                                   /* an empty slot */
    check_all();
    assert_true(is_empty(S(3)));
    assert_int_equal(ndestroyed, 0);
}

/* Every object retyped from an untyped cap goes, each once, whatever copies it had. */
static void
cte_revoke_of_an_untyped_destroys_every_object_retyped_from_it(void **state)
{
    (void)state;
    struct cap u = untyped(0, UT_BITS);
    struct cap objs[] = { ep(1), ntfn(2), tcb(3), frame(4), ep(5) };
    insert(S(1), u, NULL);
    for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
        insert(S(10 + i), objs[i], S(1));
    copy(S(20), S(10));
    copy(S(21), S(20));
    copy(S(22), S(10));
    assert_int_equal(cte_derive(S(23), S(11), MICA_RIGHTS_ALL, 77), MICA_E_OK);
    copy(S(24), S(23));
    cte_move(S(25), S(12));
    copy(S(26), S(25));
    insert(S(2), ep(99), NULL);                         /* not from the untyped */
    cte_revoke(S(1));
    check_all();
    assert_true(holds(S(1), &u));
    assert_children(S(1), NO_CHILDREN);
    assert_int_equal(ndestroyed, ARRAY_SIZE(objs));
    for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
        assert_int_equal(times_destroyed(&objs[i]), 1);
    assert_int_equal(times_destroyed(&u), 0);
    for (unsigned i = 3; i < 256; i++)
        assert_true(is_empty(S(i)));
}

/* Objects retyped from an untyped retyped from the revoked one go too. */
static void
cte_revoke_of_an_untyped_destroys_objects_of_untyped_below_it(void **state)
{
    (void)state;
    struct cap u = untyped(0, UT_BITS), u2 = untyped(0, UT_BITS - 1), e = ep(1), n = ntfn(2);
    insert(S(1), u, NULL);
    insert(S(2), u2, S(1));
    insert(S(3), e, S(2));
    insert(S(4), n, S(1));
    copy(S(5), S(3));
    cte_revoke(S(1));
    check_all();
    assert_children(S(1), NO_CHILDREN);
    assert_int_equal(ndestroyed, 3);
    assert_int_equal(times_destroyed(&u2), 1);
    assert_int_equal(times_destroyed(&e), 1);
    assert_int_equal(times_destroyed(&n), 1);
    for (unsigned i = 2; i <= 5; i++)
        assert_true(is_empty(S(i)));
}

/* A CNode retyped from the untyped is emptied: what was final in it is destroyed, copies of
 * caps from elsewhere are deleted only. */
static void
cte_revoke_of_an_untyped_empties_the_cnodes_retyped_from_it(void **state)
{
    (void)state;
    struct cap c = new_cnode(3), inner = ep(1), outer = ep(2);
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), c, S(1));
    copy(S(3), S(2));
    insert(cnode_slot(&c, 1), inner, NULL);
    insert(S(4), outer, NULL);
    copy(cnode_slot(&c, 2), S(4));
    cte_revoke(S(1));
    check_all();
    assert_children(S(1), NO_CHILDREN);
    assert_true(is_empty(S(2)) && is_empty(S(3)));
    for (unsigned i = 1; i < 8; i++)
        assert_true(is_empty(cnode_slot(&c, i)));
    assert_int_equal(ndestroyed, 1);
    assert_int_equal(times_destroyed(&inner), 1);
    assert_true(cte_is_final(S(4)));
}

/* The untyped cap lives in a CNode retyped from it: revoke destroys that CNode, and the
 * revoked slot with it, after the untyped's other objects are gone. */
static void
cte_revoke_of_an_untyped_inside_its_own_cnode_destroys_everything(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), u = untyped(0, UT_BITS), e = ep(1);
    struct cte *us = cnode_slot(&c, 1);
    insert(us, u, NULL);
    insert(S(1), c, us);                    /* the CNode's only cap, retyped first */
    insert(S(2), e, us);                    /* the endpoint, retyped last: the first child */
    assert_ptr_equal(us->first_child, S(2));
    cte_revoke(us);
    check_all();
    assert_true(is_empty(us));
    assert_true(is_empty(S(1)) && is_empty(S(2)));
    assert_int_equal(times_destroyed(&e), 1);
    assert_int_equal(times_destroyed(&u), 1);
    assert_int_equal(ndestroyed, 2);
}

/*
 * As above, but the CNode's cap is the first child: its deletion frees the CNode holding the
 * revoked slot while the endpoint's cap is still under it. Revoke must still delete every
 * descendant before the CNode is emptied (a regression: the endpoint used to survive).
 */
static void
cte_revoke_that_destroys_its_own_slot_leaves_a_consistent_tree(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), u = untyped(0, UT_BITS), e = ep(1);
    struct cte *us = cnode_slot(&c, 1);
    insert(us, u, NULL);
    insert(S(2), e, us);
    insert(S(1), c, us);                    /* retyped last: the first child */
    assert_ptr_equal(us->first_child, S(1));
    cte_revoke(us);
    check_all();
    assert_true(is_empty(us));
    assert_true(is_empty(S(1)) && is_empty(S(2)));
    assert_int_equal(times_destroyed(&e), 1);
    assert_int_equal(times_destroyed(&u), 1);           /* childless when its CNode went */
}

/* ---- CNode destruction ---------------------------------------------------------------- */

static void
cte_delete_of_the_last_cnode_cap_empties_every_slot(void **state)
{
    (void)state;
    struct cap c = new_cnode(3), e1 = ep(1), n2 = ntfn(2), e3 = ep(3), f4 = frame(4);
    insert(S(1), c, NULL);
    insert(cnode_slot(&c, 1), e1, NULL);                /* final in c */
    insert(cnode_slot(&c, 2), n2, NULL);                /* two caps, both in c */
    copy(cnode_slot(&c, 3), cnode_slot(&c, 2));
    insert(S(2), e3, NULL);                             /* a copy of a cap outside */
    copy(cnode_slot(&c, 4), S(2));
    insert(cnode_slot(&c, 7), f4, NULL);                /* the last slot */
    cte_delete(S(1));
    check_all();
    for (unsigned i = 1; i < 8; i++)
        assert_true(is_empty(cnode_slot(&c, i)));
    assert_int_equal(ndestroyed, 3);
    assert_int_equal(times_destroyed(&e1), 1);
    assert_int_equal(times_destroyed(&n2), 1);
    assert_int_equal(times_destroyed(&f4), 1);
    assert_int_equal(times_destroyed(&e3), 0);
    assert_children(S(2), NO_CHILDREN);
}

static void
cte_delete_of_a_non_final_cnode_cap_keeps_its_slots(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(1);
    insert(S(1), c, NULL);
    copy(S(2), S(1));
    insert(cnode_slot(&c, 1), e, NULL);
    cte_delete(S(1));
    check_all();
    assert_true(holds(cnode_slot(&c, 1), &e));
    assert_int_equal(ndestroyed, 0);
    cte_delete(S(2));
    check_all();
    assert_true(is_empty(cnode_slot(&c, 1)));
    assert_int_equal(times_destroyed(&e), 1);
}

/* A cap in the CNode with copies outside it is not final: the copies keep the object. */
static void
cte_delete_of_a_cnode_leaves_copies_made_from_its_caps(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(1);
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(S(2), c, NULL);
    insert(cnode_slot(&c, 1), e, S(1));
    copy(S(3), cnode_slot(&c, 1));
    copy(S(4), cnode_slot(&c, 1));
    cte_delete(S(2));
    check_all();
    assert_true(is_empty(cnode_slot(&c, 1)));
    assert_int_equal(ndestroyed, 0);
    assert_int_equal(count_children(S(1)), 1);          /* the heir, S(3) or S(4) */
    struct cte *heir = S(1)->first_child;
    assert_children(heir, CHILDREN(heir == S(3) ? S(4) : S(3)));
}

/* CNodes in CNodes, five levels deep with two branches: all emptied, each object once. */
static void
cte_delete_of_nested_cnodes_empties_every_level(void **state)
{
    (void)state;
    enum { LEVELS = 5 };
    struct cap c[LEVELS], side[LEVELS], e[LEVELS], n[LEVELS];
    for (unsigned k = 0; k < LEVELS; k++) {
        c[k] = new_cnode(2);
        side[k] = new_cnode(2);
        e[k] = ep(k);
        n[k] = ntfn(100 + k);
    }
    insert(S(1), c[0], NULL);
    for (unsigned k = 0; k < LEVELS; k++) {
        if (k + 1 < LEVELS)
            insert(cnode_slot(&c[k], 1), c[k + 1], NULL);
        insert(cnode_slot(&c[k], 2), e[k], NULL);
        insert(cnode_slot(&c[k], 3), side[k], NULL);
        insert(cnode_slot(&side[k], 1), n[k], NULL);
    }
    cte_delete(S(1));
    check_all();
    assert_int_equal(ndestroyed, 2 * LEVELS);
    for (unsigned k = 0; k < LEVELS; k++) {
        assert_int_equal(times_destroyed(&e[k]), 1);
        assert_int_equal(times_destroyed(&n[k]), 1);
        for (unsigned i = 1; i < 4; i++) {
            assert_true(is_empty(cnode_slot(&c[k], i)));
            assert_true(is_empty(cnode_slot(&side[k], i)));
        }
    }
}

/* The only cap to a CNode may sit in the CNode itself: deleting it empties that CNode. */
static void
cte_delete_of_a_cnodes_only_cap_held_in_itself_empties_it(void **state)
{
    (void)state;
    struct cap a = new_cnode(2), b = new_cnode(2), e = ep(1), f = ep(2);
    insert(cnode_slot(&a, 1), a, NULL);
    insert(cnode_slot(&a, 2), e, NULL);
    insert(cnode_slot(&a, 3), b, NULL);
    insert(cnode_slot(&b, 1), f, NULL);
    assert_true(cte_is_final(cnode_slot(&a, 1)));
    cte_delete(cnode_slot(&a, 1));
    check_all();
    for (unsigned i = 1; i < 4; i++) {
        assert_true(is_empty(cnode_slot(&a, i)));
        assert_true(is_empty(cnode_slot(&b, i)));
    }
    assert_int_equal(ndestroyed, 2);
    assert_int_equal(times_destroyed(&e), 1);
    assert_int_equal(times_destroyed(&f), 1);
}

/* Two caps to a CNode, both inside it: the first delete is not final, the second is. */
static void
cte_delete_of_a_cnode_holding_two_caps_to_itself(void **state)
{
    (void)state;
    struct cap a = new_cnode(2), e = ep(1);
    insert(cnode_slot(&a, 1), a, NULL);
    copy(cnode_slot(&a, 2), cnode_slot(&a, 1));
    insert(cnode_slot(&a, 3), e, NULL);
    cte_delete(cnode_slot(&a, 1));
    check_all();
    assert_int_equal(ndestroyed, 0);
    assert_true(holds(cnode_slot(&a, 3), &e));
    assert_true(cte_is_final(cnode_slot(&a, 2)));
    cte_delete(cnode_slot(&a, 2));
    check_all();
    assert_int_equal(ndestroyed, 1);
    assert_true(is_empty(cnode_slot(&a, 3)));
}

/* A revoke that deletes the cap in a CNode holding a cap to itself empties it once. */
static void
cte_revoke_of_an_untyped_destroys_a_cnode_holding_its_own_cap(void **state)
{
    (void)state;
    struct cap a = new_cnode(2), e = ep(1);
    insert(S(1), untyped(0, UT_BITS), NULL);
    insert(cnode_slot(&a, 1), a, S(1));                 /* retyped straight into itself */
    copy(cnode_slot(&a, 2), cnode_slot(&a, 1));
    insert(cnode_slot(&a, 3), e, NULL);
    cte_revoke(S(1));
    check_all();
    assert_children(S(1), NO_CHILDREN);
    for (unsigned i = 1; i < 4; i++)
        assert_true(is_empty(cnode_slot(&a, i)));
    assert_int_equal(ndestroyed, 1);
    assert_int_equal(times_destroyed(&e), 1);
}

/*
 * A chain of CHAIN CNodes, each holding the only cap to the next and an endpoint of its own,
 * is torn down by one delete without recursion: every endpoint is destroyed once, in chain
 * order, and from the same stack depth.
 */
static void
cte_delete_of_a_long_cnode_chain_tears_it_down_iteratively(void **state)
{
    (void)state;
    static struct cap c[CHAIN];
    for (unsigned k = 0; k < CHAIN; k++)
        c[k] = new_cnode(2);
    insert(S(1), c[0], NULL);
    for (unsigned k = 0; k < CHAIN; k++) {
        struct cap e = ep(k);
        cte_insert(cnode_slot(&c[k], 1), &e, NULL);
        if (k + 1 < CHAIN)
            cte_insert(cnode_slot(&c[k], 2), &c[k + 1], NULL);
    }
    check_all();
    cte_delete(S(1));
    check_all();
    assert_int_equal(ndestroyed, CHAIN);
    for (unsigned k = 0; k < CHAIN; k++) {
        struct cap e = ep(k);
        assert_true(same_object(&destroyed[k], &e));
        for (unsigned i = 1; i < 4; i++)
            assert_true(is_empty(cnode_slot(&c[k], i)));
    }
    assert_true(destroy_sp_max - destroy_sp_min < 512);
}

/* ---- cte_clear and cte_drain ------------------------------------------------------------ */

/* cte_clear empties the slot but only queues the CNode: its slots stay until cte_drain. */
static void
cte_clear_of_the_last_cnode_cap_waits_for_cte_drain(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(1);
    insert(S(1), c, NULL);
    insert(cnode_slot(&c, 1), e, NULL);
    cte_clear(S(1));
    assert_true(is_empty(S(1)));
    assert_true(holds(cnode_slot(&c, 1), &e));
    assert_int_equal(ndestroyed, 0);
    check_all();
    cte_drain();
    check_all();
    assert_true(is_empty(cnode_slot(&c, 1)));
    assert_int_equal(times_destroyed(&e), 1);
    const struct cte *h = phys_to_virt(c.obj);
    assert_null(h->parent);                             /* off the queue */
}

static void
cte_clear_of_the_last_cnode_cap_is_finished_by_the_next_cte_delete(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(1);
    insert(S(1), c, NULL);
    insert(cnode_slot(&c, 1), e, NULL);
    insert(S(2), ep(2), NULL);
    copy(S(3), S(2));
    cte_clear(S(1));
    assert_int_equal(ndestroyed, 0);
    cte_delete(S(3));                                   /* unrelated and not final */
    check_all();
    assert_true(is_empty(cnode_slot(&c, 1)));
    assert_int_equal(ndestroyed, 1);
    assert_int_equal(times_destroyed(&e), 1);
}

/* Several CNodes queued by cte_clear are all emptied by one cte_drain. */
static void
cte_drain_empties_every_queued_cnode(void **state)
{
    (void)state;
    struct cap c[3];
    for (unsigned k = 0; k < 3; k++) {
        c[k] = new_cnode(2);
        insert(S(1 + k), c[k], NULL);
        insert(cnode_slot(&c[k], 3), ep(k), NULL);
    }
    for (unsigned k = 0; k < 3; k++)
        cte_clear(S(1 + k));
    assert_int_equal(ndestroyed, 0);
    cte_drain();
    check_all();
    assert_int_equal(ndestroyed, 3);
    for (unsigned k = 0; k < 3; k++) {
        struct cap e = ep(k);
        assert_int_equal(times_destroyed(&e), 1);
        assert_true(is_empty(cnode_slot(&c[k], 3)));
        const struct cte *h = phys_to_virt(c[k].obj);
        assert_null(h->parent);                         /* the queue link is cleared */
    }
}

/* Objects other than CNodes are destroyed by cte_clear at once: nothing to queue. */
static void
cte_clear_of_the_last_cap_to_another_object_destroys_it_at_once(void **state)
{
    (void)state;
    struct cap e = ep(1);
    insert(S(1), e, NULL);
    cte_clear(S(1));
    assert_true(is_empty(S(1)));
    assert_int_equal(times_destroyed(&e), 1);
    check_all();
}

static void
cte_clear_of_a_non_final_cap_just_deletes_it(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    insert(S(1), c, NULL);
    copy(S(2), S(1));
    insert(cnode_slot(&c, 1), ep(1), NULL);
    cte_clear(S(2));
    cte_drain();
    check_all();
    assert_true(is_empty(S(2)));
    assert_int_equal(cnode_slot(&c, 1)->cap.type, MICA_OBJ_ENDPOINT);
    assert_int_equal(ndestroyed, 0);
}

static void
cte_drain_with_nothing_queued_does_nothing(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    cte_drain();
    check_all();
    assert_int_equal(ndestroyed, 0);
    assert_int_equal(S(1)->cap.type, MICA_OBJ_ENDPOINT);
}

/* A destructor's cte_clear only queues the CNode it frees; the cte_delete running above
 * empties it afterwards, so the thread is destroyed before what its CSpace held. */
static void
cte_delete_finishes_a_cnode_freed_by_a_destructor(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(2);
    struct cap t = tcb_owning(1, &tcb_slots[0]);
    insert(S(1), t, NULL);
    insert(&tcb_slots[0], c, NULL);                     /* the thread's CSpace, only cap */
    insert(cnode_slot(&c, 1), e, NULL);
    cte_delete(S(1));
    check_all();
    assert_true(is_empty(&tcb_slots[0]));
    assert_true(is_empty(cnode_slot(&c, 1)));
    assert_int_equal(ndestroyed, 2);
    assert_true(same_object(&destroyed[0], &t));
    assert_true(same_object(&destroyed[1], &e));
}

/* A thread whose CSpace holds the only cap to the thread, its CSpace held only by the
 * thread: deleting the thread's cap tears down both. */
static void
cte_delete_of_a_thread_in_its_own_cspace_destroys_both(void **state)
{
    (void)state;
    struct cap c = new_cnode(2), e = ep(2);
    struct cap t = tcb_owning(1, &tcb_slots[0]);
    insert(&tcb_slots[0], c, NULL);
    insert(cnode_slot(&c, 1), t, NULL);
    insert(cnode_slot(&c, 2), e, NULL);
    cte_delete(cnode_slot(&c, 1));
    check_all();
    assert_true(is_empty(&tcb_slots[0]));
    for (unsigned i = 1; i < 4; i++)
        assert_true(is_empty(cnode_slot(&c, i)));
    assert_int_equal(ndestroyed, 2);
    assert_int_equal(times_destroyed(&t), 1);
    assert_int_equal(times_destroyed(&e), 1);
}

/* ---- cnode_init, cnode_slot, cte_check ------------------------------------------------- */

static void
cnode_init_empties_every_slot_and_records_its_size(void **state)
{
    (void)state;
    struct cap c = new_cnode(4);
    const struct cte *s = phys_to_virt(c.obj);
    assert_int_equal(s[0].cap.size_bits, 4);
    for (unsigned i = 1; i < 16; i++)
        assert_true(is_empty(&s[i]));
    assert_int_equal(*(uint8_t *)(s + 16), 0xa5);       /* and nothing past the end */
}

static void
cnode_slot_of_index_0_is_null(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    assert_null(cnode_slot(&c, 0));
}

static void
cnode_slot_gives_the_first_and_last_slots(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    struct cte *base = phys_to_virt(c.obj);
    assert_ptr_equal(cnode_slot(&c, 1), base + 1);
    assert_ptr_equal(cnode_slot(&c, 3), base + 3);
}

static void
cnode_slot_past_the_end_is_null(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    assert_null(cnode_slot(&c, 4));
    assert_null(cnode_slot(&c, 5));
    assert_null(cnode_slot(&c, 1ul << 32 | 1));
    assert_null(cnode_slot(&c, 1ul << 63));
    assert_null(cnode_slot(&c, UINT64_MAX));
    assert_null(cnode_slot(&root, 256));
}

static void
cnode_slot_of_a_cap_that_is_not_a_cnode_is_null(void **state)
{
    (void)state;
    struct cap c = new_cnode(2);
    struct cap e = ep(1), u = untyped(0, UT_BITS), none = { 0 };
    e.obj = u.obj = none.obj = c.obj;
    e.size_bits = u.size_bits = none.size_bits = 2;
    assert_null(cnode_slot(&e, 1));
    assert_null(cnode_slot(&u, 1));
    assert_null(cnode_slot(&none, 1));
}

/* The checker the tests rely on notices broken links. */
static void
cte_check_reports_an_empty_slot_with_links(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    S(2)->parent = S(1);
    assert_non_null(cte_check(S(2)));
    S(2)->parent = NULL;
}

static void
cte_check_reports_a_child_missing_from_its_parent(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    S(1)->first_child = NULL;
    assert_non_null(cte_check(S(2)));
    S(1)->first_child = S(2);
}

static void
cte_check_reports_a_copy_of_another_object(void **state)
{
    (void)state;
    insert(S(1), ep(1), NULL);
    copy(S(2), S(1));
    S(2)->cap.obj = OBJ(2);
    assert_non_null(cte_check(S(1)));
    S(2)->cap.obj = OBJ(1);
}

/* ---- random operations against a model of object lifetimes ------------------------------ */

static uint64_t
xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Each of the objects OBJ(0) to OBJ(n - 1) was destroyed once if no cap to it is left,
 * never otherwise. */
static void
assert_lifetimes(unsigned n)
{
    static unsigned caps[MAX_LOG], deaths[MAX_LOG];
    memset(caps, 0, n * sizeof(caps[0]));
    memset(deaths, 0, n * sizeof(deaths[0]));
    for (unsigned i = 0; i < nslots; i++) {
        const struct cap *c = &slots[i]->cap;
        if (c->type != MICA_OBJ_NULL && c->type != MICA_OBJ_UNTYPED)
            caps[(c->obj - OBJ(0)) / PAGE_SIZE]++;
    }
    for (unsigned i = 0; i < ndestroyed; i++)
        deaths[(destroyed[i].obj - OBJ(0)) / PAGE_SIZE]++;
    for (unsigned i = 0; i < n; i++)
        if (deaths[i] != (caps[i] ? 0u : 1u))
            fail_msg("object %u: %u caps left, destroyed %u times", i, caps[i], deaths[i]);
}

/*
 * Random retypes, copies, mints, moves, deletes and revokes (fixed seed) on 48 slots. After
 * every step the tree invariants hold, and each object made so far has been destroyed once
 * if no cap to it is left, never otherwise.
 */
static void
cspace_random_operations_keep_the_tree_and_object_lifetimes(void **state)
{
    (void)state;
    enum { NSLOTS = 48, STEPS = 3000 };
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned nobjs = 0;
    static struct cap objs[STEPS];
    struct cte *ut = S(1);
    insert(ut, untyped(0, UT_BITS), NULL);

    for (unsigned step = 0; step < STEPS; step++) {
        uint64_t r = xorshift(&seed);
        struct cte *a = S(2 + r % (NSLOTS - 1)), *b = S(2 + (r >> 8) % (NSLOTS - 1));
        unsigned op = (r >> 16) % 8;
        if (a == ut || b == ut)
            continue;
        if (op == 0 && !a->cap.type) {                          /* retype */
            objs[nobjs] = obj_cap((r >> 24) % 2 ? MICA_OBJ_ENDPOINT : MICA_OBJ_TCB, nobjs);
            cte_insert(a, &objs[nobjs++], ut);
        } else if (op <= 2 && a->cap.type && !b->cap.type) {    /* copy or mint */
            unsigned rights = (r >> 24) & 7;
            uint64_t badge = op == 2 ? (r >> 28) % 4 : 0;
            struct cap src = a->cap;
            int err = cte_derive(b, a, rights, badge);
            bool ok = !badge || (src.type == MICA_OBJ_ENDPOINT && !src.badge);
            assert_int_equal(err, ok ? MICA_E_OK : MICA_E_INVALID_ARG);
            if (ok) {
                assert_int_equal(b->cap.rights, src.rights & rights);
                assert_int_equal(b->cap.badge, badge ? badge : src.badge);
            }
        } else if (op == 3 && a->cap.type && !b->cap.type) {    /* move */
            cte_move(b, a);
        } else if (op == 4 && (r >> 24) % 16 == 0) {            /* move the untyped */
            if (!a->cap.type) {
                cte_move(a, ut);
                ut = a;
            }
        } else if (op <= 6) {
            cte_delete(a);
        } else if ((r >> 24) % 8 == 0) {
            cte_revoke((r >> 27) % 4 ? a : ut);
        }
        check_all();
        assert_lifetimes(nobjs);
    }
    assert_true(nobjs > 50);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(cte_delete_of_the_last_badged_cap_reports_the_badge),
        T(cte_delete_of_a_badged_cap_with_a_copy_keeps_the_badge),
        T(cte_insert_without_parent_makes_a_root),
        T(cte_insert_under_a_parent_links_children_as_siblings),
        T(cte_derive_makes_a_child_of_the_source),
        T(cte_derive_of_a_copy_makes_a_grandchild),
        T(cte_derive_copies_object_size_and_badge),
        T(cte_delete_releases_a_caps_own_state),
        T(cte_derive_reduces_rights_to_those_asked),
        T(cte_derive_never_adds_rights),
        T(cte_derive_badges_an_unbadged_endpoint),
        T(cte_derive_badges_an_unbadged_notification),
        T(cte_derive_of_a_badged_endpoint_keeps_its_badge),
        T(cte_derive_rebadging_a_badged_endpoint_fails_and_changes_nothing),
        T(cte_derive_with_a_badge_of_other_types_fails),
        T(cte_derive_of_untyped_fails),
        T(cte_derive_of_a_page_table_fails),
        T(cte_derive_of_an_empty_slot_fails),
        T(cte_move_of_a_lone_cap_moves_it_and_empties_the_source),
        T(cte_move_of_a_parent_keeps_its_children),
        T(cte_move_of_a_first_child_keeps_its_place),
        T(cte_move_of_a_middle_sibling_keeps_its_neighbours),
        T(cte_move_of_a_last_sibling_keeps_its_place),
        T(cte_move_of_an_untyped_keeps_its_retyped_children),
        T(cte_move_into_another_cnode_keeps_the_tree),
        T(cte_is_final_for_a_lone_cap),
        T(cte_is_final_is_false_for_a_cap_with_a_copy),
        T(cte_is_final_is_false_for_a_cap_with_a_badged_copy),
        T(cte_is_final_for_a_retyped_cap_under_its_untyped),
        T(cte_is_final_for_the_last_copy_after_the_others_go),
        T(cte_is_final_is_false_for_an_untyped_with_retyped_children),
        T(cte_is_final_tells_objects_apart_by_type_and_size),
        T(cte_delete_of_a_copy_unlinks_it_and_destroys_nothing),
        T(cte_delete_of_the_last_cap_destroys_the_object_once),
        T(cte_delete_of_non_final_caps_never_destroys),
        T(cte_delete_of_a_parent_makes_its_first_child_adopt_the_others),
        T(cte_delete_of_a_root_with_copies_makes_the_first_child_the_root),
        T(cte_delete_of_a_retyped_cap_leaves_its_copy_under_the_untyped),
        T(cte_delete_of_an_untyped_moves_its_children_to_its_parent),
        T(cte_delete_of_a_root_untyped_makes_its_children_roots),
        T(cte_delete_of_an_untyped_without_children_destroys_it),
        T(cte_delete_of_an_empty_slot_does_nothing),
        T(cte_revoke_deletes_every_copy_and_keeps_the_slot),
        T(cte_revoke_deletes_descendants_at_every_depth_and_branch),
        T(cte_revoke_of_a_middle_cap_keeps_ancestors_and_siblings),
        T(cte_revoke_of_a_cap_without_children_changes_nothing),
        T(cte_revoke_of_an_untyped_destroys_every_object_retyped_from_it),
        T(cte_revoke_of_an_untyped_destroys_objects_of_untyped_below_it),
        T(cte_revoke_of_an_untyped_empties_the_cnodes_retyped_from_it),
        T(cte_revoke_of_an_untyped_inside_its_own_cnode_destroys_everything),
        T(cte_revoke_that_destroys_its_own_slot_leaves_a_consistent_tree),
        T(cte_delete_of_the_last_cnode_cap_empties_every_slot),
        T(cte_delete_of_a_non_final_cnode_cap_keeps_its_slots),
        T(cte_delete_of_a_cnode_leaves_copies_made_from_its_caps),
        T(cte_delete_of_nested_cnodes_empties_every_level),
        T(cte_delete_of_a_cnodes_only_cap_held_in_itself_empties_it),
        T(cte_delete_of_a_cnode_holding_two_caps_to_itself),
        T(cte_revoke_of_an_untyped_destroys_a_cnode_holding_its_own_cap),
        T(cte_delete_of_a_long_cnode_chain_tears_it_down_iteratively),
        T(cte_clear_of_the_last_cnode_cap_waits_for_cte_drain),
        T(cte_clear_of_the_last_cnode_cap_is_finished_by_the_next_cte_delete),
        T(cte_drain_empties_every_queued_cnode),
        T(cte_clear_of_the_last_cap_to_another_object_destroys_it_at_once),
        T(cte_clear_of_a_non_final_cap_just_deletes_it),
        T(cte_drain_with_nothing_queued_does_nothing),
        T(cte_delete_finishes_a_cnode_freed_by_a_destructor),
        T(cte_delete_of_a_thread_in_its_own_cspace_destroys_both),
        T(cnode_init_empties_every_slot_and_records_its_size),
        T(cnode_slot_of_index_0_is_null),
        T(cnode_slot_gives_the_first_and_last_slots),
        T(cnode_slot_past_the_end_is_null),
        T(cnode_slot_of_a_cap_that_is_not_a_cnode_is_null),
        T(cte_check_reports_an_empty_slot_with_links),
        T(cte_check_reports_a_child_missing_from_its_parent),
        T(cte_check_reports_a_copy_of_another_object),
        T(cspace_random_operations_keep_the_tree_and_object_lifetimes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
