// SPDX-License-Identifier: MIT
/* Tests of the physical page allocator (kernel/pmm.c): pmm_add, pmm_reserve, alloc, free. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pmm.h"

#include <arch/mmu.h>

/* Physical memory is a 1 MiB arena at host_phys_base: a physical address is an offset into
 * it, so freed pages can be linked through their first word. */
#define ARENA_SIZE  (1ul << 20)
#define PG          PAGE_SIZE

static int
setup(void **state)
{
    host_phys_base = aligned_alloc(PAGE_SIZE, ARENA_SIZE);
    struct pmm *pmm = malloc(sizeof(*pmm));
    if (!host_phys_base || !pmm)
        return -1;
    memset(pmm, 0xa5, sizeof(*pmm));        /* pmm_init must clear everything */
    pmm_init(pmm);
    *state = pmm;
    return 0;
}

static int
teardown(void **state)
{
    free(*state);
    free(host_phys_base);
    host_phys_base = NULL;
    return 0;
}

/*
 * The invariants of struct pmm: ranges page aligned, non-empty, above page 0, sorted,
 * disjoint and not adjacent; free_pages counts range pages plus the free list exactly.
 */
static void
check_pmm(const struct pmm *pmm)
{
    uint64_t pages = 0;
    assert_true(pmm->nrange <= PMM_MAX_RANGES);
    for (unsigned i = 0; i < pmm->nrange; i++) {
        const struct pmm_range *r = &pmm->range[i];
        assert_int_equal(r->base % PAGE_SIZE, 0);
        assert_int_equal(r->end % PAGE_SIZE, 0);
        assert_true(r->base >= PAGE_SIZE);
        assert_true(r->end > r->base);
        if (i > 0)
            assert_true(r->base > pmm->range[i - 1].end);
        pages += (r->end - r->base) / PAGE_SIZE;
    }
    for (paddr_t p = pmm->free_list; p; p = *(paddr_t *)phys_to_virt(p)) {
        assert_true(p % PAGE_SIZE == 0 && p < ARENA_SIZE);
        pages++;
    }
    assert_int_equal(pmm->free_pages, pages);
}

/* Assert the ranges are exactly the n pairs {base, end} given. */
static void
assert_ranges(const struct pmm *pmm, unsigned n, const struct pmm_range *want)
{
    check_pmm(pmm);
    assert_int_equal(pmm->nrange, n);
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(pmm->range[i].base, want[i].base);
        assert_int_equal(pmm->range[i].end, want[i].end);
    }
}

/* Assert that two allocators hold the same ranges, free list and count. */
static void
assert_pmm_equal(const struct pmm *a, const struct pmm *b)
{
    assert_int_equal(a->nrange, b->nrange);
    assert_memory_equal(a->range, b->range, a->nrange * sizeof(a->range[0]));
    assert_int_equal(a->free_list, b->free_list);
    assert_int_equal(a->free_pages, b->free_pages);
}

#define RANGES(...) \
    (sizeof((struct pmm_range[]){ __VA_ARGS__ }) / sizeof(struct pmm_range)), \
    (struct pmm_range[]){ __VA_ARGS__ }

/* Fill the table with PMM_MAX_RANGES one-page ranges at 2, 4, 6, ... pages. */
static void
fill_table(struct pmm *pmm)
{
    for (unsigned i = 0; i < PMM_MAX_RANGES; i++)
        assert_int_equal(pmm_add(pmm, (2 + 2 * i) * PG, PG), MICA_E_OK);
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES);
    check_pmm(pmm);
}

static void
pmm_init_gives_an_empty_allocator(void **state)
{
    struct pmm *pmm = *state;
    check_pmm(pmm);
    assert_int_equal(pmm->nrange, 0);
    assert_int_equal(pmm->free_pages, 0);
    assert_int_equal(pmm_alloc(pmm), 0);
}

static void
pmm_add_takes_whole_pages(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG, 3 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 4 * PG, 7 * PG }));
    assert_int_equal(pmm->free_pages, 3);
}

/* Partial pages at either end are not ours to hand out. */
static void
pmm_add_aligns_inward(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG + 1, 4 * PG), MICA_E_OK);     /* to 8 * PG + 1 */
    assert_ranges(pmm, RANGES({ 5 * PG, 8 * PG }));
    assert_int_equal(pmm->free_pages, 3);
}

