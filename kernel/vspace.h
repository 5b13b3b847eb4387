/* SPDX-License-Identifier: MIT */
/* Address spaces, frames and page tables as capability-named objects. */
#ifndef VSPACE_H
#define VSPACE_H

#include "cspace.h"

/*
 * Every address space has an ASID: the name frame and page-table capabilities record their
 * mapping by (ASID, vaddr), checked against the table below before a mapping is removed,
 * so a capability that outlives its address space never touches a page table that is
 * gone. (The ASID becomes the PCID when the TLB is tagged.)
 */
#define ASID_COUNT  4096            /* ASID 0 is never used */

/* An ASID for a new address space rooted at root; 0 when all are taken. */
unsigned asid_alloc(paddr_t root);
void asid_free(unsigned asid);
/* How many more address spaces can be made. */
unsigned asid_available(void);

/* Map the frame capability frame (not mapped yet) at va of the address space whose VSpace
 * capability is vs, with MICA_MAP_* attrs its rights allow; records the mapping in it. */
int vspace_map_frame(const struct cap *vs, struct cap *frame, uint64_t va, uint64_t attrs);

/* A frame or page table capability is deleted: undo its mapping. */
void vspace_release(const struct cap *cap);

#endif
