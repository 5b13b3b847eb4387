// SPDX-License-Identifier: MIT
/* CNode methods: copy, mint, move, delete, revoke and identify slots of the invoked CNode.
 * A source slot is named by a CNode capability in the caller's CSpace and an index in it;
 * reading from it needs read rights on that CNode, moving out of it write rights. */
#include "invoke.h"

/* The slot at index of the invoked CNode; MICA_E_RANGE if there is none. */
static int
target_slot(struct invocation *inv, uint64_t index, struct cte **slot)
{
    if (!(inv->slot->cap.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    *slot = cnode_slot(&inv->slot->cap, index);
    return *slot ? MICA_E_OK : MICA_E_RANGE;
}

/* The source slot (src_cnode, index); MICA_E_NO_CAP if it is empty. */
static int
source_slot(struct invocation *inv, uint64_t cnode_cptr, uint64_t index, unsigned rights,
            struct cte **slot)
{
    struct cte *cnode;
    int err = lookup_cap(inv->caller, cnode_cptr, MICA_OBJ_CNODE, rights, &cnode);
    if (err)
        return err;
    *slot = cnode_slot(&cnode->cap, index);
    if (!*slot)
        return MICA_E_RANGE;
    return (*slot)->cap.type == MICA_OBJ_NULL ? MICA_E_NO_CAP : MICA_E_OK;
}

/* copy, mint, move: (dest, src_cnode, src, rights, badge) */
static int
transfer(struct invocation *inv)
{
    static const unsigned args[] = {
        [MICA_CNODE_COPY] = 4, [MICA_CNODE_MINT] = 5, [MICA_CNODE_MOVE] = 3,
    };
    if (inv->len < args[inv->label])
        return MICA_E_INVALID_ARG;
    bool move = inv->label == MICA_CNODE_MOVE;
    struct cte *dest, *src;
    int err = target_slot(inv, inv->mr[0], &dest);
    if (!err)
        err = source_slot(inv, inv->mr[1], inv->mr[2], move ? MICA_RIGHT_WRITE : MICA_RIGHT_READ,
                          &src);
    if (err)
        return err;
    if (move) {
        if (dest != src && dest->cap.type != MICA_OBJ_NULL)
            return MICA_E_SLOT_FULL;
        if (dest != src)
            cte_move(dest, src);
        return MICA_E_OK;
    }
    if (dest->cap.type != MICA_OBJ_NULL)
        return MICA_E_SLOT_FULL;
    uint64_t rights = inv->mr[3], badge = inv->label == MICA_CNODE_MINT ? inv->mr[4] : 0;
    if (rights & ~(uint64_t)MICA_RIGHTS_ALL)
        return MICA_E_INVALID_ARG;
    return cte_derive(dest, src, (unsigned)rights, badge);
}

int
cnode_invoke(struct invocation *inv)
{
    struct cte *slot;
    int err;

    switch (inv->label) {
    case MICA_CNODE_COPY:
    case MICA_CNODE_MINT:
    case MICA_CNODE_MOVE:
        return transfer(inv);
    case MICA_CNODE_DELETE:
    case MICA_CNODE_REVOKE:
        if (inv->len < 1)
            return MICA_E_INVALID_ARG;
        if ((err = target_slot(inv, inv->mr[0], &slot)))
            return err;
        if (inv->label == MICA_CNODE_DELETE)
            cte_delete(slot);
        else
            cte_revoke(slot);
        return MICA_E_OK;
    case MICA_CNODE_IDENTIFY:
        if (inv->len < 1)
            return MICA_E_INVALID_ARG;
        if (!(inv->slot->cap.rights & MICA_RIGHT_READ))
            return MICA_E_NO_RIGHTS;
        if (!(slot = cnode_slot(&inv->slot->cap, inv->mr[0])))
            return MICA_E_RANGE;
        inv->mr[0] = slot->cap.type;
        inv->mr[1] = slot->cap.rights;
        inv->mr[2] = slot->cap.badge;
        inv->mr[3] = slot->cap.size_bits;
        inv->reply_len = 4;
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}
