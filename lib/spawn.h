/* SPDX-License-Identifier: MIT */
/* Starting a task from an ELF image in user space: an address space, a CNode and a thread,
 * all made from one untyped capability, so that revoking it takes the whole task. */
#ifndef MICA_SPAWN_H
#define MICA_SPAWN_H

#include "mica.h"

#include <mica/task.h>

/* What the spawner (the caller) lends: two free slots of its CNode for a moment (temp_slot
 * and the next), and a page of its address space, with page tables in place, to fill new
 * pages through. */
struct mica_spawner {
    uint64_t temp_slot;
    uint64_t scratch;
};

struct mica_task {
    /* In: where its objects come from, and our slots for our capabilities to it. */
    mica_cptr_t untyped;                /* all of its memory; revoke it to end the task */
    uint64_t tcb, cnode, vspace;        /* empty slots of ours */
    unsigned cnode_bits;                /* its CNode has 2^cnode_bits slots */
    unsigned prio;
    mica_cptr_t fault_ep;               /* ours: the endpoint its faults go to (or 0) */
    const char *name;                   /* its thread's name in kernel messages (or NULL) */
    /* Out. */
    uint64_t entry;
    uint64_t pages;                     /* pages of memory its image and stack took */
    uint64_t next_memory_slot;          /* its memory's capabilities fill its CNode from the
                                         * top down to here */
};

/*
 * Make the task of the ELF image (size bytes at image, readable here) and leave it
 * suspended: its image's segments and a stack of MICA_BOOT_STACK_SIZE below
 * MICA_BOOT_STACK_TOP mapped, its first slots filled (enum mica_task_slot), the thread at
 * the image's entry point with rdi 0. *why says what was wrong with a refused image
 * (MICA_E_BAD_ELF). mica_tcb_resume(task->tcb) starts it.
 */
long mica_spawn(const struct mica_spawner *sp, struct mica_task *task, const void *image,
                size_t size, const char **why);

#endif
