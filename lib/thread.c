// SPDX-License-Identifier: MIT
/* Threads in the caller's own address space and capability space. */
#include <string.h>

#include "mica.h"

long
mica_thread_create(struct mica_thread *th, mica_cptr_t untyped, uint64_t slot,
                   void (*fn)(uint64_t), uint64_t arg, unsigned prio)
{
    long err;
    th->tcb = slot;
    mica_thread_area_init(&th->area, &th->ipc);
    th->area.word[MICA_AREA_TCB_WORD] = slot;
    if ((err = mica_untyped_retype(untyped, MICA_OBJ_TCB, 0, MICA_SLOT_CNODE, slot, 1)) ||
        (err = mica_tcb_configure(slot, MICA_SLOT_CNODE, MICA_SLOT_VSPACE, (uint64_t)&th->ipc,
                                  0)) ||
        (err = mica_tcb_set_tls_base(slot, (uint64_t)&th->area)) ||
        (err = mica_tcb_set_priority(slot, prio)))
        return err;
    uint64_t regs[MICA_REG_COUNT] = { 0 };
    regs[MICA_REG_RIP] = (uint64_t)fn;
    regs[MICA_REG_RSP] = (uint64_t)&th->stack[MICA_THREAD_STACK_WORDS - 1];  /* as after a call */
    regs[MICA_REG_RDI] = arg;
    return mica_tcb_write_regs(slot, regs);
}