static void
pmm_add_without_a_whole_page_adds_nothing(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG + 0x800, PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 4 * PG, PG - 1), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 9 * PG, 0), MICA_E_OK);
    assert_ranges(pmm, 0, NULL);
    assert_int_equal(pmm->free_pages, 0);
}

/* Page 0 doubles as "no page": it is dropped from any range that holds it. */
static void
pmm_add_never_includes_page_zero(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 0, 4 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 4 * PG }));
    assert_int_equal(pmm_add(pmm, 0, PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 4 * PG }));
    assert_int_equal(pmm->free_pages, 3);
    assert_int_equal(pmm_alloc(pmm), PG);
}

static void
pmm_add_keeps_ranges_sorted(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 40 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 10 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 20 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 60 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 4 * PG }, { 10 * PG, 12 * PG }, { 20 * PG, 22 * PG },
                              { 40 * PG, 42 * PG }, { 60 * PG, 62 * PG }));
    assert_int_equal(pmm->free_pages, 10);
}

static void
pmm_add_merges_with_the_range_before(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 4 * PG, 3 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 7 * PG }));
    assert_int_equal(pmm->free_pages, 5);
}

static void
pmm_add_merges_with_the_range_after(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG, 3 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 7 * PG }));
    assert_int_equal(pmm->free_pages, 5);
}

/* A range that fills the gap between two joins all three into one. */
static void
pmm_add_filling_a_gap_merges_three_ranges(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 8 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 30 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 4 * PG, 4 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 10 * PG }, { 30 * PG, 31 * PG }));
    assert_int_equal(pmm->free_pages, 9);
}

/* Unaligned ends that round to adjacent pages still merge. */
static void
pmm_add_merges_after_aligning(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG + 0x123), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 4 * PG - 0x10, 2 * PG + 0x10), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 6 * PG }));
    assert_int_equal(pmm->free_pages, 4);
}

static void
pmm_add_overlapping_range_does_not_double_count(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 4 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 4 * PG, 6 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 10 * PG }));
    assert_int_equal(pmm->free_pages, 8);
    assert_int_equal(pmm_add(pmm, PG, 2 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 10 * PG }));
    assert_int_equal(pmm->free_pages, 9);
}

static void
pmm_add_same_range_twice_counts_it_once(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 4 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 2 * PG, 4 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 3 * PG, PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 6 * PG }));
    assert_int_equal(pmm->free_pages, 4);
}

/* A range covering several existing ones, gaps included, becomes one range. */
static void
pmm_add_covering_several_ranges_merges_them(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 3 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 6 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 12 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 20 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 2 * PG, 12 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 14 * PG }, { 20 * PG, 21 * PG }));
    assert_int_equal(pmm->free_pages, 13);
}

/* A length that runs past the top of the address space stops at the last whole page. */
static void
pmm_add_length_wrapping_the_address_space_is_clamped(void **state)
{
    struct pmm *pmm = *state;
    paddr_t base = 0xffffffffffff0000ul;
    assert_int_equal(pmm_add(pmm, base, 0x20000), MICA_E_OK);
    assert_ranges(pmm, RANGES({ base, 0xfffffffffffff000ul }));
    assert_int_equal(pmm->free_pages, 15);
}

/* Less than a page below 2^64 holds no whole page (ALIGN_UP must not wrap to page 0). */
static void
pmm_add_partial_page_at_top_of_address_space_adds_nothing(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 0xfffffffffffff001ul, 0x100), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 0xfffffffffffff800ul, 0x800), MICA_E_OK);
    assert_ranges(pmm, 0, NULL);
    assert_int_equal(pmm->free_pages, 0);
}

static void
pmm_add_to_full_table_fails_and_changes_nothing(void **state)
{
    struct pmm *pmm = *state;
    fill_table(pmm);
    struct pmm before = *pmm;
    assert_int_equal(pmm_add(pmm, 200 * PG, PG), MICA_E_NO_MEMORY);
    assert_int_equal(pmm_add(pmm, PG / 2, PG), MICA_E_OK);        /* no whole page: no-op */
    assert_pmm_equal(pmm, &before);
    check_pmm(pmm);
}

/* Growing a range needs no new slot, so it works with the table full. */
static void
pmm_add_to_full_table_merging_with_a_range_succeeds(void **state)
{
    struct pmm *pmm = *state;
    fill_table(pmm);
    assert_int_equal(pmm_add(pmm, 3 * PG, PG), MICA_E_OK);        /* joins 2 and 4 */
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES - 1);
    assert_int_equal(pmm->free_pages, PMM_MAX_RANGES + 1);
    assert_int_equal(pmm_add(pmm, (2 + 2 * PMM_MAX_RANGES) * PG - PG, PG), MICA_E_OK);
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES - 1);
    assert_int_equal(pmm->free_pages, PMM_MAX_RANGES + 2);
    check_pmm(pmm);
}

