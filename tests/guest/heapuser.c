// SPDX-License-Identifier: MIT
/* A task whose memory comes from the memory server (tests/manifests/heap.manifest,
 * heap=64K): allocations are demand-zero and its own, counted against its quota; past the
 * quota its fault is not resolved and the supervisor hears of it. */
#include <string.h>

#include "mem.h"
#include "test.h"

#include <mica/task.h>

#define MEMORY  MICA_TASK_SLOT_MEMORY

int
main(void)
{
    uint8_t *p = mem_alloc(MEMORY, 32 * 1024);
    bool zero = p != NULL;
    for (size_t i = 0; zero && i < 32 * 1024; i += 512)
        zero = !p[i];
    EXPECT("heap_pages_come_zero", zero, "allocation %p", (void *)p);
    if (p)
        memset(p, 0x5a, 32 * 1024);
    EXPECT("heap_writes_stick", p && p[0] == 0x5a && p[32 * 1024 - 1] == 0x5a, "lost");
    struct mem_usage use = { 0 };
    long err = mem_usage(MEMORY, &use);
    /* 8 pages, and the 3 page tables a fresh 512 GiB region needs (docs/memory.md). */
    EXPECT("heap_pages_are_charged", !err && use.pages == 8 + 3 && use.quota == 16,
           "err %s, pages %lu of %lu", mica_errname(err), (unsigned long)use.pages,
           (unsigned long)use.quota);
    EXPECT_ERR("heap_freed", mem_free(MEMORY, p), MICA_E_OK);
    EXPECT_ERR("heap_free_of_nothing_refused", mem_free(MEMORY, (void *)0x1000),
               MICA_E_INVALID_ARG);
    uint8_t *q = mem_alloc(MEMORY, 128 * 1024);   /* a region larger than the quota */
    EXPECT("heap_region_beyond_quota_maps", q != NULL, "no region");
    mica_printf("heapuser: touching past the quota\n");
    for (size_t i = 0; q && i < 128 * 1024; i += 4096)
        q[i] = 1;                               /* the 17th page: not resolved */
    mica_printf("TEST FAIL heap_quota_not_enforced: all 32 pages were touched\n");
    return 1;
}
