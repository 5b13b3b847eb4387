// SPDX-License-Identifier: MIT
/*
 * Frames, page tables and address spaces: the methods, and the ASID table that guards every
 * mapping. A frame or page-table capability maps its object once, recording (vaddr, ASID)
 * in its own state (cap.extra); a copy starts unmapped, so a task maps a frame twice with
 * two capabilities, and deleting or revoking capabilities removes exactly their mappings.
 * Page tables are user-made (retyped from untyped memory, like every kernel object) and go
 * wherever a walk finds the first missing level: PDPT, page directory or page table.
 */
#include "arch.h"
#include "invoke.h"
#include "vspace.h"

#define ASID_MASK       (PAGE_SIZE - 1)     /* the ASID sits below the page-aligned vaddr */

uint64_t vspace_generation = 1;             /* thread.h: ipc_buffer_of() */
static paddr_t asid_root[ASID_COUNT];       /* 0: free */
static unsigned asids_used = 1;             /* ASID 0 counts as used */
static unsigned asid_next = 1;

_Static_assert(ASID_COUNT <= PAGE_SIZE, "an ASID fits below a page-aligned address");

unsigned
asid_alloc(paddr_t root)
{
    if (asids_used == ASID_COUNT)
        return 0;
    while (asid_root[asid_next])                /* round robin: slow to reuse a number */
        asid_next = asid_next % (ASID_COUNT - 1) + 1;
    unsigned asid = asid_next;
    asid_root[asid] = root;
    asids_used++;
    arch_asid_new(asid);                        /* entries of its last holder must go */
    return asid;
}

void
asid_free(unsigned asid)
{
    vspace_generation++;                        /* its mappings are gone with it */
    if (asid && asid < ASID_COUNT && asid_root[asid]) {
        asid_root[asid] = 0;
        asids_used--;
    }
}

unsigned
asid_available(void)
{
    return ASID_COUNT - asids_used;
}

/* The root of the address space a mapping record names, or 0 if it is gone. */
static paddr_t
mapping_root(uint64_t mapping)
{
    return asid_root[mapping & ASID_MASK];
}

static uint64_t
mapping_vaddr(uint64_t mapping)
{
    return mapping & ~(uint64_t)ASID_MASK;
}

void
vspace_release(const struct cap *cap)
{
    vspace_generation++;                        /* even a stale record: its frame may go */
    paddr_t root = mapping_root(cap->extra);
    if (!root)
        return;
    if (cap->type == MICA_OBJ_FRAME)
        arch_frame_unmap(root, cap->extra & ASID_MASK, mapping_vaddr(cap->extra), cap->obj,
                         cap->size_bits);
    else if (cap->type == MICA_OBJ_PAGE_TABLE)
        arch_table_unmap(root, cap->extra & ASID_MASK, mapping_vaddr(cap->extra), cap->obj);
}

/* Where an object of 2^bits bytes can go at va of the address space vs: its mapping record
 * (va | ASID) in *mapping and its root table in *root. */
static int
target(const struct cap *vs, uint64_t va, unsigned bits, paddr_t *root, uint64_t *mapping)
{
    uint64_t size = 1UL << bits;
    if (vs->type != MICA_OBJ_VSPACE)
        return MICA_E_NO_CAP;                   /* a thread whose space went */
    if (va % size || va < MICA_USER_BASE || va >= MICA_USER_TOP || MICA_USER_TOP - va < size)
        return MICA_E_INVALID_ARG;              /* never the null page */
    unsigned asid = (unsigned)vs->badge;
    if (!asid || asid_root[asid] != vs->obj)
        return MICA_E_BAD_STATE;                /* cannot happen for a live VSpace */
    *root = vs->obj;
    *mapping = va | asid;
    return MICA_E_OK;
}

/* The VSpace capability named by MR0, which the caller may change. */
static int
vspace_arg(struct invocation *inv, const struct cap **vs)
{
    struct cte *slot;
    int err = lookup_cap(inv->caller, inv->mr[0], MICA_OBJ_VSPACE, MICA_RIGHT_WRITE, &slot);
    *vs = err ? NULL : &slot->cap;
    return err;
}