static void
pmm_reserve_splits_range_in_two(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, PG, 15 * PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 4 * PG, 2 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 4 * PG }, { 6 * PG, 16 * PG }));
    assert_int_equal(pmm->free_pages, 13);
}

/* Every page the range touches goes, even if it touches only a byte of it. */
static void
pmm_reserve_aligns_outward(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, PG, 15 * PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 4 * PG + 0xfff, 2), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 4 * PG }, { 6 * PG, 16 * PG }));
    assert_int_equal(pmm->free_pages, 13);
    assert_int_equal(pmm_reserve(pmm, 10 * PG + 1, 1), MICA_E_OK);
    assert_ranges(pmm, RANGES({ PG, 4 * PG }, { 6 * PG, 10 * PG }, { 11 * PG, 16 * PG }));
    assert_int_equal(pmm->free_pages, 12);
}

static void
pmm_reserve_trims_the_start_of_a_range(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG, 8 * PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 2 * PG, 4 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 6 * PG, 12 * PG }));
    assert_int_equal(pmm->free_pages, 6);
}

static void
pmm_reserve_trims_the_end_of_a_range(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG, 8 * PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 10 * PG, 100 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 4 * PG, 10 * PG }));
    assert_int_equal(pmm->free_pages, 6);
}

static void
pmm_reserve_removes_a_range_it_covers(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 4 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 10 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 4 * PG, 2 * PG), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 10 * PG, 12 * PG }));
    assert_int_equal(pmm->free_pages, 2);
}

/* One reservation trims the first and last ranges it touches and drops those between. */
static void
pmm_reserve_across_several_ranges(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 4 * PG), MICA_E_OK);      /* [2, 6) */
    assert_int_equal(pmm_add(pmm, 8 * PG, 2 * PG), MICA_E_OK);      /* [8, 10) */
    assert_int_equal(pmm_add(pmm, 12 * PG, 2 * PG), MICA_E_OK);     /* [12, 14) */
    assert_int_equal(pmm_add(pmm, 16 * PG, 4 * PG), MICA_E_OK);     /* [16, 20) */
    assert_int_equal(pmm_add(pmm, 30 * PG, PG), MICA_E_OK);         /* [30, 31) */
    assert_int_equal(pmm_reserve(pmm, 4 * PG, 14 * PG), MICA_E_OK); /* [4, 18) */
    assert_ranges(pmm, RANGES({ 2 * PG, 4 * PG }, { 18 * PG, 20 * PG }, { 30 * PG, 31 * PG }));
    assert_int_equal(pmm->free_pages, 5);
}

static void
pmm_reserve_touching_no_range_changes_nothing(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 10 * PG, 2 * PG), MICA_E_OK);
    struct pmm before = *pmm;
    assert_int_equal(pmm_reserve(pmm, 5 * PG, 4 * PG), MICA_E_OK);  /* the gap */
    assert_int_equal(pmm_reserve(pmm, 0, PG), MICA_E_OK);           /* below */
    assert_int_equal(pmm_reserve(pmm, 12 * PG, 100 * PG), MICA_E_OK); /* above */
    assert_pmm_equal(pmm, &before);
}

static void
pmm_reserve_on_empty_allocator_succeeds(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_reserve(pmm, 0, 1ul << 30), MICA_E_OK);
    assert_ranges(pmm, 0, NULL);
}

/* A length past 2^64 reserves to the top; nothing wraps round to low memory. */
static void
pmm_reserve_to_the_top_of_the_address_space(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 2 * PG, 10 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 0xffffffff00000000ul, 0x10000), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 6 * PG, UINT64_MAX), MICA_E_OK);
    assert_ranges(pmm, RANGES({ 2 * PG, 6 * PG }));
    assert_int_equal(pmm->free_pages, 4);
}

/* Reserving nothing at a page boundary inside a range leaves the range whole. */
static void
pmm_reserve_of_zero_length_changes_nothing(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, PG, 15 * PG), MICA_E_OK);
    struct pmm before = *pmm;
    assert_int_equal(pmm_reserve(pmm, 4 * PG, 0), MICA_E_OK);
    assert_pmm_equal(pmm, &before);
    check_pmm(pmm);
}

