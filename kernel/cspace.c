// SPDX-License-Identifier: MIT
/*
 * Capability slots and the derivation tree.
 *
 * Every capability sits in a slot (struct cte) of a CNode or of a kernel object (a TCB's
 * CSpace and VSpace references). Copies and mints are children of their source; objects
 * made by retype are children of the untyped capability. The caps to one object form one
 * subtree, so "last capability" is a local test (cte_is_final) and revoke is a walk of the
 * subtree below a slot.
 *
 * Deleting a slot keeps the tree whole: under an untyped cap the children (different
 * objects) move up to the untyped's parent; otherwise the first child takes the slot's
 * place and adopts its siblings, so an object's caps keep a single root.
 *
 * Destroying a CNode deletes the capabilities in it. To keep the kernel stack bounded
 * whatever the user built, CNodes to empty go on a list (linked through their slot 0,
 * which never holds a capability) and are emptied iteratively, not recursively.
 */
#include "cspace.h"

#include <arch/mmu.h>

static struct cte *cnodes_to_empty;     /* one CPU for now: SMP gives each CPU its own */

static bool
same_object(const struct cap *a, const struct cap *b)
{
    return a->type == b->type && a->obj == b->obj && a->size_bits == b->size_bits;
}

bool
cte_is_final(const struct cte *slot)
{
    return !slot->first_child && !(slot->parent && same_object(&slot->parent->cap, &slot->cap));
}

static void
link_child(struct cte *child, struct cte *parent)
{
    child->parent = parent;
    child->prev = NULL;
    child->next = parent ? parent->first_child : NULL;
    if (child->next)
        child->next->prev = child;
    if (parent)
        parent->first_child = child;
}

static void
unlink(struct cte *slot)
{
    if (slot->prev)
        slot->prev->next = slot->next;
    else if (slot->parent)
        slot->parent->first_child = slot->next;
    if (slot->next)
        slot->next->prev = slot->prev;
    slot->parent = slot->next = slot->prev = NULL;
}

void
cte_insert(struct cte *dest, const struct cap *cap, struct cte *parent)
{
    assert(dest->cap.type == MICA_OBJ_NULL);
    dest->cap = *cap;
    dest->first_child = NULL;
    link_child(dest, parent);
}

static bool
has_badge(unsigned type)
{
    return type == MICA_OBJ_ENDPOINT || type == MICA_OBJ_NOTIFICATION;
}

int
cte_derive(struct cte *dest, struct cte *src, unsigned rights, uint64_t badge)
{
    struct cap cap = src->cap;
    if (cap.type == MICA_OBJ_NULL || cap.type == MICA_OBJ_UNTYPED ||
        cap.type == MICA_OBJ_PAGE_TABLE)
        return MICA_E_INVALID_ARG;      /* untyped: split it by retype. A page table has one
                                         * capability, so it sits at one place, one level */
    if (badge && (!has_badge(cap.type) || cap.badge))
        return MICA_E_INVALID_ARG;      /* only an unbadged endpoint or notification */
    cap.rights &= rights;
    if (badge)
        cap.badge = badge;
    cap.extra = 0;                      /* per-capability state: a copy starts afresh */
    cte_insert(dest, &cap, src);
    return MICA_E_OK;
}

void
cte_move(struct cte *dest, struct cte *src)
{
    assert(dest != src && dest->cap.type == MICA_OBJ_NULL && src->cap.type != MICA_OBJ_NULL);
    *dest = *src;
    if (dest->prev)
        dest->prev->next = dest;
    else if (dest->parent)
        dest->parent->first_child = dest;
    if (dest->next)
        dest->next->prev = dest;
    for (struct cte *c = dest->first_child; c; c = c->next)
        c->parent = dest;
    memset(src, 0, sizeof(*src));
}

