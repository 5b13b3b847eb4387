/* SPDX-License-Identifier: MIT */
/* Capabilities, capability slots (CTEs) and the derivation tree that links them. */
#ifndef CSPACE_H
#define CSPACE_H

#include "kernel.h"
#include <arch/mmu.h>
#include <mica/caps.h>

/*
 * A capability: which object, what the holder may do with it, and per-type words.
 * Written only by cspace.c and by the object code that creates caps (retype, boot).
 */
struct cap {
    uint8_t type;           /* enum mica_obj_type; MICA_OBJ_NULL in an empty slot */
    uint8_t rights;         /* MICA_RIGHT_* */
    uint8_t size_bits;      /* untyped, frame, device memory: log2 bytes; cnode: log2 slots */
    uint8_t flags;          /* CAP_DEVICE: a frame of device memory */
    uint8_t reserved[4];
    paddr_t obj;            /* the object's physical address (untyped: the region's;
                             * IRQ handler: its line) */
    uint64_t badge;         /* endpoint, notification: the badge; I/O ports: first | last<<16;
                             * IRQ handler: its line */
    uint64_t extra;         /* state of this capability alone, never copied: untyped: bytes
                             * retyped (the watermark); frame, page table: where it is
                             * mapped (vaddr | ASID; 0: not mapped) */
};

/*
 * A slot. Slots holding capabilities to one object form one subtree of the derivation tree
 * whose root is the capability retype made (its parent is the untyped one); copies and
 * mints are children of their source. Invariants (checked by cte_check in debug builds):
 * an empty slot has no tree links; a child's parent lists it; a cap's children are caps to
 * the same object, except under a container (untyped or device memory). So a cap is the
 * last one to its object exactly when it has no children and its parent is not a cap to
 * the same object.
 */
struct cte {
    struct cap cap;
    struct cte *parent;
    struct cte *first_child;
    struct cte *next;       /* siblings: the children of the same parent */
    struct cte *prev;
};
_Static_assert(sizeof(struct cte) == 1 << MICA_CNODE_SLOT_BITS, "CNode slot size is ABI");

#define CAP_DEVICE  (1u << 0)

/* Capabilities whose children are other objects: untyped memory (the objects retyped from
 * it) and device memory (the frames and blocks issued from it). */
static inline bool
cap_is_container(unsigned type)
{
    return type == MICA_OBJ_UNTYPED || type == MICA_OBJ_DEVICE_MEMORY;
}

/* The destructor hook: object code cleans up when the last capability to it goes. */
void object_destroy(const struct cap *cap);

/* The last capability with cap's badge went, the object lives on: object code forgets
 * what the badge still has in flight (an endpoint's queued sends with that badge). */
void object_badge_gone(const struct cap *cap);

/* A capability with state of its own (extra, other than untyped's) is deleted: object code
 * releases it (a frame's or page table's mapping). */
void object_release(const struct cap *cap);

/* Put cap into the empty slot dest as a child of parent (NULL: a root of the tree). */
void cte_insert(struct cte *dest, const struct cap *cap, struct cte *parent);

/* Copy src into the empty slot dest with rights reduced to rights (and badge, if non-zero
 * and src has none): a child of src. MICA_E_INVALID_ARG if src cannot be copied so. */
int cte_derive(struct cte *dest, struct cte *src, unsigned rights, uint64_t badge);

/* Move the capability in src (with its place in the tree) to the empty slot dest != src. */
void cte_move(struct cte *dest, struct cte *src);

/* Empty the slot; its children take its place under its parent (the first child adopting
 * the others). If it held the last capability to its object (cte_is_final), the object
 * is destroyed. An untyped capability with children is never the last: objects made from
 * it live on, children of its parent. */
void cte_delete(struct cte *slot);

/* cte_delete for object destructors: a CNode this frees is queued for the cte_delete()
 * running further up, never emptied here, so destruction never recurses deeply. */
void cte_clear(struct cte *slot);

/* Empty the CNodes that cte_clear() queued for destruction. */
void cte_drain(void);

/* Delete every capability derived from the one in slot, deepest first. */
void cte_revoke(struct cte *slot);

/* Whether the slot's cap is the only one to its object. */
bool cte_is_final(const struct cte *slot);

/* A new CNode of 2^size_bits slots at obj, all empty (slot 0 is its header). */
void cnode_init(paddr_t obj, unsigned size_bits);

/* The slot at index of a CNode capability; NULL if index is 0 or beyond the CNode. */
static inline struct cte *
cnode_slot(const struct cap *cnode, uint64_t index)
{
    if (cnode->type != MICA_OBJ_CNODE || index == 0 || index >> cnode->size_bits)
        return NULL;
    return (struct cte *)phys_to_virt(cnode->obj) + index;
}

/* Check the tree invariants around one slot; the name of the broken one, or NULL. */
const char *cte_check(const struct cte *slot);

#endif
