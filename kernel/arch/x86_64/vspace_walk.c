// SPDX-License-Identifier: MIT
/* Walking a user address space's page tables for the invariant checks (kernel/invariants.c):
 * read only, never on a path a non-checking kernel takes. */
#include "arch.h"

#define ENTRIES         512
#define PML4_KERNEL     256         /* first kernel-half PML4 slot (paging.c) */

static void
walk_table(paddr_t table, unsigned level, vaddr_t base, arch_walk_fn fn, void *ctx)
{
    const uint64_t *t = phys_to_virt(table);
    unsigned span = PAGE_SHIFT + 9 * level;
    for (unsigned i = 0; i < (level == 3 ? PML4_KERNEL : ENTRIES); i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        vaddr_t va = base | (uint64_t)i << span;
        bool leaf = level == 0 || (e & PTE_PS);
        /* A large page's entry holds flags (PAT) below its alignment: mask them off. */
        fn(ctx, span, va, e & PTE_ADDR & (leaf ? ~((1UL << span) - 1) : ~0UL), leaf);
        if (!leaf)
            walk_table(e & PTE_ADDR, level - 1, va, fn, ctx);
    }
}

void
arch_vspace_walk(paddr_t root, arch_walk_fn fn, void *ctx)
{
    walk_table(root, 3, 0, fn, ctx);
}

bool
arch_vspace_same_kernel(paddr_t a, paddr_t b)
{
    return !memcmp((const uint64_t *)phys_to_virt(a) + PML4_KERNEL,
                   (const uint64_t *)phys_to_virt(b) + PML4_KERNEL,
                   (ENTRIES - PML4_KERNEL) * sizeof(uint64_t));
}