/* Give slot's children a new place before slot leaves the tree. */
static void
rehome_children(struct cte *slot)
{
    struct cte *heir = slot->first_child;
    if (!heir)
        return;
    if (cap_is_container(slot->cap.type)) {         /* other objects: up to the grandparent */
        while ((heir = slot->first_child)) {
            unlink(heir);
            link_child(heir, slot->parent);
        }
        return;
    }
    unlink(heir);                                   /* same object: the heir adopts the rest */
    struct cte *c;
    while ((c = slot->first_child)) {
        unlink(c);
        link_child(c, heir);
    }
    link_child(heir, slot->parent);
}

/* Whether slot holds the last capability with its badge (copies of a badged capability are
 * its children: the badge's capabilities form a subtree too). */
static bool
last_of_badge(const struct cte *slot)
{
    return slot->cap.badge && !slot->first_child &&
           !(slot->parent && same_object(&slot->parent->cap, &slot->cap) &&
             slot->parent->cap.badge == slot->cap.badge);
}

static void
delete_one(struct cte *slot)
{
    if (slot->cap.type == MICA_OBJ_NULL)
        return;
    bool final = cte_is_final(slot), badge_gone = last_of_badge(slot);
    struct cap cap = slot->cap;
    rehome_children(slot);
    unlink(slot);
    memset(slot, 0, sizeof(*slot));
    if (cap.extra && cap.type != MICA_OBJ_UNTYPED)
        object_release(&cap);
    if (!final) {
        if (badge_gone)
            object_badge_gone(&cap);
        return;
    }
    if (cap.type == MICA_OBJ_CNODE) {
        struct cte *cnode = phys_to_virt(cap.obj);
        cnode[0].parent = cnodes_to_empty;          /* slot 0 is the list link */
        cnodes_to_empty = cnode;
    } else {
        object_destroy(&cap);
    }
}

void
cte_clear(struct cte *slot)
{
    delete_one(slot);
}

void
cte_delete(struct cte *slot)
{
    delete_one(slot);
    cte_drain();
}

void
cte_drain(void)
{
    struct cte *cnode;
    while ((cnode = cnodes_to_empty)) {
        cnodes_to_empty = cnode[0].parent;
        cnode[0].parent = NULL;
        uint64_t n = 1UL << cnode[0].cap.size_bits;
        for (uint64_t i = 1; i < n; i++)
            delete_one(&cnode[i]);          /* may queue more CNodes: the loop takes them */
    }
}

void
cte_revoke(struct cte *slot)
{
    /* Always delete a leaf, so no deletion has children to rehome. CNodes freed on the
     * way are emptied only at the end: slot may live in one of them (an untyped cap kept
     * in a CNode made from it), and must stay until all below it is gone. */
    while (slot->first_child) {
        struct cte *leaf = slot->first_child;
        while (leaf->first_child)
            leaf = leaf->first_child;
        delete_one(leaf);
    }
    cte_drain();
}

void
cnode_init(paddr_t obj, unsigned size_bits)
{
    struct cte *cnode = phys_to_virt(obj);
    memset(cnode, 0, sizeof(struct cte) << size_bits);
    cnode[0].cap.size_bits = (uint8_t)size_bits;    /* slot 0: the CNode's own header */
}

const char *
cte_check(const struct cte *slot)
{
    if (slot->cap.type == MICA_OBJ_NULL)
        return slot->parent || slot->first_child || slot->next || slot->prev
                   ? "empty slot has derivation links" : NULL;
    if (slot->prev ? slot->prev->next != slot
                   : slot->parent && slot->parent->first_child != slot)
        return "slot missing from its parent's child list";
    if (slot->next && (slot->next->prev != slot || slot->next->parent != slot->parent))
        return "sibling links disagree";
    for (const struct cte *c = slot->first_child; c; c = c->next) {
        if (c->parent != slot)
            return "child does not name its parent";
        if (!cap_is_container(slot->cap.type) && !same_object(&c->cap, &slot->cap))
            return "child of a non-untyped cap refers to another object";
    }
    return NULL;
}
