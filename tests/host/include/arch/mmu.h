/* SPDX-License-Identifier: MIT */
/* Host stand-in for <arch/mmu.h>: "physical" addresses are offsets into a test's arena. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stdint.h>

/* Set by each test to the arena that plays physical memory (tests/host/stubs.c). */
extern uint8_t *host_phys_base;

static inline void *
phys_to_virt(uint64_t pa)
{
    return host_phys_base + pa;
}

#endif
