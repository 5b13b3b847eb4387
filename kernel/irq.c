// SPDX-License-Identifier: MIT
/*
 * Interrupts for user-level drivers. IRQ control (the root task's) makes an IRQ handler
 * capability for a line, at most one line's worth at a time: copies of it share the line,
 * and the line is free again when the last one is deleted. The handler binds a
 * notification; an interrupt on the line is masked by the arch, signals the notification
 * with its badge and stays masked until the driver, having served its device, ACKs.
 *
 * Invariant: a line is unmasked only while it is taken (ACK needs a bound notification;
 * CLEAR and the handler's destruction mask the line); a line unmasked when its binding was
 * revoked takes at most one more interrupt, which masks it and is dropped. The binding is a copy of
 * the notification capability in kernel memory, a child of the driver's capability, so
 * the notification lives as long as it is bound and revoking the driver's capability
 * unbinds it. An interrupt that finds no notification is dropped (its line stays masked).
 * The line table is global and unlocked: one CPU takes interrupts and runs the kernel now.
 */
#include "invoke.h"
#include "ipc.h"

#define IRQ_LINES_MAX   64

static struct irq_line {
    bool taken;                 /* an IRQ handler capability to the line exists */
    struct cte ntfn;            /* the bound notification: a copy of a capability, or empty */
} lines[IRQ_LINES_MAX];

void
irq_deliver(unsigned line)
{
    if (line >= IRQ_LINES_MAX)
        return;
    struct cap *n = &lines[line].ntfn.cap;
    if (n->type == MICA_OBJ_NOTIFICATION)
        ntfn_signal(phys_to_virt(n->obj), n->badge);
}

static unsigned
line_count(void)
{
    return MIN(arch_irq_count(), (unsigned)IRQ_LINES_MAX);
}

/* GET (line, dest_cnode, dest): a handler capability for a free line, a root of its own
 * derivation tree (revoking IRQ control does not take lines back). */
int
irq_control_invoke(struct invocation *inv)
{
    struct cte *dest;
    if (inv->label != MICA_IRQ_CONTROL_GET)
        return MICA_E_BAD_METHOD;
    if (inv->len < 3)
        return MICA_E_INVALID_ARG;
    if (!(inv->slot->cap.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    uint64_t line = inv->mr[0];
    if (line >= line_count())
        return MICA_E_RANGE;
    if (arch_irq_reserved((unsigned)line))
        return MICA_E_NO_RIGHTS;                /* the kernel's, or no device there */
    if (lines[line].taken)
        return MICA_E_BAD_STATE;
    int err = lookup_empty_slot(inv->caller, inv->mr[1], inv->mr[2], &dest);
    if (err)
        return err;
    lines[line].taken = true;
    cte_insert(dest, &(struct cap){ .type = MICA_OBJ_IRQ_HANDLER, .rights = MICA_RIGHTS_ALL,
                                    .obj = line, .badge = line }, NULL);
    return MICA_E_OK;
}

/* Unbind the line's notification and mask the line. */
static void
clear(unsigned line)
{
    arch_irq_mask(line, true);
    cte_clear(&lines[line].ntfn);
}

int
irq_handler_invoke(struct invocation *inv)
{
    unsigned line = (unsigned)inv->slot->cap.obj;
    struct cte *ntfn;
    int err;

    if (!(inv->slot->cap.rights & MICA_RIGHT_WRITE))
        return MICA_E_NO_RIGHTS;
    switch (inv->label) {
    case MICA_IRQ_HANDLER_SET_NOTIFICATION: /* (notification, badge) */
        if (inv->len < 2)
            return MICA_E_INVALID_ARG;
        if ((err = lookup_cap(inv->caller, inv->mr[0], MICA_OBJ_NOTIFICATION, MICA_RIGHT_WRITE,
                              &ntfn)))
            return err;
        if (inv->mr[1] && ntfn->cap.badge)
            return MICA_E_INVALID_ARG;          /* a badged capability keeps its badge */
        cte_clear(&lines[line].ntfn);           /* the line stays as it is, masked or not */
        err = cte_derive(&lines[line].ntfn, ntfn, MICA_RIGHT_WRITE, inv->mr[1]);
        assert(!err);
        return MICA_E_OK;
    case MICA_IRQ_HANDLER_ACK:
        if (lines[line].ntfn.cap.type != MICA_OBJ_NOTIFICATION)
            return MICA_E_BAD_STATE;            /* nothing to deliver to: it stays masked */
        arch_irq_mask(line, false);
        return MICA_E_OK;
    case MICA_IRQ_HANDLER_CLEAR:
        clear(line);
        return MICA_E_OK;
    default:
        return MICA_E_BAD_METHOD;
    }
}

void
irq_handler_destroy(unsigned line)
{
    assert(line < IRQ_LINES_MAX && lines[line].taken);
    clear(line);
    lines[line].taken = false;
}
