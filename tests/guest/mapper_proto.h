/* SPDX-License-Identifier: MIT */
/* The protocol between tests/guest/mapping.c (root task) and mapper.c, which runs twice (boot
 * modules 1 and 2, tasks B and C) so that a page can travel root -> B -> C by map items. */
#ifndef MAPPER_PROTO_H
#define MAPPER_PROTO_H

#define MAPPER_EP       10      /* the mapper's endpoint, in its CNode */
#define MAPPER_NEXT     11      /* B only: C's endpoint, with the grant right */
#define MAPPER_RECV     12      /* received capabilities go to slots 12.. */
#define MAPPER_WINDOW   0x500000000000UL    /* the receive windows are in this 2 MiB */

enum mapper_op {
    M_WINDOW = 1,   /* (base, size, slot): the receive window and the first receive slot */
    M_TAKE,         /* any message with items: reply MR0 = items taken, MR1 = the first
                     * taken one's rights (its slot's) */
    M_READ,         /* (va): reply MR0 = the word at va */
    M_WRITE,        /* (va, value): reply MR0 = 1 if the handler said the write faulted */
    M_FORWARD,      /* (slot, attrs, move): send the cap in slot to MAPPER_NEXT as a map
                     * item; reply MR0 = the error, MR1 = items the next one took */
};

#endif
