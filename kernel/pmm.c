// SPDX-License-Identifier: MIT
/* Physical page allocator: sorted free ranges, plus a list of pages given back.
 * Pages come from the lowest range first, so high memory stays in large pieces for the
 * untyped memory that user space will get. */
#include "pmm.h"

#include <arch/mmu.h>

struct pmm kernel_pmm;

void
pmm_init(struct pmm *pmm)
{
    memset(pmm, 0, sizeof(*pmm));
}

static void
remove_range(struct pmm *pmm, unsigned i)
{
    memmove(&pmm->range[i], &pmm->range[i + 1], (pmm->nrange - i - 1) * sizeof(pmm->range[0]));
    pmm->nrange--;
}

static uint64_t
range_pages(const struct pmm_range *r)
{
    return (r->end - r->base) >> PAGE_SHIFT;
}

int
pmm_add(struct pmm *pmm, paddr_t base, uint64_t len)
{
    paddr_t end = base + len < base ? ~0UL : base + len;
    if (base > ALIGN_DOWN(~0UL, PAGE_SIZE))     /* no whole page left: ALIGN_UP would wrap */
        return MICA_E_OK;
    base = ALIGN_UP(base, PAGE_SIZE);
    end = ALIGN_DOWN(end, PAGE_SIZE);
    if (base == 0)              /* page 0 is the allocator's "none" */
        base = PAGE_SIZE;
    if (end <= base)
        return MICA_E_OK;

    /* Take out any overlap first, so the ranges stay disjoint and the count exact. */
    int err = pmm_reserve(pmm, base, end - base);
    if (err)
        return err;
    unsigned i = 0;
    while (i < pmm->nrange && pmm->range[i].base < base)
        i++;
    bool join_prev = i > 0 && pmm->range[i - 1].end == base;
    bool join_next = i < pmm->nrange && pmm->range[i].base == end;
    if (join_prev && join_next) {
        pmm->range[i - 1].end = pmm->range[i].end;
        remove_range(pmm, i);
    } else if (join_prev) {
        pmm->range[i - 1].end = end;
    } else if (join_next) {
        pmm->range[i].base = base;
    } else {
        if (pmm->nrange == PMM_MAX_RANGES)
            return MICA_E_NO_MEMORY;
        memmove(&pmm->range[i + 1], &pmm->range[i], (pmm->nrange - i) * sizeof(pmm->range[0]));
        pmm->range[i] = (struct pmm_range){ base, end };
        pmm->nrange++;
    }
    pmm->free_pages += (end - base) >> PAGE_SHIFT;
    return MICA_E_OK;
}

int
pmm_reserve(struct pmm *pmm, paddr_t base, uint64_t len)
{
    if (len == 0)
        return MICA_E_OK;
    paddr_t end = base + len < base ? ~0UL : base + len;
    base = ALIGN_DOWN(base, PAGE_SIZE);
    end = end > ALIGN_DOWN(~0UL, PAGE_SIZE) ? ALIGN_DOWN(~0UL, PAGE_SIZE) : ALIGN_UP(end, PAGE_SIZE);

    for (unsigned i = 0; i < pmm->nrange;) {
        struct pmm_range *r = &pmm->range[i];
        if (r->end <= base || r->base >= end) {
            i++;
            continue;
        }
        if (r->base < base && r->end > end) {           /* split in two */
            if (pmm->nrange == PMM_MAX_RANGES)
                return MICA_E_NO_MEMORY;
            memmove(r + 1, r, (pmm->nrange - i) * sizeof(*r));
            pmm->nrange++;
            r->end = base;
            r[1].base = end;
            pmm->free_pages -= (end - base) >> PAGE_SHIFT;
            return MICA_E_OK;
        }
        uint64_t before = range_pages(r);
        if (r->base >= base && r->end <= end) {         /* wholly inside: drop it */
            pmm->free_pages -= before;
            remove_range(pmm, i);
            continue;
        }
        if (r->base < base)
            r->end = base;
        else
            r->base = end;
        pmm->free_pages -= before - range_pages(r);
        i++;
    }
    return MICA_E_OK;
}

paddr_t
pmm_alloc(struct pmm *pmm)
{
    paddr_t page = pmm->free_list;
    if (page) {
        pmm->free_list = *(paddr_t *)phys_to_virt(page);
    } else if (pmm->nrange) {
        struct pmm_range *r = &pmm->range[0];
        page = r->base;
        r->base += PAGE_SIZE;
        if (r->base == r->end)
            remove_range(pmm, 0);
    } else {
        return 0;
    }
    pmm->free_pages--;
    return page;
}

paddr_t
pmm_alloc_zeroed(struct pmm *pmm)
{
    paddr_t page = pmm_alloc(pmm);
    if (page)
        memset(phys_to_virt(page), 0, PAGE_SIZE);
    return page;
}

paddr_t
pmm_alloc_block(struct pmm *pmm, unsigned bits)
{
    uint64_t size = 1UL << bits;
    for (unsigned i = 0; i < pmm->nrange; i++) {
        paddr_t start = ALIGN_UP(pmm->range[i].base, size);
        if (start >= pmm->range[i].base && start < pmm->range[i].end &&
            pmm->range[i].end - start >= size && pmm_reserve(pmm, start, size) == MICA_E_OK)
            return start;
    }
    return 0;
}

void
pmm_free(struct pmm *pmm, paddr_t page)
{
    assert(page && page % PAGE_SIZE == 0);
    if (pmm_add(pmm, page, PAGE_SIZE) == MICA_E_OK)     /* back into the ranges, merged */
        return;
    *(paddr_t *)phys_to_virt(page) = pmm->free_list;
    pmm->free_list = page;
    pmm->free_pages++;
}
