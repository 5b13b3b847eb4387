/* SPDX-License-Identifier: MIT */
/* Invocations: MICA_SYS_CALL on an object capability, decoded by the object's code. */
#ifndef INVOKE_H
#define INVOKE_H

#include "thread.h"

#include <mica/invocation.h>
#include <mica/msg.h>

/* One invocation in progress: the request's message registers in, the reply's out. */
struct invocation {
    struct tcb *caller;
    struct cte *slot;           /* the invoked capability's slot in the caller's CSpace */
    uint64_t label;
    unsigned len;               /* message registers in the request */
    unsigned reply_len;         /* message registers in the reply, set by the method */
    uint64_t mr[MICA_MSG_MAX_WORDS];
};

/*
 * The slot named by cptr in t's CSpace holding a capability of the given type (any type
 * for MICA_OBJ_NULL) with at least the given rights. MICA_E_NO_CAP: no such slot, an empty
 * one, or another type; MICA_E_NO_RIGHTS: rights missing.
 */
int lookup_cap(struct tcb *t, uint64_t cptr, unsigned type, unsigned rights, struct cte **slot);

/* The empty slot at index of the CNode named by cnode in t's CSpace (write right needed), for
 * a method's new capability. MICA_E_RANGE: no such index; MICA_E_SLOT_FULL: occupied. */
int lookup_empty_slot(struct tcb *t, uint64_t cnode, uint64_t index, struct cte **slot);

/* The object methods, by type (each returns a mica_error and changes nothing on error). */
int cnode_invoke(struct invocation *inv);
int untyped_invoke(struct invocation *inv);
int tcb_invoke(struct invocation *inv);
int frame_invoke(struct invocation *inv);
int page_table_invoke(struct invocation *inv);
int vspace_invoke(struct invocation *inv);
int irq_control_invoke(struct invocation *inv);
int irq_handler_invoke(struct invocation *inv);
int io_ports_invoke(struct invocation *inv);

/* The last capability to an IRQ handler went: unbind and mask the line, free it. */
void irq_handler_destroy(unsigned line);

/* MICA_SYS_CALL: decode the request, run the method, write the reply. */
void invoke_syscall(struct tcb *t);

#endif