static void
pmm_reserve_split_with_full_table_fails_and_changes_nothing(void **state)
{
    struct pmm *pmm = *state;
    fill_table(pmm);
    assert_int_equal(pmm_add(pmm, 3 * PG, PG), MICA_E_OK);        /* [2, 5) */
    assert_int_equal(pmm_add(pmm, 200 * PG, PG), MICA_E_OK);      /* table full again */
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES);
    struct pmm before = *pmm;
    assert_int_equal(pmm_reserve(pmm, 3 * PG, PG), MICA_E_NO_MEMORY);
    assert_pmm_equal(pmm, &before);
    check_pmm(pmm);
}

/* Trimming or dropping ranges needs no slot, so it works with the table full. */
static void
pmm_reserve_trim_with_full_table_succeeds(void **state)
{
    struct pmm *pmm = *state;
    fill_table(pmm);
    assert_int_equal(pmm_add(pmm, 3 * PG, PG), MICA_E_OK);        /* [2, 5) */
    assert_int_equal(pmm_add(pmm, 200 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 4 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm_reserve(pmm, 200 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES - 1);
    assert_int_equal(pmm->range[0].end, 4 * PG);
    check_pmm(pmm);
}

static void
pmm_alloc_returns_lowest_pages_first(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 40 * PG, 2 * PG), MICA_E_OK);
    assert_int_equal(pmm_add(pmm, 3 * PG, 2 * PG), MICA_E_OK);
    const paddr_t want[] = { 3 * PG, 4 * PG, 40 * PG, 41 * PG };
    for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
        assert_int_equal(pmm_alloc(pmm), want[i]);
        assert_int_equal(pmm->free_pages, ARRAY_SIZE(want) - 1 - i);
        check_pmm(pmm);
    }
    assert_int_equal(pmm_alloc(pmm), 0);
}

/* Every page of the arena once, page aligned, never page 0, then 0 for "none left". */
static void
pmm_alloc_gives_distinct_aligned_pages_until_exhausted(void **state)
{
    struct pmm *pmm = *state;
    const unsigned npages = ARENA_SIZE / PG;
    bool seen[ARENA_SIZE / PAGE_SIZE] = { false };
    assert_int_equal(pmm_add(pmm, 0, ARENA_SIZE), MICA_E_OK);
    assert_int_equal(pmm->free_pages, npages - 1);
    for (unsigned i = 1; i < npages; i++) {
        paddr_t p = pmm_alloc(pmm);
        assert_int_not_equal(p, 0);
        assert_int_equal(p % PG, 0);
        assert_true(p < ARENA_SIZE);
        assert_false(seen[p / PG]);
        seen[p / PG] = true;
    }
    assert_int_equal(pmm->free_pages, 0);
    assert_int_equal(pmm->nrange, 0);
    assert_int_equal(pmm_alloc(pmm), 0);
    assert_int_equal(pmm_alloc(pmm), 0);
    assert_int_equal(pmm->free_pages, 0);
    check_pmm(pmm);
}

/* Freed pages go back into the ranges, merged with their neighbours. */
static void
pmm_free_merges_pages_back_into_ranges(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, PG, 10 * PG), MICA_E_OK);
    paddr_t a = pmm_alloc(pmm), b = pmm_alloc(pmm), c = pmm_alloc(pmm);
    assert_int_equal(b, 2 * PG);
    assert_int_equal(pmm->free_pages, 7);
    pmm_free(pmm, a);
    pmm_free(pmm, c);
    assert_int_equal(pmm->free_pages, 9);
    assert_int_equal(pmm->nrange, 2);
    check_pmm(pmm);
    pmm_free(pmm, b);
    assert_int_equal(pmm->nrange, 1);
    assert_int_equal(pmm->range[0].base, PG);
    assert_int_equal(pmm->range[0].end, 11 * PG);
    assert_int_equal(pmm->free_list, 0);
    check_pmm(pmm);
    assert_int_equal(pmm_alloc(pmm), a);
}

/* With the range table full, a freed page that joins no range waits on the free list,
 * and is handed out before any range page. */
