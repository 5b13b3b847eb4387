// SPDX-License-Identifier: MIT
/* Untyped memory: retype carves objects from an untyped capability's region, in order, at
 * a watermark, each aligned to its size. Objects never overlap; the memory of destroyed
 * objects comes back when the untyped capability has no children left (after revoke). */
#include "invoke.h"
#include "object.h"
#include "vspace.h"

#define RETYPE_MAX_COUNT    256

int
untyped_invoke(struct invocation *inv)
{
    struct cte *ut = inv->slot;
    if (inv->label != MICA_UNTYPED_RETYPE)
        return MICA_E_BAD_METHOD;
    if (inv->len < 5)
        return MICA_E_INVALID_ARG;
    if (!(ut->cap.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;

    uint64_t type = inv->mr[0], size_bits = inv->mr[1], index = inv->mr[3], count = inv->mr[4];
    int bits = type < MICA_OBJ_TYPE_COUNT && size_bits < 64
                   ? object_size_bits((unsigned)type, (unsigned)size_bits) : -1;
    if (bits < 0)
        return MICA_E_INVALID_ARG;
    if (count == 0 || count > RETYPE_MAX_COUNT)
        return MICA_E_RANGE;
    if (type == MICA_OBJ_VSPACE && count > asid_available())
        return MICA_E_NO_MEMORY;                /* out of address-space names */

    struct cte *cnode;
    int err = lookup_cap(inv->caller, inv->mr[2], MICA_OBJ_CNODE, MICA_RIGHT_WRITE, &cnode);
    if (err)
        return err;
    struct cte *dest = cnode_slot(&cnode->cap, index);
    if (!dest || !cnode_slot(&cnode->cap, index + count - 1) || index + count < index)
        return MICA_E_RANGE;
    for (uint64_t i = 0; i < count; i++)
        if (dest[i].cap.type != MICA_OBJ_NULL)
            return MICA_E_SLOT_FULL;

    /* An untyped capability without children has nothing alive in its region. */
    uint64_t used = ut->first_child ? ut->cap.extra : 0;
    uint64_t size = 1UL << ut->cap.size_bits;
    uint64_t start = ALIGN_UP(used, 1UL << bits);
    if ((unsigned)bits > ut->cap.size_bits || start > size || count > (size - start) >> bits)
        return MICA_E_NO_MEMORY;

    /* Point of no return: everything is checked. */
    for (uint64_t i = 0; i < count; i++) {
        struct cap cap;
        object_create((unsigned)type, (unsigned)size_bits, ut->cap.obj + start + (i << bits), &cap);
        cte_insert(&dest[i], &cap, ut);
    }
    ut->cap.extra = start + (count << bits);
    return MICA_E_OK;
}
