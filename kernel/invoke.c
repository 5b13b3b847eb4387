// SPDX-License-Identifier: MIT
/* MICA_SYS_CALL: find the capability, gather the message registers (the first in CPU
 * registers, the rest from the caller's IPC buffer), dispatch on the object type, and hand
 * back the error, the reply's message info and its message registers. */
#include "device.h"
#include "invoke.h"

int
lookup_cap(struct tcb *t, uint64_t cptr, unsigned type, unsigned rights, struct cte **slot)
{
    struct cte *s = cnode_slot(&t->ctable.cap, cptr);
    if (!s || s->cap.type == MICA_OBJ_NULL || (type != MICA_OBJ_NULL && s->cap.type != type))
        return MICA_E_NO_CAP;
    if ((s->cap.rights & rights) != rights)
        return MICA_E_NO_RIGHTS;
    *slot = s;
    return MICA_E_OK;
}

int
lookup_empty_slot(struct tcb *t, uint64_t cnode, uint64_t index, struct cte **slot)
{
    struct cte *c;
    int err = lookup_cap(t, cnode, MICA_OBJ_CNODE, MICA_RIGHT_WRITE, &c);
    if (err)
        return err;
    if (!(*slot = cnode_slot(&c->cap, index)))
        return MICA_E_RANGE;
    return (*slot)->cap.type == MICA_OBJ_NULL ? MICA_E_OK : MICA_E_SLOT_FULL;
}

typedef int (*invoke_fn)(struct invocation *inv);

static const invoke_fn methods[MICA_OBJ_TYPE_COUNT] = {
    [MICA_OBJ_CNODE] = cnode_invoke,
    [MICA_OBJ_UNTYPED] = untyped_invoke,
    [MICA_OBJ_TCB] = tcb_invoke,
    [MICA_OBJ_FRAME] = frame_invoke,
    [MICA_OBJ_PAGE_TABLE] = page_table_invoke,
    [MICA_OBJ_VSPACE] = vspace_invoke,
    [MICA_OBJ_DEVICE_MEMORY] = device_memory_invoke,
    [MICA_OBJ_IRQ_CONTROL] = irq_control_invoke,
    [MICA_OBJ_IRQ_HANDLER] = irq_handler_invoke,
    [MICA_OBJ_IO_PORTS] = io_ports_invoke,
};

static int
decode_and_invoke(struct tcb *t, struct invocation *inv)
{
    const struct arch_regs *r = &t->regs;
    uint64_t info = arch_syscall_arg(r, 1);

    inv->label = mica_msg_label(info);
    inv->len = mica_msg_length(info);
    if (inv->len > MICA_MSG_MAX_WORDS)
        return MICA_E_RANGE;
    for (unsigned i = 0; i < MICA_MSG_REG_WORDS; i++)
        inv->mr[i] = arch_syscall_arg(r, 2 + i);
    if (inv->len > MICA_MSG_REG_WORDS) {
        struct mica_ipc_buffer *buf = ipc_buffer_of(t);
        if (!buf)
            return MICA_E_BAD_STATE;
        memcpy(&inv->mr[MICA_MSG_REG_WORDS], &buf->mr[MICA_MSG_REG_WORDS],
               (inv->len - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    }
    int err = lookup_cap(t, arch_syscall_arg(r, 0), MICA_OBJ_NULL, 0, &inv->slot);
    if (err)
        return err;
    invoke_fn fn = methods[inv->slot->cap.type];
    return fn ? fn(inv) : MICA_E_BAD_METHOD;
}

void
invoke_syscall(struct tcb *t)
{
    static struct invocation inv;       /* one CPU for now: per-CPU with SMP */
    /* Only the header: methods read no message register beyond the request's length, and
     * write every one they reply with (clearing all 960 bytes cost 125 instructions). */
    inv.caller = t;
    inv.slot = NULL;
    inv.reply_len = 0;

    int err = decode_and_invoke(t, &inv);
    cte_drain();                        /* finish destroying what the method deleted */
    if (err) {
        inv.reply_len = 0;
        memset(inv.mr, 0, MICA_MSG_REG_WORDS * sizeof(inv.mr[0]));
    }
    struct mica_ipc_buffer *buf = inv.reply_len > MICA_MSG_REG_WORDS ? ipc_buffer_of(t) : NULL;
    if (buf)
        memcpy(&buf->mr[MICA_MSG_REG_WORDS], &inv.mr[MICA_MSG_REG_WORDS],
               (inv.reply_len - MICA_MSG_REG_WORDS) * sizeof(uint64_t));
    arch_set_reply(&t->regs, (uint64_t)err, mica_msginfo(0, inv.reply_len), inv.mr);
}