static void
pmm_free_uses_the_free_list_when_the_table_is_full(void **state)
{
    struct pmm *pmm = *state;
    for (unsigned k = 0; k < PMM_MAX_RANGES; k++)
        assert_int_equal(pmm_add(pmm, (4 * k + 1) * PG, 2 * PG), MICA_E_OK);
    paddr_t a = pmm_alloc(pmm), b = pmm_alloc(pmm);     /* empties the first range */
    assert_int_equal(a, PG);
    assert_int_equal(pmm_add(pmm, 1000 * PG, PG), MICA_E_OK);
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES);
    pmm_free(pmm, a);                                   /* b is still allocated: no neighbour */
    assert_int_equal(pmm->free_list, a);
    assert_int_equal(pmm->nrange, PMM_MAX_RANGES);
    check_pmm(pmm);
    assert_int_equal(pmm_alloc(pmm), a);
    (void)b;
}

/* Once the ranges are used up, a freed page is still handed out again. */
static void
pmm_free_after_exhaustion_makes_a_page_available(void **state)
{
    struct pmm *pmm = *state;
    assert_int_equal(pmm_add(pmm, 5 * PG, 2 * PG), MICA_E_OK);
    paddr_t a = pmm_alloc(pmm), b = pmm_alloc(pmm);
    assert_int_equal(pmm_alloc(pmm), 0);
    pmm_free(pmm, b);
    pmm_free(pmm, a);
    assert_int_equal(pmm->free_pages, 2);
    check_pmm(pmm);
    assert_int_equal(pmm_alloc(pmm), a);
    assert_int_equal(pmm_alloc(pmm), b);
    assert_int_equal(pmm_alloc(pmm), 0);
    assert_int_equal(pmm->free_pages, 0);
}

/* Pages on the free list are out of the ranges: reserve leaves them alone. */
static void
pmm_reserve_does_not_touch_freed_pages(void **state)
{
    struct pmm *pmm = *state;
    for (unsigned k = 0; k < PMM_MAX_RANGES; k++)
        assert_int_equal(pmm_add(pmm, (4 * k + 1) * PG, 2 * PG), MICA_E_OK);
    paddr_t a = pmm_alloc(pmm);
    pmm_alloc(pmm);
    assert_int_equal(pmm_add(pmm, 1000 * PG, PG), MICA_E_OK);
    pmm_free(pmm, a);
    assert_int_equal(pmm->free_list, a);
    assert_int_equal(pmm_reserve(pmm, 0, 2000 * PG), MICA_E_OK);
    assert_int_equal(pmm->nrange, 0);
    assert_int_equal(pmm->free_pages, 1);
    check_pmm(pmm);
    assert_int_equal(pmm_alloc(pmm), a);
    assert_int_equal(pmm_alloc(pmm), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(pmm_init_gives_an_empty_allocator),
        T(pmm_add_takes_whole_pages),
        T(pmm_add_aligns_inward),
        T(pmm_add_without_a_whole_page_adds_nothing),
        T(pmm_add_never_includes_page_zero),
        T(pmm_add_keeps_ranges_sorted),
        T(pmm_add_merges_with_the_range_before),
        T(pmm_add_merges_with_the_range_after),
        T(pmm_add_filling_a_gap_merges_three_ranges),
        T(pmm_add_merges_after_aligning),
        T(pmm_add_overlapping_range_does_not_double_count),
        T(pmm_add_same_range_twice_counts_it_once),
        T(pmm_add_covering_several_ranges_merges_them),
        T(pmm_add_length_wrapping_the_address_space_is_clamped),
        T(pmm_add_partial_page_at_top_of_address_space_adds_nothing),
        T(pmm_add_to_full_table_fails_and_changes_nothing),
        T(pmm_add_to_full_table_merging_with_a_range_succeeds),
        T(pmm_reserve_splits_range_in_two),
        T(pmm_reserve_aligns_outward),
        T(pmm_reserve_trims_the_start_of_a_range),
        T(pmm_reserve_trims_the_end_of_a_range),
        T(pmm_reserve_removes_a_range_it_covers),
        T(pmm_reserve_across_several_ranges),
        T(pmm_reserve_touching_no_range_changes_nothing),
        T(pmm_reserve_on_empty_allocator_succeeds),
        T(pmm_reserve_to_the_top_of_the_address_space),
        T(pmm_reserve_of_zero_length_changes_nothing),
        T(pmm_reserve_split_with_full_table_fails_and_changes_nothing),
        T(pmm_reserve_trim_with_full_table_succeeds),
        T(pmm_alloc_returns_lowest_pages_first),
        T(pmm_alloc_gives_distinct_aligned_pages_until_exhausted),
        T(pmm_free_merges_pages_back_into_ranges),
        T(pmm_free_uses_the_free_list_when_the_table_is_full),
        T(pmm_free_after_exhaustion_makes_a_page_available),
        T(pmm_reserve_does_not_touch_freed_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
