/* SPDX-License-Identifier: MIT */
/* The physical page allocator: free page ranges from the boot memory map, minus what the
 * kernel image, the boot modules and the firmware occupy. Single-threaded: boot only for
 * now; SMP will give each CPU a cache of pages in front of it. */
#ifndef PMM_H
#define PMM_H

#include "kernel.h"

#define PMM_MAX_RANGES  64

struct pmm_range {
    paddr_t base;           /* page aligned */
    paddr_t end;            /* page aligned, exclusive, > base */
};

struct pmm {
    struct pmm_range range[PMM_MAX_RANGES];     /* sorted by base, disjoint, not adjacent */
    unsigned nrange;
    paddr_t free_list;      /* freed pages the ranges had no room for, linked through
                             * their first word; 0 ends it */
    uint64_t free_pages;    /* pages in ranges plus pages on the free list */
};

void pmm_init(struct pmm *pmm);

/* Add the whole pages inside [base, base+len). MICA_E_NO_MEMORY if the table is full. */
int pmm_add(struct pmm *pmm, paddr_t base, uint64_t len);

/* Remove every page touching [base, base+len). MICA_E_NO_MEMORY if a split needs a
 * range slot and none is left (the range is then left as it was). */
int pmm_reserve(struct pmm *pmm, paddr_t base, uint64_t len);

/* One free page, not zeroed; 0 when memory is exhausted (page 0 is never handed out). */
paddr_t pmm_alloc(struct pmm *pmm);

/* pmm_alloc(), with the page zeroed. */
paddr_t pmm_alloc_zeroed(struct pmm *pmm);

/* 2^bits bytes of contiguous memory aligned to their size (bits >= PAGE_SHIFT), from the
 * ranges (never the free list); 0 if no range has room. For boot-time objects. */
paddr_t pmm_alloc_block(struct pmm *pmm, unsigned bits);

/* Give back a page that pmm_alloc() returned: into the ranges (merging with its neighbours),
 * or onto the free list when the range table is full. */
void pmm_free(struct pmm *pmm, paddr_t page);

/* The allocator the kernel uses (pmm.c). */
extern struct pmm kernel_pmm;

#endif
