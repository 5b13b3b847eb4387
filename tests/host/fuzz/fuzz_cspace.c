// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the derivation tree (kernel/cspace.c) under any sequence of the
 * operations the kernel performs on it: retype (insert under an untyped capability, or as a
 * root), copy and mint (cte_derive), move, delete and revoke. Four CNodes of 16 slots live
 * in an arena: CNode 0 is the harness's, CNodes 1-3 exist while a capability names them, so
 * deleting the last one empties them (cte_drain). After every operation:
 * - every slot passes cte_check();
 * - the capabilities to each object form one subtree (one root);
 * - no capability names an object that was destroyed, and a dead CNode holds nothing.
 * Each operation is 4 input bytes: operation, slot, slot, argument.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cspace.h"

#include <arch/mmu.h>

#define CNODES      4
#define CNODE_BITS  4
#define SLOTS       (1u << CNODE_BITS)
#define CNODE_SIZE  (sizeof(struct cte) << CNODE_BITS)
#define OBJ_BASE    0x100000ul          /* objects cspace.c never dereferences */
#define MAX_OBJS    4096

static uint8_t arena[CNODES * CNODE_SIZE] __attribute__((aligned(64)));
static bool destroyed[MAX_OBJS];
static unsigned next_obj;

void
object_destroy(const struct cap *cap)
{
    if (cap->type == MICA_OBJ_CNODE)
        return;                         /* cspace.c empties CNodes itself */
    unsigned n = (unsigned)((cap->obj - OBJ_BASE) >> 12);
    require(cap->obj >= OBJ_BASE && n < MAX_OBJS && !destroyed[n]);     /* destroyed twice */
    destroyed[n] = true;
}

void object_badge_gone(const struct cap *cap) { (void)cap; }
void object_release(const struct cap *cap) { (void)cap; }

static struct cap
cnode_cap(unsigned k)
{
    return (struct cap){ .type = MICA_OBJ_CNODE, .rights = MICA_RIGHTS_ALL,
                         .size_bits = CNODE_BITS, .obj = k * CNODE_SIZE };
}

static struct cte *
slot_at(unsigned k, unsigned i)
{
    struct cap c = cnode_cap(k);
    return cnode_slot(&c, i);
}

static bool
same_object(const struct cap *a, const struct cap *b)
{
    return a->type == b->type && a->obj == b->obj && a->size_bits == b->size_bits;
}

/* How many capabilities name CNode k (1..3): it lives while there are any. */
static unsigned
cnode_refs(unsigned k)
{
    struct cap c = cnode_cap(k);
    unsigned n = 0;
    for (unsigned j = 0; j < CNODES; j++)
        for (unsigned i = 1; i < SLOTS; i++)
            n += same_object(&slot_at(j, i)->cap, &c);
    return n;
}

static bool
alive(unsigned k)
{
    return k == 0 || cnode_refs(k) > 0;
}

/* Slot byte b: a slot of a live CNode, or NULL. */
static struct cte *
pick(uint8_t b)
{
    unsigned k = (b / SLOTS) % CNODES, i = b % SLOTS;
    return i && alive(k) ? slot_at(k, i) : NULL;
}

static void
check_all(void)
{
    for (unsigned k = 0; k < CNODES; k++) {
        bool live = alive(k);
        for (unsigned i = 1; i < SLOTS; i++) {
            const struct cte *s = slot_at(k, i);
            require(cte_check(s) == NULL);
            require(live || s->cap.type == MICA_OBJ_NULL);      /* a dead CNode is empty */
            if (s->cap.type == MICA_OBJ_NULL || s->cap.type == MICA_OBJ_CNODE)
                continue;
            unsigned n = (unsigned)((s->cap.obj - OBJ_BASE) >> 12);
            require(!destroyed[n]);                             /* named, yet destroyed */
            /* One root per object: count the other roots naming it. */
            if (s->parent && same_object(&s->parent->cap, &s->cap))
                continue;
            for (unsigned j = 0; j < CNODES; j++)
                for (unsigned m = 1; m < SLOTS; m++) {
                    const struct cte *o = slot_at(j, m);
                    require(o == s || !same_object(&o->cap, &s->cap) ||
                            (o->parent && same_object(&o->parent->cap, &o->cap)));
                }
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t types[] = { MICA_OBJ_ENDPOINT, MICA_OBJ_FRAME, MICA_OBJ_UNTYPED,
                                     MICA_OBJ_NOTIFICATION, MICA_OBJ_CNODE };
    host_phys_base = arena;
    memset(arena, 0, sizeof(arena));
    memset(destroyed, 0, sizeof(destroyed));
    next_obj = 0;
    for (unsigned k = 0; k < CNODES; k++)
        cnode_init(k * CNODE_SIZE, CNODE_BITS);

    for (size_t at = 0; at + 4 <= size && next_obj < MAX_OBJS; at += 4) {
        uint8_t op = data[at] % 5, arg = data[at + 3];
        struct cte *a = pick(data[at + 1]), *b = pick(data[at + 2]);
        if (!a)
            continue;
        switch (op) {
        case 0: {                       /* retype: a new object into a, under untyped b */
            if (a->cap.type != MICA_OBJ_NULL)
                break;
            struct cap c = { .type = types[arg % sizeof(types)], .rights = MICA_RIGHTS_ALL,
                             .obj = OBJ_BASE + ((uint64_t)next_obj++ << 12) };
            if (c.type == MICA_OBJ_CNODE) {
                unsigned k = 1 + arg / sizeof(types) % (CNODES - 1);
                if (alive(k))
                    break;              /* its memory is in use: retype would refuse */
                cnode_init(k * CNODE_SIZE, CNODE_BITS);
                c = cnode_cap(k);
            }
            cte_insert(a, &c, b && b->cap.type == MICA_OBJ_UNTYPED ? b : NULL);
            break;
        }
        case 1:                         /* copy or mint b into a */
            if (b && a->cap.type == MICA_OBJ_NULL && b->cap.type != MICA_OBJ_NULL)
                cte_derive(a, b, arg & MICA_RIGHTS_ALL, arg & 8 ? arg >> 4 : 0);
            break;
        case 2:                         /* move b to a */
            if (b && a != b && a->cap.type == MICA_OBJ_NULL && b->cap.type != MICA_OBJ_NULL)
                cte_move(a, b);
            break;
        case 3:
            cte_delete(a);
            break;
        default:
            cte_revoke(a);
            break;
        }
        check_all();
    }
    return 0;
}