int
vspace_map_frame(const struct cap *vs, struct cap *frame, uint64_t va, uint64_t attrs)
{
    paddr_t root;
    uint64_t mapping;
    int err;
    if (attrs & ~(uint64_t)(MICA_MAP_WRITE | MICA_MAP_EXEC | MICA_MAP_UNCACHED))
        return MICA_E_INVALID_ARG;
    /* Device frames map uncached, RAM frames never: RAM is mapped write-back in the physmap,
     * and an uncached alias would give a page two memory types (Intel SDM Vol. 3A,
     * 11.12.4). */
    if (!(attrs & MICA_MAP_UNCACHED) != !(frame->flags & CAP_DEVICE))
        return MICA_E_INVALID_ARG;
    if (!(frame->rights & MICA_RIGHT_READ) ||
        ((attrs & MICA_MAP_WRITE) && !(frame->rights & MICA_RIGHT_WRITE)))
        return MICA_E_NO_RIGHTS;
    if (frame->extra)
        return MICA_E_BAD_STATE;                /* mapped already: copy the capability */
    if ((err = target(vs, va, frame->size_bits, &root, &mapping)) ||
        (err = arch_frame_map(root, va, frame->obj, frame->size_bits, (unsigned)attrs)))
        return err;
    frame->extra = mapping;
    return MICA_E_OK;
}

int
frame_invoke(struct invocation *inv)
{
    struct cap *cap = &inv->slot->cap;
    int err;

    switch (inv->label) {
    case MICA_FRAME_MAP: {
        const struct cap *vs;
        if (inv->len < 3)
            return MICA_E_INVALID_ARG;
        if ((err = vspace_arg(inv, &vs)))
            return err;
        return vspace_map_frame(vs, cap, inv->mr[1], inv->mr[2]);
    }
    case MICA_FRAME_UNMAP:
        vspace_release(cap);
        cap->extra = 0;
        return MICA_E_OK;
    case MICA_FRAME_ADDRESS:
        inv->mr[0] = cap->obj;
        inv->reply_len = 1;
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}

int
page_table_invoke(struct invocation *inv)
{
    struct cap *cap = &inv->slot->cap;
    paddr_t root;
    uint64_t mapping;
    int err;

    if (!(cap->rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    switch (inv->label) {
    case MICA_PAGE_TABLE_MAP: {
        const struct cap *vs;
        if (inv->len < 2)
            return MICA_E_INVALID_ARG;
        if (cap->extra)
            return MICA_E_BAD_STATE;
        /* Any address the table is to serve names its place (the null page's region too). */
        uint64_t va = MAX(inv->mr[1] & ~(PAGE_SIZE - 1), MICA_USER_BASE);
        if ((err = vspace_arg(inv, &vs)) || (err = target(vs, va, PAGE_SHIFT, &root, &mapping)) ||
            (err = arch_table_map(root, mapping_vaddr(mapping), cap->obj)))
            return err;
        cap->extra = mapping;
        return MICA_E_OK;
    }
    case MICA_PAGE_TABLE_UNMAP: {
        paddr_t at = mapping_root(cap->extra);
        bool reachable = at && arch_table_reachable(at, mapping_vaddr(cap->extra), cap->obj);
        if (reachable && !arch_table_empty(cap->obj))
            return MICA_E_BAD_STATE;            /* unmap what is mapped through it first */
        vspace_release(cap);
        if (!reachable)                         /* cut off (a table above it, or its space,
                                                 * went): nothing can walk into it, so what
                                                 * it still holds is dropped */
            memset(phys_to_virt(cap->obj), 0, 1UL << MICA_PAGE_TABLE_BITS);
        cap->extra = 0;
        return MICA_E_OK;
    }
    default:
        return MICA_E_BAD_METHOD;
    }
}

int
vspace_invoke(struct invocation *inv)
{
    if (inv->label != MICA_VSPACE_QUERY)
        return MICA_E_BAD_METHOD;
    if (inv->len < 1)
        return MICA_E_INVALID_ARG;
    if (!(inv->slot->cap.rights & MICA_RIGHT_READ))
        return MICA_E_NO_RIGHTS;
    unsigned attrs = 0;
    inv->mr[0] = inv->mr[0] < MICA_USER_TOP ? arch_vspace_query(inv->slot->cap.obj, inv->mr[0],
                                                                &attrs) : 0;
    inv->mr[1] = attrs;
    inv->reply_len = 2;
    return MICA_E_OK;
}
