// SPDX-License-Identifier: MIT
/* Object creation and destruction, dispatched by type. Objects live in memory retyped from
 * untyped capabilities, reached through the physmap. */
#include "arch.h"
#include "invoke.h"
#include "ipc.h"
#include "object.h"
#include "thread.h"
#include "vspace.h"

int
object_size_bits(unsigned type, unsigned size_bits)
{
    switch (type) {
    case MICA_OBJ_UNTYPED:
        return size_bits >= MICA_UNTYPED_MIN_BITS && size_bits <= MICA_UNTYPED_MAX_BITS
                   ? (int)size_bits : -1;
    case MICA_OBJ_CNODE:
        return size_bits >= MICA_CNODE_MIN_BITS && size_bits <= MICA_CNODE_MAX_BITS
                   ? (int)(size_bits + MICA_CNODE_SLOT_BITS) : -1;
    case MICA_OBJ_FRAME:
        return size_bits == MICA_FRAME_BITS || size_bits == MICA_LARGE_FRAME_BITS
                   ? (int)size_bits : -1;
    case MICA_OBJ_TCB: return MICA_TCB_BITS;
    case MICA_OBJ_VSPACE: return MICA_VSPACE_BITS;
    case MICA_OBJ_PAGE_TABLE: return MICA_PAGE_TABLE_BITS;
    case MICA_OBJ_ENDPOINT: return MICA_ENDPOINT_BITS;
    case MICA_OBJ_NOTIFICATION: return MICA_NOTIFICATION_BITS;
    default: return -1;             /* IRQ control, I/O ports, IRQ handlers: not retyped */
    }
}

void
object_create(unsigned type, unsigned size_bits, paddr_t obj, struct cap *cap)
{
    int bits = object_size_bits(type, size_bits);
    assert(bits >= 0);
    *cap = (struct cap){ .type = (uint8_t)type, .rights = MICA_RIGHTS_ALL, .obj = obj };

    switch (type) {
    case MICA_OBJ_UNTYPED:
        cap->size_bits = (uint8_t)size_bits;        /* memory stays as it is until retyped */
        return;
    case MICA_OBJ_CNODE:
        cap->size_bits = (uint8_t)size_bits;
        cnode_init(obj, size_bits);
        return;
    case MICA_OBJ_FRAME:
        cap->size_bits = (uint8_t)size_bits;
        break;
    case MICA_OBJ_VSPACE:
        memset(phys_to_virt(obj), 0, 1UL << bits);
        arch_vspace_init(obj);
        cap->badge = asid_alloc(obj);   /* retype checked there is one (asid_available) */
        assert(cap->badge);
        return;
    default:
        break;
    }
    memset(phys_to_virt(obj), 0, 1UL << bits);
    if (type == MICA_OBJ_TCB)
        thread_init(phys_to_virt(obj), "thread");
}

void
object_badge_gone(const struct cap *cap)
{
    if (cap->type == MICA_OBJ_ENDPOINT)
        endpoint_cancel_badged(phys_to_virt(cap->obj), cap->badge);
}

void
object_release(const struct cap *cap)
{
    vspace_release(cap);
}

void
object_destroy(const struct cap *cap)
{
    switch (cap->type) {
    case MICA_OBJ_TCB:
        thread_destroy(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_VSPACE:
        asid_free((unsigned)cap->badge);        /* its frames' and tables' records go stale */
        arch_vspace_release(cap->obj);
        break;
    case MICA_OBJ_ENDPOINT:
        endpoint_destroy(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_NOTIFICATION:
        notification_destroy(phys_to_virt(cap->obj));
        break;
    case MICA_OBJ_IRQ_HANDLER:
        irq_handler_destroy((unsigned)cap->obj);    /* obj is the line, not memory */
        break;
    default:        /* untyped, frames (not mappable yet), boot-only objects: nothing
                     * holds on to them */
        break;
    }
}
