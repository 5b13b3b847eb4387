/* SPDX-License-Identifier: MIT */
/* The boot tasks' kernel objects and capabilities; the root task's boot information. */
#ifndef ROOT_H
#define ROOT_H

#include "bootinfo.h"

/*
 * Make the thread and CNode of boot module i, whose address space (vspace) is loaded.
 * Module 0 is the root task: it also gets the I/O port and IRQ capabilities, the boot
 * modules, its boot information page and IPC buffer, and it starts at once. The others
 * start suspended, the root task holding their TCB, CNode and VSpace capabilities.
 * MICA_E_NO_MEMORY if the boot allocator runs out.
 */
int boot_task_create(unsigned i, const char *name, paddr_t vspace, vaddr_t entry,
                     const struct bootinfo *bi);

/* Give the root task all memory still free, as untyped capabilities. After this the kernel
 * allocates nothing: every object is made from memory a task holds. */
void root_give_untyped(void);

/* For the invariant checks (invariants.c): the root task's CNode (NULL if there is none),
 * and whether pa lies in the memory given to it as untyped (else it is the kernel's). */
struct cte *root_cnode(void);
bool root_untyped_memory(paddr_t pa);

#endif
