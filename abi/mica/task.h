/* SPDX-License-Identifier: MIT */
/* The capability space of a task that init starts (lib/spawn.c, docs/servers.md): the same
 * first slots as the root task's, then the capabilities its manifest line gives it, then
 * free slots; the capabilities to its own memory (its image's frames and page tables) sit
 * at the top of its CNode. */
#ifndef MICA_TASK_H
#define MICA_TASK_H

enum mica_task_slot {
    MICA_TASK_SLOT_TCB = 1,         /* its first thread */
    MICA_TASK_SLOT_CNODE = 2,       /* this CNode */
    MICA_TASK_SLOT_VSPACE = 3,      /* its address space */
    MICA_TASK_SLOT_NAMES = 4,       /* the names server: every task gets it (names itself: 0) */
    MICA_TASK_SLOT_SERVICE = 5,     /* a server's own endpoint (all rights), to receive on */
    MICA_TASK_SLOT_IRQ = 6,         /* irq=N: the line's handler */
    MICA_TASK_SLOT_IRQ_NTFN = 7,    /* with irq=N: the notification the handler signals */
    MICA_TASK_SLOT_PORTS = 8,       /* ports=A-B: those I/O ports */
    MICA_TASK_SLOT_DEVICE = 9,      /* device=ADDR/BITS: that block of device memory */
    MICA_TASK_SLOT_CONTROL = 10,    /* control: init's endpoint (the supervisor and the shell) */
    MICA_TASK_SLOT_FAULTS = 11,     /* supervisor: the endpoint its tasks' faults come to */
    MICA_TASK_SLOT_UNTYPED = 12,    /* untyped memory of its own to use: a quarter of its
                                     * memory= (the rest is what it is made of) */
    MICA_TASK_SLOT_MEMORY = 13,     /* heap=SIZE: its requests to the memory server */
    MICA_TASK_SLOT_FAILURES = 14,   /* supervisor: a notification bound to it, signalled by
                                     * the memory server for a fault it would not resolve */
    MICA_TASK_SLOT_FAULT_HANDLER = 15,  /* where its first thread's faults go (its pager or
                                     * its supervisor), for the threads it makes */
    MICA_TASK_SLOT_FIRST_FREE = 16,
};

#endif
